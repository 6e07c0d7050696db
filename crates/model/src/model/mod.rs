//! The reference VRNN (spec section 3) and its loss (section 4), exactly as the published
//! PyTorch code computes them, so that the golden test can compare every number.
//!
//! Linear layers are burn's (weights stored `[in, out]`, PyTorch's are `[out, in]`); the LSTM
//! cell is written here because the reference's `nn.LSTMCell` has two bias vectors (`bias_ih`
//! and `bias_hh`) that Adam updates separately, which burn's LSTM does not model.

use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::{relu, sigmoid, tanh};
use burn::tensor::{Device, Distribution, Tensor};

use crate::cpu;

mod init;
mod torch;

pub use torch::{host, read, TorchTensors};

/// Sizes of the reference model.
#[derive(Config, Debug, PartialEq)]
pub struct VrnnConfig {
    #[config(default = 1)]
    pub x_dim: usize,
    #[config(default = 32)]
    pub h_dim: usize,
    #[config(default = 64)]
    pub z_dim: usize,
    /// Width of the hidden layers of encoder, prior and decoder.
    #[config(default = 64)]
    pub width: usize,
    /// Decoder reads `h_{t-1}` (Chung et al. 2015) instead of the reference's `h_t`, which has
    /// already seen `x_t`: then only `z_t` can carry `x_t` to the reconstruction.
    #[config(default = false)]
    pub decoder_previous_h: bool,
}

/// `torch.nn.LSTMCell`: gates `i, f, g, o` stacked along the output dimension.
#[derive(Module, Debug)]
pub struct LstmCell {
    /// `[input, 4 h]` (the transpose of PyTorch's `weight_ih`).
    pub weight_ih: Param<Tensor<2>>,
    /// `[h, 4 h]`.
    pub weight_hh: Param<Tensor<2>>,
    pub bias_ih: Param<Tensor<1>>,
    pub bias_hh: Param<Tensor<1>>,
}

impl LstmCell {
    /// PyTorch's init: every weight and bias `U(-1/sqrt(h), 1/sqrt(h))`.
    pub fn init(input: usize, hidden: usize, device: &Device) -> Self {
        let k = 1.0 / (hidden as f64).sqrt();
        let u = Distribution::Uniform(-k, k);
        Self {
            weight_ih: Param::from_tensor(Tensor::random([input, 4 * hidden], u, device)),
            weight_hh: Param::from_tensor(Tensor::random([hidden, 4 * hidden], u, device)),
            bias_ih: Param::from_tensor(Tensor::random([4 * hidden], u, device)),
            bias_hh: Param::from_tensor(Tensor::random([4 * hidden], u, device)),
        }
    }

    /// The weights as every step of a sequence uses them: the two biases added, and for the
    /// hand-written kernel both weight matrices stacked, once per sequence instead of once per
    /// step (each of those was an operation and a graph node per step, and the stacked weights'
    /// gradient was split again per step).
    pub fn prepare(&self, device: &Device) -> LstmStep {
        let bias = self.bias_ih.val() + self.bias_hh.val();
        if hand_matmul(device) {
            LstmStep {
                weight: Tensor::cat(vec![self.weight_ih.val(), self.weight_hh.val()], 0),
                weight_hh: None,
                bias,
            }
        } else {
            LstmStep {
                weight: self.weight_ih.val(),
                weight_hh: Some(self.weight_hh.val()),
                bias,
            }
        }
    }
}

/// [`LstmCell`]'s weights prepared for the steps of one sequence ([`LstmCell::prepare`]).
#[derive(Debug, Clone)]
pub struct LstmStep {
    /// `[W_ih; W_hh]` (`[input + h, 4 h]`: one product over `[x, h]` per step) where
    /// `weight_hh` is None, else `W_ih`.
    weight: Tensor<2>,
    /// `W_hh` kept apart: two products and an add per step.
    weight_hh: Option<Tensor<2>>,
    /// `bias_ih + bias_hh`.
    bias: Tensor<1>,
}

