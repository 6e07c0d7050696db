//! Fused kernels for training on burn's CPU backend (`flex`), written by hand as a burn backend
//! extension (`#[backend_extension]`) with their own backward passes.
//!
//! Why by hand: on the CPU the VRNN is too small for arithmetic to set the time; the element-wise
//! work around the matrix products does. burn's `flex` computes `exp` and `sigmoid` one element at
//! a time through libm, and its autodiff recomputes every `sigmoid` and `exp` in the backward pass
//! from the saved input, so each costs two scalar `exp`s per element; the LSTM cell's gates were
//! also about twenty small tensor operations per step, each with its own allocation and graph
//! node. PyTorch vectorises `exp` and keeps activations for the backward pass. Here:
//!
//! - [`lstm_pointwise`]: everything of `torch.nn.LSTMCell` after the matrix products (the four
//!   gate activations, the new cell and hidden state) in one pass, and its gradient in one pass
//!   from the activations kept in the forward pass;
//! - [`exp`]: `exp` whose backward pass reuses its output;
//! - [`kl_sum`]: the KL term of the loss and its four gradients, one pass each;
//! - [`linear`]: `x W + b` and its three gradients through [`vrnn_kernels::matmul`]: in the browser
//!   gemm's kernels are slower (see that module), and natively it gives the browser's numbers.
//!
//! All use [`exp_f32`], a branch-free `exp` that the compiler vectorises (SSE2 natively,
//! `simd128` in wasm). Only the CPU backend has these kernels; the model calls them where
//! [`is_cpu`] says so and burn's own operations elsewhere (WebGPU).

use std::sync::Arc;

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{unary, Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::ops::FloatTensorOps;
use burn::backend::tensor::FloatTensor;
use burn::backend::{backend_extension, Autodiff, Backend, Dispatch, Flex};
use burn::tensor::{Device, Tensor, TensorData};

use vrnn_kernels::matmul::{matmul, Strided};

pub mod by_hand;
mod compute;

pub use compute::exp_f32;
use compute::*;

/// Kernels only the CPU backend has (plain and with autodiff).
#[backend_extension(Flex, Autodiff)]
pub trait CpuKernels: Backend {
    /// `gates` `[batch, 4 h]` (pre-activations, PyTorch's order i, f, g, o) and `state`
    /// `[batch, 2 h]` (the previous `h` and `c` side by side) give the new `[h, c]`, `[batch, 2 h]`.
    fn lstm_pointwise(gates: FloatTensor<Self>, state: FloatTensor<Self>) -> FloatTensor<Self>;
    /// `exp`, element-wise.
    fn exp_keep(x: FloatTensor<Self>) -> FloatTensor<Self>;
    /// The Gaussian KL divergence of the posterior from the prior, summed over every element:
    /// a one-element tensor.
    fn kl_sum(
        mu_q: FloatTensor<Self>,
        logvar_q: FloatTensor<Self>,
        mu_p: FloatTensor<Self>,
        logvar_p: FloatTensor<Self>,
    ) -> FloatTensor<Self>;
    /// `x W + b`: `x` `[batch, in]`, `weight` `[in, out]`, `bias` `[out]`.
    fn linear(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
    ) -> FloatTensor<Self>;
}

/// `sum(0.5 (logvar_p - logvar_q) + (exp(logvar_q) + (mu_q - mu_p)^2) / (2 exp(logvar_p)) - 0.5)`
/// over all elements, as a one-element tensor, in one pass forward and one backward (the
/// reference's KL term was a dozen element-wise operations forward and twenty backward, each
/// over the whole `[batch, T, z]`). CPU backend only.
pub fn kl_sum<const D: usize>(
    mu_q: Tensor<D>,
    logvar_q: Tensor<D>,
    mu_p: Tensor<D>,
    logvar_p: Tensor<D>,
) -> Tensor<1> {
    Tensor::from_dispatch(<Dispatch as CpuKernels>::kl_sum(
        mu_q.into_dispatch(),
        logvar_q.into_dispatch(),
        mu_p.into_dispatch(),
        logvar_p.into_dispatch(),
    ))
}

/// `x W + b` (`x` `[batch, in]`, `weight` `[in, out]`, `bias` `[out]`) through the hand-written
/// kernel of [`vrnn_kernels::matmul`], forward and backward. CPU backend only.
pub fn linear(x: Tensor<2>, weight: Tensor<2>, bias: Tensor<1>) -> Tensor<2> {
    Tensor::from_dispatch(<Dispatch as CpuKernels>::linear(
        x.into_dispatch(),
        weight.into_dispatch(),
        bias.into_dispatch(),
    ))
}

/// Whether `device` is burn's CPU backend, with or without autodiff: where these kernels exist.
pub fn is_cpu(device: &Device) -> bool {
    device.clone().inner() == Device::flex()
}

/// One LSTM step after its matrix products: `gates` `[batch, 4 h]`, `state` = `[h, c]` of the
/// previous step `[batch, 2 h]`; returns the new `[h, c]`. CPU backend only.
pub fn lstm_pointwise(gates: Tensor<2>, state: Tensor<2>) -> Tensor<2> {
    Tensor::from_dispatch(<Dispatch as CpuKernels>::lstm_pointwise(
        gates.into_dispatch(),
        state.into_dispatch(),
    ))
}

/// `exp(x)`; the backward pass multiplies by the kept output. CPU backend only.
pub fn exp<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    Tensor::from_dispatch(<Dispatch as CpuKernels>::exp_keep(x.into_dispatch()))
}

