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
//! - [`linear`]: `x W + b` and its three gradients through [`crate::matmul`], for the browser,
//!   where gemm's kernels are slower (see that module).
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

use crate::matmul::{matmul, Strided};

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
/// kernel of [`crate::matmul`], forward and backward. CPU backend only.
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
            for row in dy.chunks_exact(out) {
                for (s, &v) in db.iter_mut().zip(row) {
                    *s += v;
                }
            }
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

/// `exp(x)` for single precision, without branches so that loops over it vectorise: Cody-Waite
/// reduction `x = n ln 2 + r`, Cephes' degree-7 polynomial for `e^r`, `2^n` built in the exponent
/// bits. Within 2 ulp of the exact value on `[-87, 88]`; inputs outside are clamped to it (the
/// result there is below 2e-38 or above 1.6e38, which is all a sigmoid or a variance needs).
#[inline(always)]
pub fn exp_f32(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // Adding and subtracting 1.5 * 2^23 rounds to the nearest integer without a libm call.
    const ROUND: f32 = 12_582_912.0;
    let x = x.clamp(-87.0, 88.0);
    let n = (x * LOG2E + ROUND) - ROUND;
    let r = x - n * LN2_HI - n * LN2_LO;
    let p = 1.987_569_1e-4_f32;
    let p = p * r + 1.398_199_9e-3;
    let p = p * r + 8.333_452e-3;
    let p = p * r + 4.166_579_6e-2;
    let p = p * r + 1.666_666_5e-1;
    let p = p * r + 0.5;
    let p = p * r * r + r + 1.0;
    p * f32::from_bits(((n as i32 + 127) as u32) << 23)
}

#[inline(always)]
fn sigmoid_f32(x: f32) -> f32 {
    1.0 / (1.0 + exp_f32(-x))
}

/// `tanh(x) = 2 sigmoid(2x) - 1`: one `exp`, as in `model::tanh_via_sigmoid`.
#[inline(always)]
fn tanh_f32(x: f32) -> f32 {
    2.0 / (1.0 + exp_f32(-2.0 * x)) - 1.0
}

/// A tensor's values in row-major order (copied only when the layout is not contiguous).
fn values(t: &FlexTensor) -> std::borrow::Cow<'_, [f32]> {
    match t.as_slice::<f32>() {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(
            t.to_contiguous()
                .as_slice::<f32>()
                .expect("a contiguous f32 tensor")
                .to_vec(),
        ),
    }
}

/// Runs `f` on a 2-D tensor's values as a [`Strided`] view: in place where its strides are
/// non-negative (narrowed and transposed tensors are), from a row-major copy otherwise.
fn with_strided<R>(t: &FlexTensor, f: impl FnOnce(Strided<'_>) -> R) -> R {
    let layout = t.layout();
    let strides = layout.strides();
    if strides.len() == 2 && strides.iter().all(|&s| s >= 0) {
        let data = &t.storage::<f32>()[layout.start_offset()..];
        return f(Strided {
            data,
            row: strides[0] as usize,
            col: strides[1] as usize,
        });
    }
    let [_, cols] = dims2(t);
    let copy = values(t);
    f(Strided {
        data: &copy,
        row: cols,
        col: 1,
    })
}

fn linear_forward(x: &FlexTensor, weight: &FlexTensor, bias: &FlexTensor) -> FlexTensor {
    let [batch, inputs] = dims2(x);
    let [w_in, out] = dims2(weight);
    assert_eq!(
        inputs, w_in,
        "linear: x is [batch, {inputs}], W is [{w_in}, {out}]"
    );
    let (w, b) = (values(weight), values(bias));
    let mut y = vec![0.0f32; batch * out];
    with_strided(x, |a| matmul(batch, inputs, out, a, &w, Some(&b), &mut y));
    tensor(y, [batch, out])
}

fn dims2(t: &FlexTensor) -> [usize; 2] {
    t.layout().shape().dims::<2>()
}

fn tensor(values: Vec<f32>, shape: [usize; 2]) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape))
}

