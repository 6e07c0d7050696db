//! The kernels' arithmetic on plain slices: what [`super`] wires into burn's graph.

use burn::backend::flex::FlexTensor;
use burn::tensor::TensorData;
use vrnn_kernels::matmul::{matmul, Strided};

use super::LstmSaved;

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
pub(super) fn sigmoid_f32(x: f32) -> f32 {
    1.0 / (1.0 + exp_f32(-x))
}

/// `tanh(x) = 2 sigmoid(2x) - 1`: one `exp`, as in `model::tanh_via_sigmoid`.
#[inline(always)]
pub(super) fn tanh_f32(x: f32) -> f32 {
    2.0 / (1.0 + exp_f32(-2.0 * x)) - 1.0
}

/// A tensor's values in row-major order (copied only when the layout is not contiguous).
pub(super) fn values(t: &FlexTensor) -> std::borrow::Cow<'_, [f32]> {
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
pub(super) fn with_strided<R>(t: &FlexTensor, f: impl FnOnce(Strided<'_>) -> R) -> R {
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

pub(super) fn linear_forward(x: &FlexTensor, weight: &FlexTensor, bias: &FlexTensor) -> FlexTensor {
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

pub(super) fn dims2(t: &FlexTensor) -> [usize; 2] {
    t.layout().shape().dims::<2>()
}

pub(super) fn tensor(values: Vec<f32>, shape: [usize; 2]) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape))
}

pub(super) fn exp_tensor(x: &FlexTensor) -> FlexTensor {
    let shape = x.layout().shape().clone();
    let out: Vec<f32> = values(x).iter().map(|&v| exp_f32(v)).collect();
    FlexTensor::from_data(TensorData::new(out, shape))
}

/// The KL term of one element and its partial derivatives with respect to
/// `mu_q, logvar_q, mu_p, logvar_p`.
#[inline(always)]
pub(super) fn kl_element(mq: f32, lvq: f32, mp: f32, lvp: f32) -> (f32, [f32; 4]) {
    let d = mq - mp;
    let inv_var_p = exp_f32(-lvp);
    let ratio = exp_f32(lvq - lvp);
    let scaled = 0.5 * (ratio + d * d * inv_var_p);
    let term = 0.5 * (lvp - lvq) + scaled - 0.5;
    let d_mq = d * inv_var_p;
    (term, [d_mq, 0.5 * ratio - 0.5, -d_mq, 0.5 - scaled])
}