impl CpuKernels for Flex {
    fn lstm_pointwise(gates: FlexTensor, state: FlexTensor) -> FlexTensor {
        lstm_forward(&gates, &state).0
    }

    fn exp_keep(x: FlexTensor) -> FlexTensor {
        exp_tensor(&x)
    }

    fn kl_sum(
        mu_q: FlexTensor,
        logvar_q: FlexTensor,
        mu_p: FlexTensor,
        logvar_p: FlexTensor,
    ) -> FlexTensor {
        kl_forward(&[mu_q, logvar_q, mu_p, logvar_p])
    }

    fn linear(x: FlexTensor, weight: FlexTensor, bias: FlexTensor) -> FlexTensor {
        linear_forward(&x, &weight, &bias)
    }
}

/// What the LSTM's backward pass needs from its forward pass.
#[derive(Debug)]
struct LstmSaved {
    hidden: usize,
    /// `[batch, 4 h]`: the activations `i, f, g, o`.
    acts: Vec<f32>,
    /// `[batch, h]`: the previous cell state.
    c_prev: Vec<f32>,
    /// `[batch, h]`: `tanh` of the new cell state.
    tanh_c: Vec<f32>,
}

#[derive(Debug)]
struct LstmBackward;

impl Backward<Flex, 2> for LstmBackward {
    type State = Arc<LstmSaved>;

    fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, _: &mut Checkpointer) {
        let grad = grads.consume::<Flex>(&ops.node);
        let (d_gates, d_state) = lstm_backward(&ops.state, &grad);
        let [gates, state] = ops.parents;
        if let Some(node) = gates {
            grads.register::<Flex>(node.id, d_gates);
        }
        if let Some(node) = state {
            grads.register::<Flex>(node.id, d_state);
        }
    }
}

#[derive(Debug)]
struct ExpBackward;

impl Backward<Flex, 1> for ExpBackward {
    /// The output, `exp(x)`.
    type State = FlexTensor;

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let out = ops.state;
        unary::<Flex, _>(ops.parents, ops.node, grads, |grad| {
            Flex::float_mul(grad, out)
        });
    }
}

#[derive(Debug)]
struct KlBackward;

impl Backward<Flex, 4> for KlBackward {
    /// The inputs `mu_q, logvar_q, mu_p, logvar_p` (shared, not copied).
    type State = [FlexTensor; 4];

    fn backward(self, ops: Ops<Self::State, 4>, grads: &mut Gradients, _: &mut Checkpointer) {
        let grad = grads.consume::<Flex>(&ops.node);
        let g = values(&grad)[0];
        let d = kl_backward(&ops.state, g);
        for (parent, d) in ops.parents.into_iter().zip(d) {
            if let Some(node) = parent {
                grads.register::<Flex>(node.id, d);
            }
        }
    }
}