impl LstmStep {
    /// One step: `input` is `[batch, input]` given as the pieces it is made of (`[x_t, z_t]`
    /// in the VRNN; they and `h` are joined in one operation), `state` is the previous `[h, c]`
    /// side by side, `[batch, 2 h]`, and so is the result. On the CPU backend
    /// everything after the matrix products is one fused kernel ([`cpu::lstm_pointwise`]);
    /// elsewhere it is burn's own operations.
    pub fn step(&self, mut input: Vec<Tensor<2>>, state: Tensor<2>) -> Tensor<2> {
        let hidden = state.dims()[1] / 2;
        let h = state.clone().narrow(1, 0, hidden);
        let gates = match &self.weight_hh {
            // One product over `[x, h]` and `[W_ih; W_hh]`: one kernel call, not two and an add.
            None => {
                input.push(h);
                cpu::linear(
                    Tensor::cat(input, 1),
                    self.weight.clone(),
                    self.bias.clone(),
                )
            }
            Some(weight_hh) => {
                Tensor::cat(input, 1).matmul(self.weight.clone())
                    + h.matmul(weight_hh.clone())
                    + self.bias.clone().unsqueeze::<2>()
            }
        };
        if cpu::is_cpu(&gates.device()) {
            return cpu::lstm_pointwise(gates, state);
        }
        let c = state.narrow(1, hidden, hidden);
        let mut chunks = gates.split(hidden, 1).into_iter();
        let (i, f, g, o) = (
            sigmoid(chunks.next().unwrap()),
            sigmoid(chunks.next().unwrap()),
            tanh(chunks.next().unwrap()),
            sigmoid(chunks.next().unwrap()),
        );
        let c = f * c + i * g;
        let h = o * tanh(c.clone());
        Tensor::cat(vec![h, c], 1)
    }
}

/// Whether the matrix products go through the hand-written kernel ([`cpu::linear`]): on the CPU
/// backend, in WebAssembly (where gemm's kernels are slower: `matmul.rs` says by how much) and
/// natively alike, so that the CLI's inference (the latents) runs the browser's kernels, as its
/// training parts do (`cpu::by_hand`). gemm's AVX kernels stay for the tests that compare the
/// two ([`use_gemm_natively`]).
fn hand_matmul(device: &Device) -> bool {
    (cfg!(target_arch = "wasm32") || !GEMM.with(|on| on.get())) && cpu::is_cpu(device)
}

thread_local! {
    static GEMM: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs the matrix products through burn's gemm natively, on this thread: for the tests (the
/// golden step checks both kernels against PyTorch) and for comparing the two.
pub fn use_gemm_natively(on: bool) {
    GEMM.with(|cell| cell.set(on));
}

/// `layer.forward(x)`, through [`cpu::linear`] where [`hand_matmul`] says so.
fn linear(layer: &Linear, x: Tensor<2>) -> Tensor<2> {
    match &layer.bias {
        Some(bias) if hand_matmul(&x.device()) => cpu::linear(x, layer.weight.val(), bias.val()),
        _ => layer.forward(x),
    }
}

/// `exp`, through the CPU kernel (vectorised, keeps its output for the backward pass) where the
/// tensor lives on the CPU backend.
fn exp<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    if cpu::is_cpu(&x.device()) {
        cpu::exp(x)
    } else {
        x.exp()
    }
}

/// The reference VRNN with an LSTM recurrence.
#[derive(Module, Debug)]
pub struct Vrnn {
    pub enc1: Linear,
    pub enc2: Linear,
    pub enc_mean: Linear,
    pub enc_logvar: Linear,
    pub prior1: Linear,
    pub prior2: Linear,
    pub prior_mean: Linear,
    pub prior_logvar: Linear,
    pub lstm: LstmCell,
    pub dec1: Linear,
    pub dec2: Linear,
    /// See [`VrnnConfig::decoder_previous_h`] (a constant, not a parameter).
    pub decoder_previous_h: bool,
}