fn exp_tensor(x: &FlexTensor) -> FlexTensor {
    let shape = x.layout().shape().clone();
    let out: Vec<f32> = values(x).iter().map(|&v| exp_f32(v)).collect();
    FlexTensor::from_data(TensorData::new(out, shape))
}

/// The KL term of one element and its partial derivatives with respect to
/// `mu_q, logvar_q, mu_p, logvar_p`.
#[inline(always)]
fn kl_element(mq: f32, lvq: f32, mp: f32, lvp: f32) -> (f32, [f32; 4]) {
    let d = mq - mp;
    let inv_var_p = exp_f32(-lvp);
    let ratio = exp_f32(lvq - lvp);
    let scaled = 0.5 * (ratio + d * d * inv_var_p);
    let term = 0.5 * (lvp - lvq) + scaled - 0.5;
    let d_mq = d * inv_var_p;
    (term, [d_mq, 0.5 * ratio - 0.5, -d_mq, 0.5 - scaled])
}

fn kl_forward(inputs: &[FlexTensor; 4]) -> FlexTensor {
    let [mq, lvq, mp, lvp] = inputs.each_ref().map(values);
    let n = mq.len();
    let (lvq, mp, lvp) = (&lvq[..n], &mp[..n], &lvp[..n]);
    let mut terms = vec![0.0f32; n];
    for k in 0..n {
        terms[k] = kl_element(mq[k], lvq[k], mp[k], lvp[k]).0;
    }
    let total = sum_f32(&terms);
    FlexTensor::from_data(TensorData::new(vec![total as f32], [1]))
}

/// A sum that vectorises: sixteen single-precision lanes within blocks of 1024 values, the
/// blocks added in double precision.
fn sum_f32(values: &[f32]) -> f64 {
    let mut total = 0.0f64;
    for block in values.chunks(1024) {
        let mut lanes = [0.0f32; 16];
        let chunks = block.chunks_exact(16);
        let rest: f32 = chunks.remainder().iter().sum();
        for c in chunks {
            for (l, v) in lanes.iter_mut().zip(c) {
                *l += v;
            }
        }
        total += lanes.iter().sum::<f32>() as f64 + rest as f64;
    }
    total
}

fn kl_backward(inputs: &[FlexTensor; 4], g: f32) -> [FlexTensor; 4] {
    let shape = inputs[0].layout().shape().clone();
    let [mq, lvq, mp, lvp] = inputs.each_ref().map(values);
    let n = mq.len();
    let (lvq, mp, lvp) = (&lvq[..n], &mp[..n], &lvp[..n]);
    let mut d: [Vec<f32>; 4] = std::array::from_fn(|_| vec![0.0f32; n]);
    let [d0, d1, d2, d3] = &mut d;
    let (d0, d1, d2, d3) = (&mut d0[..n], &mut d1[..n], &mut d2[..n], &mut d3[..n]);
    for k in 0..n {
        let (_, p) = kl_element(mq[k], lvq[k], mp[k], lvp[k]);
        d0[k] = g * p[0];
        d1[k] = g * p[1];
        d2[k] = g * p[2];
        d3[k] = g * p[3];
    }
    d.map(|v| FlexTensor::from_data(TensorData::new(v, shape.clone())))
}