#[derive(Debug)]
struct LinearBackward;

impl Backward<Flex, 3> for LinearBackward {
    /// The input `x` and the weight (shared, not copied).
    type State = [FlexTensor; 2];

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let grad = grads.consume::<Flex>(&ops.node);
        let [x, weight] = &ops.state;
        let [batch, out] = dims2(&grad);
        let [inputs, _] = dims2(weight);
        let dy = values(&grad);
        let dy_a = Strided {
            data: &dy,
            row: out,
            col: 1,
        };
        let [d_x, d_weight, d_bias] = ops.parents;
        if let Some(node) = d_x {
            // dx = dy W^T, with W^T made row-major (at most 128 x 97 values).
            let transposed = weight.transpose(0, 1);
            let wt = values(&transposed);
            let mut dx = vec![0.0f32; batch * inputs];
            matmul(batch, out, inputs, dy_a, &wt, None, &mut dx);
            grads.register::<Flex>(node.id, tensor(dx, [batch, inputs]));
        }
        if let Some(node) = d_weight {
            // dW = x^T dy: x^T read in place through swapped strides.
            let mut dw = vec![0.0f32; inputs * out];
            with_strided(x, |a| {
                let at = Strided {
                    data: a.data,
                    row: a.col,
                    col: a.row,
                };
                matmul(inputs, batch, out, at, &dy, None, &mut dw)
            });
            grads.register::<Flex>(node.id, tensor(dw, [inputs, out]));
        }
        if let Some(node) = d_bias {
            let mut db = vec![0.0f32; out];
            column_sums(&dy, out, &mut db);
            grads.register::<Flex>(node.id, FlexTensor::from_data(TensorData::new(db, [out])));
        }
    }
}

impl<C: CheckpointStrategy> CpuKernels for Autodiff<Flex, C> {
    fn lstm_pointwise(gates: FloatTensor<Self>, state: FloatTensor<Self>) -> FloatTensor<Self> {
        let nodes = [gates.node(), state.node()];
        let (out, saved) = lstm_forward(gates.primitive(), state.primitive());
        match LstmBackward.prepare::<C>(nodes).compute_bound().stateful() {
            OpsKind::Tracked(prep) => prep.finish(Arc::new(saved), out),
            OpsKind::UnTracked(prep) => prep.finish(out),
        }
    }

    fn exp_keep(x: FloatTensor<Self>) -> FloatTensor<Self> {
        let nodes = [x.node()];
        let out = exp_tensor(x.primitive());
        match ExpBackward.prepare::<C>(nodes).compute_bound().stateful() {
            OpsKind::Tracked(prep) => prep.finish(out.clone(), out),
            OpsKind::UnTracked(prep) => prep.finish(out),
        }
    }

    fn kl_sum(
        mu_q: FloatTensor<Self>,
        logvar_q: FloatTensor<Self>,
        mu_p: FloatTensor<Self>,
        logvar_p: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        let nodes = [mu_q.node(), logvar_q.node(), mu_p.node(), logvar_p.node()];
        let inputs = [mu_q, logvar_q, mu_p, logvar_p].map(|t| t.into_primitive());
        let out = kl_forward(&inputs);
        match KlBackward.prepare::<C>(nodes).compute_bound().stateful() {
            OpsKind::Tracked(prep) => prep.finish(inputs, out),
            OpsKind::UnTracked(prep) => prep.finish(out),
        }
    }

    fn linear(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        let nodes = [x.node(), weight.node(), bias.node()];
        let [x, weight, bias] = [x, weight, bias].map(|t| t.into_primitive());
        let out = linear_forward(&x, &weight, &bias);
        match LinearBackward
            .prepare::<C>(nodes)
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => prep.finish([x, weight], out),
            OpsKind::UnTracked(prep) => prep.finish(out),
        }
    }
}

#[cfg(test)]
mod tests;