impl VrnnConfig {
    /// A model with PyTorch's default initialisation.
    pub fn init(&self, device: &Device) -> Vrnn {
        let lin = |i, o| LinearConfig::new(i, o).init(device);
        let (x, h, z, w) = (self.x_dim, self.h_dim, self.z_dim, self.width);
        Vrnn {
            enc1: lin(h + x, w),
            enc2: lin(w, w),
            enc_mean: lin(w, z),
            enc_logvar: lin(w, z),
            prior1: lin(h, w),
            prior2: lin(w, w),
            prior_mean: lin(w, z),
            prior_logvar: lin(w, z),
            lstm: LstmCell::init(x + z, h, device),
            dec1: lin(h + z, w),
            dec2: lin(w, x),
            decoder_previous_h: self.decoder_previous_h,
        }
    }
}

/// Everything one forward pass produces, each `[batch, T, dim]`.
#[derive(Debug, Clone)]
pub struct VrnnOutput {
    pub x_mean: Tensor<3>,
    pub mu_q: Tensor<3>,
    pub logvar_q: Tensor<3>,
    pub mu_p: Tensor<3>,
    pub logvar_p: Tensor<3>,
    pub z: Tensor<3>,
    /// `exp(logvar_q / 2)`, which sampling `z` needs anyway; off the CPU backend the KL term
    /// squares it instead of computing `exp(logvar_q)` again (the CPU's fused KL kernel
    /// computes its own, vectorised).
    pub std_q: Tensor<3>,
}

/// The loss and its two parts, each averaged over the batch.
#[derive(Debug, Clone)]
pub struct VrnnLoss {
    pub loss: Tensor<1>,
    pub recon: Tensor<1>,
    pub kl: Tensor<1>,
}

impl Vrnn {
    pub fn h_dim(&self) -> usize {
        self.lstm.weight_hh.dims()[0]
    }

    pub fn z_dim(&self) -> usize {
        self.enc_mean.weight.dims()[1]
    }

    /// Runs the VRNN over `x` (`[batch, T, x_dim]`) with reparameterisation noise `eps`
    /// (`[batch, T, z_dim]`); the caller owns the noise so that runs are reproducible.
    ///
    /// Only the encoder, the sampling of `z` and the LSTM form the recurrence. The prior reads
    /// `h_{t-1}` and the decoder `h` and `z`, and neither feeds anything back, so both run once
    /// after the loop over all `batch × T` rows instead of once per step: the same numbers
    /// (each row of a product is its own sum), in 6 products instead of 6 T, each with its
    /// graph node, allocation and (on WebGPU) dispatches, forward and backward.
    pub fn forward(&self, x: Tensor<3>, eps: Tensor<3>) -> VrnnOutput {
        let [batch, steps, x_dim] = x.dims();
        let z_dim = self.z_dim();
        let device = x.device();
        let h_dim = self.h_dim();
        let lstm = self.lstm.prepare(&device);
        // `[h, c]` side by side: the LSTM kernel reads and writes both in one tensor.
        let mut state = Tensor::<2>::zeros([batch, 2 * h_dim], &device);
        // Each step's `h_{t-1}` and (for the reference's decoder) `h_t`.
        let (mut h_prev, mut h_new) = (Vec::with_capacity(steps), Vec::with_capacity(steps));
        let mut outs: [Vec<Tensor<2>>; 4] = Default::default();
        for t in 0..steps {
            let x_t = x.clone().narrow(1, t, 1).reshape([batch, x_dim]);
            let eps_t = eps.clone().narrow(1, t, 1).reshape([batch, z_dim]);
            let h = state.clone().narrow(1, 0, h_dim);

            let e = relu(linear(
                &self.enc1,
                Tensor::cat(vec![h.clone(), x_t.clone()], 1),
            ));
            let e = relu(linear(&self.enc2, e));
            let mu_q = linear(&self.enc_mean, e.clone());
            let logvar_q = linear(&self.enc_logvar, e);

            let std_q = exp(logvar_q.clone().mul_scalar(0.5));
            let z = mu_q.clone() + std_q.clone() * eps_t;
            state = lstm.step(vec![x_t, z.clone()], state);

            h_prev.push(h);
            if !self.decoder_previous_h {
                h_new.push(state.clone().narrow(1, 0, h_dim));
            }
            for (slot, v) in outs.iter_mut().zip([mu_q, logvar_q, z, std_q]) {
                slot.push(v);
            }
        }
        let rows = batch * steps;
        // `[batch, T, d]` as `[batch T, d]`: row `b T + t` is sequence `b` at step `t`.
        let flat = |v: Vec<Tensor<2>>| {
            let d = v[0].dims()[1];
            Tensor::stack::<3>(v, 1).reshape([rows, d])
        };
        let [mu_q, logvar_q, z, std_q] = outs.map(|v| Tensor::stack(v, 1));
        let h_prev = flat(h_prev);

        let p = relu(linear(&self.prior1, h_prev.clone()));
        let p = relu(linear(&self.prior2, p));
        let mu_p = linear(&self.prior_mean, p.clone()).reshape([batch, steps, z_dim]);
        let logvar_p = linear(&self.prior_logvar, p).reshape([batch, steps, z_dim]);

        let h_dec = if self.decoder_previous_h {
            h_prev
        } else {
            flat(h_new)
        };
        let d = relu(linear(
            &self.dec1,
            Tensor::cat(vec![h_dec, z.clone().reshape([rows, z_dim])], 1),
        ));
        let x_mean = linear(&self.dec2, d).reshape([batch, steps, x_dim]);
        VrnnOutput {
            x_mean,
            mu_q,
            logvar_q,
            mu_p,
            logvar_p,
            z,
            std_q,
        }
    }
}