fn lstm_forward(gates: &FlexTensor, state: &FlexTensor) -> (FlexTensor, LstmSaved) {
    let [batch, four_h] = dims2(gates);
    let hidden = four_h / 4;
    assert_eq!(
        dims2(state),
        [batch, 2 * hidden],
        "LSTM state is [batch, 2 h]"
    );
    let a = values(gates);
    let s = values(state);
    let mut acts = vec![0.0f32; batch * four_h];
    let mut c_prev = vec![0.0f32; batch * hidden];
    let mut tanh_c = vec![0.0f32; batch * hidden];
    let mut out = vec![0.0f32; batch * 2 * hidden];
    for b in 0..batch {
        let a = &a[b * four_h..(b + 1) * four_h];
        let act = &mut acts[b * four_h..(b + 1) * four_h];
        let (sig_if, rest) = act.split_at_mut(2 * hidden);
        let (g, o) = rest.split_at_mut(hidden);
        for (y, &x) in sig_if.iter_mut().zip(&a[..2 * hidden]) {
            *y = sigmoid_f32(x);
        }
        for (y, &x) in g.iter_mut().zip(&a[2 * hidden..3 * hidden]) {
            *y = tanh_f32(x);
        }
        for (y, &x) in o.iter_mut().zip(&a[3 * hidden..]) {
            *y = sigmoid_f32(x);
        }
        let (i, f) = sig_if.split_at(hidden);
        let cp = &mut c_prev[b * hidden..(b + 1) * hidden];
        cp.copy_from_slice(&s[b * 2 * hidden + hidden..(b + 1) * 2 * hidden]);
        let tc = &mut tanh_c[b * hidden..(b + 1) * hidden];
        let (h_out, c_out) = out[b * 2 * hidden..(b + 1) * 2 * hidden].split_at_mut(hidden);
        for j in 0..hidden {
            let c = f[j] * cp[j] + i[j] * g[j];
            c_out[j] = c;
            tc[j] = tanh_f32(c);
            h_out[j] = o[j] * tc[j];
        }
    }
    let saved = LstmSaved {
        hidden,
        acts,
        c_prev,
        tanh_c,
    };
    (tensor(out, [batch, 2 * hidden]), saved)
}