pub(super) fn kl_forward(inputs: &[FlexTensor; 4]) -> FlexTensor {
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
pub(super) fn sum_f32(values: &[f32]) -> f64 {
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

pub(super) fn kl_backward(inputs: &[FlexTensor; 4], g: f32) -> [FlexTensor; 4] {
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

pub(super) fn lstm_forward(gates: &FlexTensor, state: &FlexTensor) -> (FlexTensor, LstmSaved) {
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
        let cp = &mut c_prev[b * hidden..(b + 1) * hidden];
        cp.copy_from_slice(&s[b * 2 * hidden + hidden..(b + 1) * 2 * hidden]);
        let (h_out, c_out) = out[b * 2 * hidden..(b + 1) * 2 * hidden].split_at_mut(hidden);
        lstm_row(
            &a[b * four_h..(b + 1) * four_h],
            cp,
            &mut acts[b * four_h..(b + 1) * four_h],
            &mut tanh_c[b * hidden..(b + 1) * hidden],
            h_out,
            c_out,
        );
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
pub(super) fn lstm_backward(saved: &LstmSaved, grad: &FlexTensor) -> (FlexTensor, FlexTensor) {
    let hidden = saved.hidden;
    let batch = saved.c_prev.len() / hidden.max(1);
    let grad = values(grad);
    let mut d_gates = vec![0.0f32; batch * 4 * hidden];
    let mut d_state = vec![0.0f32; batch * 2 * hidden];
    for b in 0..batch {
        let (dh, dc_out) = grad[b * 2 * hidden..(b + 1) * 2 * hidden].split_at(hidden);
        lstm_row_backward(
            &saved.acts[b * 4 * hidden..(b + 1) * 4 * hidden],
            &saved.c_prev[b * hidden..(b + 1) * hidden],
            &saved.tanh_c[b * hidden..(b + 1) * hidden],
            dh,
            dc_out,
            &mut d_gates[b * 4 * hidden..(b + 1) * 4 * hidden],
            &mut d_state[b * 2 * hidden + hidden..(b + 1) * 2 * hidden],
        );
    }
    (
        tensor(d_gates, [batch, 4 * hidden]),
        tensor(d_state, [batch, 2 * hidden]),
    )
}

/// One sequence's LSTM cell after its matrix products: the activations of `gates` (`i, f, g,
/// o`) into `act`, then from the previous cell state `c_prev` the new `c`, `tanh(c)` and `h`.
/// Shared by the kernel above and [`super::by_hand`].
#[inline(always)]
pub(super) fn lstm_row(
    gates: &[f32],
    c_prev: &[f32],
    act: &mut [f32],
    tanh_c: &mut [f32],
    h: &mut [f32],
    c: &mut [f32],
) {
    // Every slice cut to its exact length, so that the loops below carry no bounds checks
    // and vectorise.
    let hidden = c_prev.len();
    let (gates, act) = (&gates[..4 * hidden], &mut act[..4 * hidden]);
    let (tanh_c, h, c) = (&mut tanh_c[..hidden], &mut h[..hidden], &mut c[..hidden]);
    let (sig_if, rest) = act.split_at_mut(2 * hidden);
    let (g, o) = rest.split_at_mut(hidden);
    for (y, &x) in sig_if.iter_mut().zip(&gates[..2 * hidden]) {
        *y = sigmoid_f32(x);
    }
    for (y, &x) in g.iter_mut().zip(&gates[2 * hidden..3 * hidden]) {
        *y = tanh_f32(x);
    }
    for (y, &x) in o.iter_mut().zip(&gates[3 * hidden..4 * hidden]) {
        *y = sigmoid_f32(x);
    }
    let (i, f) = sig_if.split_at(hidden);
    for j in 0..hidden {
        let cj = f[j] * c_prev[j] + i[j] * g[j];
        c[j] = cj;
        tanh_c[j] = tanh_f32(cj);
        h[j] = o[j] * tanh_c[j];
    }
}

/// The gradient of [`lstm_row`]: from those of the new `h` and `c` (`dh`, `dc`), the gates'
/// pre-activations' (`d_gates`) and the previous cell state's (`dc_prev`).
#[inline(always)]
pub(super) fn lstm_row_backward(
    act: &[f32],
    c_prev: &[f32],
    tanh_c: &[f32],
    dh: &[f32],
    dc: &[f32],
    d_gates: &mut [f32],
    dc_prev: &mut [f32],
) {
    // Cut to exact lengths, as in `lstm_row`.
    let hidden = c_prev.len();
    let (act, d_gates) = (&act[..4 * hidden], &mut d_gates[..4 * hidden]);
    let (tanh_c, dh, dc) = (&tanh_c[..hidden], &dh[..hidden], &dc[..hidden]);
    let dc_prev = &mut dc_prev[..hidden];
    let (i, rest) = act.split_at(hidden);
    let (f, rest) = rest.split_at(hidden);
    let (g, o) = rest.split_at(hidden);
    let (da_i, rest) = d_gates.split_at_mut(hidden);
    let (da_f, rest) = rest.split_at_mut(hidden);
    let (da_g, da_o) = rest.split_at_mut(hidden);
    for j in 0..hidden {
        let tc = tanh_c[j];
        let dcj = dc[j] + dh[j] * o[j] * (1.0 - tc * tc);
        da_i[j] = dcj * g[j] * i[j] * (1.0 - i[j]);
        da_f[j] = dcj * c_prev[j] * f[j] * (1.0 - f[j]);
        da_g[j] = dcj * i[j] * (1.0 - g[j] * g[j]);
        da_o[j] = dh[j] * tc * o[j] * (1.0 - o[j]);
        dc_prev[j] = dcj * f[j];
    }
}

/// The sums of each of the `n` columns of a row-major `dy`, into `out`: a bias's gradient.
pub(super) fn column_sums(dy: &[f32], n: usize, out: &mut [f32]) {
    out.fill(0.0);
    for row in dy.chunks_exact(n) {
        for (o, &d) in out.iter_mut().zip(row) {
            *o += d;
        }
    }
}