/// Spec section 4: Gaussian reconstruction with unit variance (no `log 2π`), plus `beta` times
/// the KL divergence of the posterior from the learned prior, summed over time, averaged over
/// the batch.
pub fn vrnn_loss(x: Tensor<3>, out: &VrnnOutput, beta: f64) -> VrnnLoss {
    vrnn_loss_weighted(x, out, beta, None)
}

/// [`vrnn_loss`] with a known variance per observation: the squared error of each time point
/// is multiplied by `inverse_variance` (`[batch, T, 1]`), the Gaussian log-likelihood without
/// its constant. `None` is the reference's unit variance.
pub fn vrnn_loss_weighted(
    x: Tensor<3>,
    out: &VrnnOutput,
    beta: f64,
    inverse_variance: Option<Tensor<3>>,
) -> VrnnLoss {
    let batch = x.dims()[0];
    vrnn_loss_part(x, out, beta, inverse_variance, batch)
}

/// [`vrnn_loss_weighted`] of a part of a batch of `batch` sequences: divided by the whole
/// batch's size, so that the parts' losses (and gradients) add up to the batch's.
pub fn vrnn_loss_part(
    x: Tensor<3>,
    out: &VrnnOutput,
    beta: f64,
    inverse_variance: Option<Tensor<3>>,
    batch: usize,
) -> VrnnLoss {
    let batch = batch as f64;
    let sq = (x - out.x_mean.clone()).powi_scalar(2);
    let sq = match inverse_variance {
        Some(w) => sq * w,
        None => sq,
    };
    let recon = sq.mul_scalar(0.5).sum();
    let kl = if cpu::is_cpu(&out.mu_q.device()) {
        cpu::kl_sum(
            out.mu_q.clone(),
            out.logvar_q.clone(),
            out.mu_p.clone(),
            out.logvar_p.clone(),
        )
    } else {
        let kl_terms = (out.logvar_p.clone() - out.logvar_q.clone()).mul_scalar(0.5)
            + (out.std_q.clone().powi_scalar(2)
                + (out.mu_q.clone() - out.mu_p.clone()).powi_scalar(2))
                / out.logvar_p.clone().exp().mul_scalar(2.0)
            - 0.5;
        kl_terms.sum()
    };
    let recon = recon.div_scalar(batch);
    let kl = kl.div_scalar(batch);
    let loss = recon.clone() + kl.clone().mul_scalar(beta);
    VrnnLoss { loss, recon, kl }
}