/// Gradients of [`lstm_forward`] with respect to `gates` and `state`, given that of its output.
fn lstm_backward(saved: &LstmSaved, grad: &FlexTensor) -> (FlexTensor, FlexTensor) {
    let hidden = saved.hidden;
    let batch = saved.c_prev.len() / hidden.max(1);
    let grad = values(grad);
    let mut d_gates = vec![0.0f32; batch * 4 * hidden];
    let mut d_state = vec![0.0f32; batch * 2 * hidden];
    for b in 0..batch {
        let act = &saved.acts[b * 4 * hidden..(b + 1) * 4 * hidden];
        let (i, rest) = act.split_at(hidden);
        let (f, rest) = rest.split_at(hidden);
        let (g, o) = rest.split_at(hidden);
        let cp = &saved.c_prev[b * hidden..(b + 1) * hidden];
        let tc = &saved.tanh_c[b * hidden..(b + 1) * hidden];
        let (dh, dc_out) = grad[b * 2 * hidden..(b + 1) * 2 * hidden].split_at(hidden);
        let dg_row = &mut d_gates[b * 4 * hidden..(b + 1) * 4 * hidden];
        let (da_i, rest) = dg_row.split_at_mut(hidden);
        let (da_f, rest) = rest.split_at_mut(hidden);
        let (da_g, da_o) = rest.split_at_mut(hidden);
        let dcp = &mut d_state[b * 2 * hidden + hidden..(b + 1) * 2 * hidden];
        for j in 0..hidden {
            let dc = dc_out[j] + dh[j] * o[j] * (1.0 - tc[j] * tc[j]);
            da_i[j] = dc * g[j] * i[j] * (1.0 - i[j]);
            da_f[j] = dc * cp[j] * f[j] * (1.0 - f[j]);
            da_g[j] = dc * i[j] * (1.0 - g[j] * g[j]);
            da_o[j] = dh[j] * tc[j] * o[j] * (1.0 - o[j]);
            dcp[j] = dc * f[j];
        }
    }
    (
        tensor(d_gates, [batch, 4 * hidden]),
        tensor(d_state, [batch, 2 * hidden]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::activation::sigmoid;
    use burn::tensor::Distribution;

    #[test]
    fn exp_f32_is_within_two_ulp_of_libm() {
        let mut worst = 0.0f32;
        let mut x = -87.0f32;
        while x <= 88.0 {
            let (got, want) = (exp_f32(x), x.exp());
            worst = worst.max(((got - want) / want).abs());
            x += 0.001_37;
        }
        assert!(worst < 2.5e-7, "worst relative error {worst}");
        assert_eq!(exp_f32(0.0), 1.0);
        assert!(exp_f32(-1000.0) >= 0.0 && exp_f32(-1000.0) < 1e-37);
        assert!(exp_f32(1000.0).is_finite());
    }

    fn reference_lstm(gates: Tensor<2>, state: Tensor<2>, hidden: usize) -> Tensor<2> {
        let mut g = gates.split(hidden, 1).into_iter();
        let (i, f, gg, o) = (
            sigmoid(g.next().unwrap()),
            sigmoid(g.next().unwrap()),
            g.next().unwrap().tanh(),
            sigmoid(g.next().unwrap()),
        );
        let c_prev = state.narrow(1, hidden, hidden);
        let c = f * c_prev + i * gg;
        let h = o * c.clone().tanh();
        Tensor::cat(vec![h, c], 1)
    }

    fn assert_close(a: Tensor<2>, b: Tensor<2>, tol: f32) {
        let a: Vec<f32> = a.into_data().try_to_vec::<f32>().unwrap();
        let b: Vec<f32> = b.into_data().try_to_vec::<f32>().unwrap();
        assert_eq!(a.len(), b.len());
        for (k, (x, y)) in a.iter().zip(&b).enumerate() {
            assert!(
                (x - y).abs() <= tol * (1.0 + y.abs()),
                "element {k}: {x} vs {y}"
            );
        }
    }

    /// The fused cell and its gradients against burn's own operations, on a state that is a
    /// strided view (as it is in the model, where `h` is narrowed out of it).
    #[test]
    fn lstm_pointwise_matches_burn_ops_and_their_gradients() {
        let device = Device::flex().autodiff();
        device.seed(7);
        let (batch, hidden) = (5, 3);
        let u = Distribution::Uniform(-3.0, 3.0);
        let gates = Tensor::<2>::random([batch, 4 * hidden], u, &device).require_grad();
        let wide = Tensor::<2>::random([batch, 3 * hidden], u, &device).require_grad();
        let weights = Tensor::<2>::random([batch, 2 * hidden], u, &device);

        let run = |fused: bool| {
            let state = wide.clone().narrow(1, hidden, 2 * hidden);
            let out = if fused {
                lstm_pointwise(gates.clone(), state)
            } else {
                reference_lstm(gates.clone(), state, hidden)
            };
            let grads = (out.clone() * weights.clone()).sum().backward();
            (
                out.inner(),
                gates.grad(&grads).unwrap(),
                wide.grad(&grads).unwrap(),
            )
        };
        let (out, dg, dw) = run(true);
        let (out_ref, dg_ref, dw_ref) = run(false);
        assert_close(out, out_ref, 1e-6);
        assert_close(dg, dg_ref, 1e-6);
        assert_close(dw, dw_ref, 1e-6);
    }

    #[test]
    fn kl_sum_matches_burn_ops_and_their_gradients() {
        let device = Device::flex().autodiff();
        device.seed(11);
        let u = Distribution::Uniform(-2.0, 2.0);
        let inputs: Vec<Tensor<3>> = (0..4)
            .map(|_| Tensor::<3>::random([3, 5, 70], u, &device).require_grad())
            .collect();
        let run = |fused: bool| {
            let [mq, lvq, mp, lvp] = [0, 1, 2, 3].map(|k| inputs[k].clone());
            let kl = if fused {
                kl_sum(mq, lvq, mp, lvp)
            } else {
                ((lvp.clone() - lvq.clone()).mul_scalar(0.5)
                    + (lvq.exp() + (mq - mp).powi_scalar(2)) / lvp.exp().mul_scalar(2.0)
                    - 0.5)
                    .sum()
            };
            let grads = kl.clone().mul_scalar(0.7).backward();
            let g: Vec<Tensor<2>> = inputs
                .iter()
                .map(|t| t.grad(&grads).unwrap().reshape([15, 70]))
                .collect();
            (kl.inner().reshape([1, 1]), g)
        };
        let (kl, g) = run(true);
        let (kl_ref, g_ref) = run(false);
        assert_close(kl, kl_ref, 1e-5);
        for (a, b) in g.into_iter().zip(g_ref) {
            assert_close(a, b, 1e-5);
        }
    }

    /// `x W + b` and its three gradients against burn's own product, with `x` a narrowed view
    /// (as `h` is in the model) and a transposed one, at the model's sizes and at odd ones.
    #[test]
    fn linear_matches_burn_ops_and_their_gradients() {
        let device = Device::flex().autodiff();
        device.seed(5);
        let u = Distribution::Uniform(-1.0, 1.0);
        for (batch, inputs, out) in [(400, 33, 64), (7, 5, 13), (9, 65, 128), (6, 64, 1)] {
            let wide = Tensor::<2>::random([batch, inputs + 3], u, &device).require_grad();
            let tall = Tensor::<2>::random([inputs, batch], u, &device).require_grad();
            let weight = Tensor::<2>::random([inputs, out], u, &device).require_grad();
            let bias = Tensor::<1>::random([out], u, &device).require_grad();
            let mix = Tensor::<2>::random([batch, out], u, &device);
            for transposed in [false, true] {
                let run = |fused: bool| {
                    let x = if transposed {
                        tall.clone().transpose()
                    } else {
                        wide.clone().narrow(1, 2, inputs)
                    };
                    let y = if fused {
                        linear(x, weight.clone(), bias.clone())
                    } else {
                        x.matmul(weight.clone()) + bias.clone().unsqueeze::<2>()
                    };
                    let grads = (y.clone() * mix.clone()).sum().backward();
                    let dx = if transposed {
                        tall.grad(&grads).unwrap().transpose()
                    } else {
                        wide.grad(&grads).unwrap()
                    };
                    (
                        y.inner(),
                        dx,
                        weight.grad(&grads).unwrap(),
                        bias.grad(&grads).unwrap().reshape([1, out]),
                    )
                };
                let (y, dx, dw, db) = run(true);
                let (y_ref, dx_ref, dw_ref, db_ref) = run(false);
                assert_close(y, y_ref, 1e-5);
                assert_close(dx, dx_ref, 1e-5);
                assert_close(dw, dw_ref, 1e-4);
                assert_close(db, db_ref, 1e-4);
            }
        }
        // Without autodiff too.
        let plain = Device::flex();
        let x = Tensor::<2>::random([5, 3], u, &plain);
        let w = Tensor::<2>::random([3, 9], u, &plain);
        let b = Tensor::<1>::random([9], u, &plain);
        let want = x.clone().matmul(w.clone()) + b.clone().unsqueeze::<2>();
        assert_close(linear(x, w, b), want, 1e-6);
    }

    #[test]
    fn exp_matches_burn_and_its_gradient() {
        let device = Device::flex().autodiff();
        device.seed(3);
        let x =
            Tensor::<2>::random([4, 6], Distribution::Uniform(-5.0, 5.0), &device).require_grad();
        let w = Tensor::<2>::random([4, 6], Distribution::Uniform(-1.0, 1.0), &device);
        let run = |fused: bool| {
            let y = if fused {
                exp(x.clone())
            } else {
                x.clone().exp()
            };
            let grads = (y.clone() * w.clone()).sum().backward();
            (y.inner(), x.grad(&grads).unwrap())
        };
        let (y, g) = run(true);
        let (y_ref, g_ref) = run(false);
        assert_close(y, y_ref, 1e-6);
        assert_close(g, g_ref, 1e-6);
        // Without autodiff too.
        let plain =
            Tensor::<2>::from_data(TensorData::new(vec![0.5f32, -2.0], [1, 2]), &Device::flex());
        assert_close(exp(plain.clone()), plain.exp(), 1e-6);
    }
}
