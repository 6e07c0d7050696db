//! One part's loss and gradients computed by hand: the VRNN's forward and backward passes over
//! plain buffers, without burn's tensors or autodiff graph.
//!
//! Why by hand: a training helper in the browser spent more than half of a part outside
//! arithmetic (docs/benchmarks.md, "Where a helper's part goes"): some 200 small burn
//! operations per part, each with its allocation, copies, joins and graph node, around a
//! matrix kernel that already runs near WebAssembly's limit. Here the same arithmetic runs
//! through the same kernels ([`matmul`], the LSTM cell and KL element of `compute`), with the
//! weight gradients of every time point summed in one product over all rows. The buffers
//! follow the model's flat parameter order and layout ([`crate::parts`]), so the result is a
//! flat gradient buffer as [`crate::parts::PartModel`] returns it. The tests check it against
//! burn's autodiff of the same model.

use vrnn_kernels::matmul::{matmul, Strided};

use super::compute::{column_sums, exp_f32, kl_element, lstm_row, lstm_row_backward, sum_f32};
use crate::model::VrnnConfig;
use crate::parts::PartInput;

/// Where one `Linear` layer's weight (`[input, output]`) and bias sit in the flat buffer.
#[derive(Debug, Clone, Copy)]
struct Layer {
    at: usize,
    input: usize,
    output: usize,
}

impl Layer {
    fn weight<'a>(&self, v: &'a [f32]) -> &'a [f32] {
        &v[self.at..self.at + self.input * self.output]
    }
    fn bias<'a>(&self, v: &'a [f32]) -> &'a [f32] {
        let b = self.at + self.input * self.output;
        &v[b..b + self.output]
    }
    fn end(&self) -> usize {
        self.at + (self.input + 1) * self.output
    }
    /// The weight's transpose, `[output, input]`: the right-hand operand of `dy W^T`.
    fn weight_t(&self, v: &[f32]) -> Vec<f32> {
        let w = self.weight(v);
        let mut t = vec![0.0f32; w.len()];
        for i in 0..self.input {
            for o in 0..self.output {
                t[o * self.input + i] = w[i * self.output + o];
            }
        }
        t
    }
}

/// The model's parameters in their flat order (the module's field order, each `Linear` as
/// weight then bias; the LSTM as `weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`).
#[derive(Debug, Clone, Copy)]
struct Layout {
    enc1: Layer,
    enc2: Layer,
    enc_mean: Layer,
    enc_logvar: Layer,
    prior1: Layer,
    prior2: Layer,
    prior_mean: Layer,
    prior_logvar: Layer,
    /// `[W_ih; W_hh]`, contiguous in the flat buffer: `[x + z + h, 4 h]`, followed by
    /// `bias_ih` and `bias_hh` (`lstm_bias`).
    lstm: Layer,
    lstm_bias: usize,
    dec1: Layer,
    dec2: Layer,
    len: usize,
}

impl Layout {
    fn new(c: &VrnnConfig) -> Layout {
        let (x, h, z, w) = (c.x_dim, c.h_dim, c.z_dim, c.width);
        let mut at = 0;
        let mut layer = |input, output| {
            let l = Layer { at, input, output };
            at = l.end();
            l
        };
        let enc1 = layer(h + x, w);
        let enc2 = layer(w, w);
        let enc_mean = layer(w, z);
        let enc_logvar = layer(w, z);
        let prior1 = layer(h, w);
        let prior2 = layer(w, w);
        let prior_mean = layer(w, z);
        let prior_logvar = layer(w, z);
        let lstm = Layer {
            at,
            input: x + z + h,
            output: 4 * h,
        };
        let lstm_bias = at + (x + z + h) * 4 * h;
        let mut at = lstm_bias + 2 * 4 * h;
        let mut layer = |input, output| {
            let l = Layer { at, input, output };
            at = l.end();
            l
        };
        let dec1 = layer(h + z, w);
        let dec2 = layer(w, x);
        Layout {
            enc1,
            enc2,
            enc_mean,
            enc_logvar,
            prior1,
            prior2,
            prior_mean,
            prior_logvar,
            lstm,
            lstm_bias,
            dec1,
            dec2,
            len: at,
        }
    }
}

/// A row-major `rows x cols` buffer as the left operand of a product.
fn rows(data: &[f32], cols: usize) -> Strided<'_> {
    Strided {
        data,
        row: cols,
        col: 1,
    }
}

/// A row-major `rows x cols` buffer as the transposed left operand (`x^T dy`).
fn transposed(data: &[f32], cols: usize) -> Strided<'_> {
    Strided {
        data,
        row: 1,
        col: cols,
    }
}

/// `x W + b` for `m` rows, then ReLU where `relu` says so.
fn linear(layer: Layer, v: &[f32], m: usize, x: &[f32], out: &mut [f32], relu: bool) {
    matmul(
        m,
        layer.input,
        layer.output,
        rows(x, layer.input),
        layer.weight(v),
        Some(layer.bias(v)),
        out,
    );
    if relu {
        // A comparison, not `f32::max`: WebAssembly's `max` differs from Rust's on NaN, so
        // `max` becomes a call to libm's `fmaxf` per element there.
        for y in out.iter_mut() {
            *y = if *y > 0.0 { *y } else { 0.0 };
        }
    }
}

/// The weight's and bias's gradients of a layer from its input `x` and output gradient `dy`
/// over all `m` rows, written into `g`.
fn weight_grads(layer: Layer, g: &mut [f32], m: usize, x: &[f32], dy: &[f32]) {
    let (n_in, n_out) = (layer.input, layer.output);
    let w = layer.at..layer.at + n_in * n_out;
    matmul(
        n_in,
        m,
        n_out,
        transposed(x, n_in),
        dy,
        None,
        &mut g[w.clone()],
    );
    let bias = &mut g[w.end..w.end + n_out];
    column_sums(dy, n_out, bias);
}

/// `dy W^T` for `m` rows (`w_t` from [`Layer::weight_t`]), into `out` (`m x input`).
fn input_grad(layer: Layer, w_t: &[f32], m: usize, dy: &[f32], out: &mut [f32]) {
    matmul(
        m,
        layer.output,
        layer.input,
        rows(dy, layer.output),
        w_t,
        None,
        out,
    );
}

/// Zeroes `dy` where the ReLU's output `y` was zero.
fn relu_grad(y: &[f32], dy: &mut [f32]) {
    for (d, &v) in dy.iter_mut().zip(y) {
        if v <= 0.0 {
            *d = 0.0;
        }
    }
}

/// A step's weights made ready for parts: the flat buffer of [`crate::parts`], where each
/// layer sits in it, the LSTM's two biases summed, and the transposes the backward pass
/// multiplies by. A helper makes them once per optimiser step, not once per part.
pub struct Weights {
    config: VrnnConfig,
    layout: Layout,
    flat: Vec<f32>,
    lstm_bias: Vec<f32>,
    /// `W^T` of each layer the backward pass sends a gradient through, by layer.
    transposed: Transposes,
}

struct Transposes {
    enc1: Vec<f32>,
    enc2: Vec<f32>,
    enc_mean: Vec<f32>,
    enc_logvar: Vec<f32>,
    prior1: Vec<f32>,
    prior2: Vec<f32>,
    prior_mean: Vec<f32>,
    prior_logvar: Vec<f32>,
    lstm: Vec<f32>,
    dec1: Vec<f32>,
    dec2: Vec<f32>,
}

impl Weights {
    /// `flat` for a model of `config`'s sizes; refused when its length does not fit.
    pub fn new(config: &VrnnConfig, flat: Vec<f32>) -> Result<Weights, String> {
        let l = Layout::new(config);
        if flat.len() != l.len {
            return Err(format!(
                "{} weights for a model of {} parameters",
                flat.len(),
                l.len
            ));
        }
        let nh = config.h_dim;
        let lstm_bias = (0..4 * nh)
            .map(|j| flat[l.lstm_bias + j] + flat[l.lstm_bias + 4 * nh + j])
            .collect();
        let v = &flat;
        let transposed = Transposes {
            enc1: l.enc1.weight_t(v),
            enc2: l.enc2.weight_t(v),
            enc_mean: l.enc_mean.weight_t(v),
            enc_logvar: l.enc_logvar.weight_t(v),
            prior1: l.prior1.weight_t(v),
            prior2: l.prior2.weight_t(v),
            prior_mean: l.prior_mean.weight_t(v),
            prior_logvar: l.prior_logvar.weight_t(v),
            lstm: l.lstm.weight_t(v),
            dec1: l.dec1.weight_t(v),
            dec2: l.dec2.weight_t(v),
        };
        Ok(Weights {
            config: config.clone(),
            layout: l,
            flat,
            lstm_bias,
            transposed,
        })
    }

    /// The flat buffer.
    pub fn flat(&self) -> &[f32] {
        &self.flat
    }
}

/// The forward pass's values that the loss and the backward pass read. Rows are time-major:
/// row `t B + b` is gene `b` at step `t`, so that each step's rows, and the prior's and
/// decoder's inputs (`h_0..h_{T-1}` or `h_1..h_T`), are contiguous.
struct Forward {
    in_e1: Vec<f32>,
    e1: Vec<f32>,
    e2: Vec<f32>,
    mu_q: Vec<f32>,
    lv_q: Vec<f32>,
    std_q: Vec<f32>,
    in_l: Vec<f32>,
    acts: Vec<f32>,
    tanh_c: Vec<f32>,
    /// `h_0..h_T` and `c_0..c_T`, `B x h` each.
    hs: Vec<f32>,
    cs: Vec<f32>,
    p1: Vec<f32>,
    p2: Vec<f32>,
    mu_p: Vec<f32>,
    lv_p: Vec<f32>,
    in_d: Vec<f32>,
    d1: Vec<f32>,
    x_mean: Vec<f32>,
}

impl Forward {
    fn buffers(self) -> [Vec<f32>; 18] {
        [
            self.in_e1,
            self.e1,
            self.e2,
            self.mu_q,
            self.lv_q,
            self.std_q,
            self.in_l,
            self.acts,
            self.tanh_c,
            self.hs,
            self.cs,
            self.p1,
            self.p2,
            self.mu_p,
            self.lv_p,
            self.in_d,
            self.d1,
            self.x_mean,
        ]
    }
}

/// The loss's gradients with respect to the forward pass's outputs.
struct OutputGrads {
    x_mean: Vec<f32>,
    mu_q: Vec<f32>,
    lv_q: Vec<f32>,
    mu_p: Vec<f32>,
    lv_p: Vec<f32>,
}

/// Buffers kept from one part to the next. A part writes about 2.5 MB of intermediate
/// values; allocating them zeroed for every part spent a tenth of a helper's time in libc's
/// `memset` and the allocator (docs/benchmarks.md). Every buffer is overwritten whole before
/// it is read, except the few the passes add into, which [`Workspace::zeros`] clears.
#[derive(Default)]
pub struct Workspace {
    /// Free buffers by length: a run's parts come in one or two sizes (the last part of a
    /// batch may be shorter), so a buffer is reused whole, never resized.
    free: std::collections::BTreeMap<usize, Vec<Vec<f32>>>,
    kept: usize,
}

/// Buffers a workspace keeps at most (a part uses about 40).
const KEEP_AT_MOST: usize = 200;

impl Workspace {
    /// A buffer of `n` values whose contents are left from an earlier part: only for one the
    /// pass overwrites whole before reading it.
    fn stale(&mut self, n: usize) -> Vec<f32> {
        match self.free.get_mut(&n).and_then(Vec::pop) {
            Some(v) => {
                self.kept -= 1;
                v
            }
            None => vec![0.0; n],
        }
    }

    /// A buffer of `n` zeros.
    fn zeros(&mut self, n: usize) -> Vec<f32> {
        let mut v = self.stale(n);
        v.fill(0.0);
        v
    }

    /// Takes buffers back for the next part.
    fn keep(&mut self, buffers: impl IntoIterator<Item = Vec<f32>>) {
        for v in buffers {
            if self.kept >= KEEP_AT_MOST {
                self.free.clear();
                self.kept = 0;
            }
            self.free.entry(v.len()).or_default().push(v);
            self.kept += 1;
        }
    }
}

/// Refuses a part whose numbers do not fit its header or the weights.
fn check(w: &Weights, part: &PartInput) -> Result<(), String> {
    if part.header.model != w.config {
        return Err("a part for a model of other settings than its weights'".into());
    }
    part.check_sizes()
}

/// One part's loss (its share of the batch's: divided by `batch`): the inference pass of a
/// test part, `z` still sampled as the reference does.
pub fn part_loss(w: &Weights, part: &PartInput, ws: &mut Workspace) -> Result<f32, String> {
    check(w, part)?;
    let f = forward(w, part, ws);
    let (loss, _) = loss(&f, part, false, ws);
    ws.keep(f.buffers());
    Ok(loss)
}

/// One part's loss (its share of the batch's: divided by `batch`) and the flat gradients of
/// every weight, in the layout of [`Weights`].
pub fn part_gradients(
    w: &Weights,
    part: &PartInput,
    ws: &mut Workspace,
) -> Result<(f32, Vec<f32>), String> {
    check(w, part)?;
    let f = forward(w, part, ws);
    let (loss, d) = loss(&f, part, true, ws);
    let d = d.expect("asked for");
    Ok((loss, backward(w, part, f, d, ws)))
}

/// The VRNN's forward pass over the part's genes.
fn forward(w: &Weights, part: &PartInput, ws: &mut Workspace) -> Forward {
    let h = &part.header;
    let config = &h.model;
    let (l, v) = (&w.layout, &w.flat[..]);
    let (x, eps) = (&part.x[..], &part.eps[..]);
    let (nb, nt) = (h.genes, h.steps);
    let (nx, nh, nz, nw) = (config.x_dim, config.h_dim, config.z_dim, config.width);
    let r = nt * nb;
    let at_x = |b: usize, t: usize| (b * nt + t) * nx;
    let at_z = |b: usize, t: usize| (b * nt + t) * nz;
    let (ie1, il) = (nh + nx, nx + nz + nh);

    // The recurrence.
    let mut in_e1 = ws.stale(r * ie1);
    let mut e1 = ws.stale(r * nw);
    let mut e2 = ws.stale(r * nw);
    let mut mu_q = ws.stale(r * nz);
    let mut lv_q = ws.stale(r * nz);
    let mut std_q = ws.stale(r * nz);
    let mut z = ws.stale(r * nz);
    let mut in_l = ws.stale(r * il);
    let mut acts = ws.stale(r * 4 * nh);
    let mut tanh_c = ws.stale(r * nh);
    let mut hs = ws.zeros((nt + 1) * nb * nh);
    let mut cs = ws.zeros((nt + 1) * nb * nh);
    let mut gates = ws.stale(nb * 4 * nh);
    for t in 0..nt {
        let rs = t * nb..(t + 1) * nb;
        for b in 0..nb {
            let row = &mut in_e1[(t * nb + b) * ie1..(t * nb + b + 1) * ie1];
            row[..nh].copy_from_slice(&hs[(t * nb + b) * nh..(t * nb + b + 1) * nh]);
            row[nh..].copy_from_slice(&x[at_x(b, t)..at_x(b, t) + nx]);
        }
        let span = |n: usize| rs.start * n..rs.end * n;
        linear(l.enc1, v, nb, &in_e1[span(ie1)], &mut e1[span(nw)], true);
        linear(l.enc2, v, nb, &e1[span(nw)], &mut e2[span(nw)], true);
        linear(l.enc_mean, v, nb, &e2[span(nw)], &mut mu_q[span(nz)], false);
        linear(
            l.enc_logvar,
            v,
            nb,
            &e2[span(nw)],
            &mut lv_q[span(nz)],
            false,
        );
        for b in 0..nb {
            let k = (t * nb + b) * nz;
            // Rows cut to their exact length: no bounds checks in the loop, which vectorises.
            let (mu, lv) = (&mu_q[k..k + nz], &lv_q[k..k + nz]);
            let e = &eps[at_z(b, t)..at_z(b, t) + nz];
            let (sd, zr) = (&mut std_q[k..k + nz], &mut z[k..k + nz]);
            for j in 0..nz {
                let s = exp_f32(lv[j] * 0.5);
                sd[j] = s;
                zr[j] = mu[j] + s * e[j];
            }
            let row = &mut in_l[(t * nb + b) * il..(t * nb + b + 1) * il];
            row[..nx].copy_from_slice(&x[at_x(b, t)..at_x(b, t) + nx]);
            row[nx..nx + nz].copy_from_slice(&z[k..k + nz]);
            row[nx + nz..].copy_from_slice(&hs[(t * nb + b) * nh..(t * nb + b + 1) * nh]);
        }
        matmul(
            nb,
            il,
            4 * nh,
            rows(&in_l[span(il)], il),
            l.lstm.weight(v),
            Some(&w.lstm_bias),
            &mut gates,
        );
        for b in 0..nb {
            let row = t * nb + b;
            let (prev, next) = (row * nh, ((t + 1) * nb + b) * nh);
            let (before, after) = cs.split_at_mut(next);
            lstm_row(
                &gates[b * 4 * nh..(b + 1) * 4 * nh],
                &before[prev..prev + nh],
                &mut acts[row * 4 * nh..(row + 1) * 4 * nh],
                &mut tanh_c[prev..prev + nh],
                &mut hs[next..next + nh],
                &mut after[..nh],
            );
        }
    }

    // The prior and the decoder over all rows.
    let h_prev = &hs[..r * nh];
    let h_dec = if config.decoder_previous_h {
        &hs[..r * nh]
    } else {
        &hs[nb * nh..]
    };
    let mut p1 = ws.stale(r * nw);
    let mut p2 = ws.stale(r * nw);
    let mut mu_p = ws.stale(r * nz);
    let mut lv_p = ws.stale(r * nz);
    linear(l.prior1, v, r, h_prev, &mut p1, true);
    linear(l.prior2, v, r, &p1, &mut p2, true);
    linear(l.prior_mean, v, r, &p2, &mut mu_p, false);
    linear(l.prior_logvar, v, r, &p2, &mut lv_p, false);
    let id = nh + nz;
    let mut in_d = ws.stale(r * id);
    for k in 0..r {
        in_d[k * id..k * id + nh].copy_from_slice(&h_dec[k * nh..(k + 1) * nh]);
        in_d[k * id + nh..(k + 1) * id].copy_from_slice(&z[k * nz..(k + 1) * nz]);
    }
    let mut d1 = ws.stale(r * nw);
    let mut x_mean = ws.stale(r * nx);
    linear(l.dec1, v, r, &in_d, &mut d1, true);
    linear(l.dec2, v, r, &d1, &mut x_mean, false);
    ws.keep([gates, z]);
    Forward {
        in_e1,
        e1,
        e2,
        mu_q,
        lv_q,
        std_q,
        in_l,
        acts,
        tanh_c,
        hs,
        cs,
        p1,
        p2,
        mu_p,
        lv_p,
        in_d,
        d1,
        x_mean,
    }
}

/// The part's loss, and (with `grads`) its gradients with respect to the reconstruction and
/// the two distributions' parameters.
fn loss(
    f: &Forward,
    part: &PartInput,
    grads: bool,
    ws: &mut Workspace,
) -> (f32, Option<OutputGrads>) {
    let h = &part.header;
    let (nb, nt, nx, nz) = (h.genes, h.steps, h.model.x_dim, h.model.z_dim);
    let r = nt * nb;
    let (x, inverse_variance) = (&part.x[..], part.w.as_deref());
    let scale = 1.0 / h.batch as f64;
    let mut sq = ws.stale(r * nx);
    let mut d_xm = ws.stale(if grads { r * nx } else { 0 });
    for t in 0..nt {
        for b in 0..nb {
            for i in 0..nx {
                let k = (t * nb + b) * nx + i;
                let at = (b * nt + t) * nx + i;
                let w = inverse_variance.map_or(1.0, |w| w[at]);
                let diff = x[at] - f.x_mean[k];
                sq[k] = diff * diff * w * 0.5;
                if grads {
                    d_xm[k] = (-(diff * w) as f64 * scale) as f32;
                }
            }
        }
    }
    let recon = sum_f32(&sq);
    let kl_scale = (h.beta * scale) as f32;
    let mut kl_terms = ws.stale(r * nz);
    let n = if grads { r * nz } else { 0 };
    let (mut d_mq, mut d_lvq) = (ws.stale(n), ws.stale(n));
    let (mut d_mp, mut d_lvp) = (ws.stale(n), ws.stale(n));
    // Every slice cut to the exact length, and one loop per case: no bounds checks or
    // branches inside, so the loops vectorise (this was 8 % of a part's time).
    let m = r * nz;
    let (mq, lvq, mp, lvp) = (&f.mu_q[..m], &f.lv_q[..m], &f.mu_p[..m], &f.lv_p[..m]);
    let terms = &mut kl_terms[..m];
    if grads {
        let (d0, d1) = (&mut d_mq[..m], &mut d_lvq[..m]);
        let (d2, d3) = (&mut d_mp[..m], &mut d_lvp[..m]);
        for k in 0..m {
            let (term, p) = kl_element(mq[k], lvq[k], mp[k], lvp[k]);
            terms[k] = term;
            d0[k] = kl_scale * p[0];
            d1[k] = kl_scale * p[1];
            d2[k] = kl_scale * p[2];
            d3[k] = kl_scale * p[3];
        }
    } else {
        for k in 0..m {
            terms[k] = kl_element(mq[k], lvq[k], mp[k], lvp[k]).0;
        }
    }
    let kl = sum_f32(&kl_terms);
    let loss = (recon * scale + h.beta * (kl * scale)) as f32;
    ws.keep([sq, kl_terms]);
    let d = if grads {
        Some(OutputGrads {
            x_mean: d_xm,
            mu_q: d_mq,
            lv_q: d_lvq,
            mu_p: d_mp,
            lv_p: d_lvp,
        })
    } else {
        ws.keep([d_xm, d_mq, d_lvq, d_mp, d_lvp]);
        None
    };
    (loss, d)
}

/// The backward pass: every weight's gradient from the output gradients `d`.
fn backward(
    w: &Weights,
    part: &PartInput,
    f: Forward,
    d: OutputGrads,
    ws: &mut Workspace,
) -> Vec<f32> {
    let h = &part.header;
    let config = &h.model;
    let (l, tr) = (&w.layout, &w.transposed);
    let eps = &part.eps[..];
    let (nb, nt) = (h.genes, h.steps);
    let (nx, nh, nz, nw) = (config.x_dim, config.h_dim, config.z_dim, config.width);
    let r = nt * nb;
    let at_z = |b: usize, t: usize| (b * nt + t) * nz;
    let (ie1, il, id) = (nh + nx, nx + nz + nh, nh + nz);
    let OutputGrads {
        x_mean: d_xm,
        mu_q: mut d_mq,
        lv_q: mut d_lvq,
        mu_p: d_mp,
        lv_p: d_lvp,
    } = d;

    // The decoder and the prior.
    let mut g = ws.stale(l.len); // handed to the caller
    let mut d_h = ws.zeros((nt + 1) * nb * nh);
    let mut d_z = ws.zeros(r * nz);
    weight_grads(l.dec2, &mut g, r, &f.d1, &d_xm);
    let mut d_d1 = ws.stale(r * nw);
    input_grad(l.dec2, &tr.dec2, r, &d_xm, &mut d_d1);
    relu_grad(&f.d1, &mut d_d1);
    weight_grads(l.dec1, &mut g, r, &f.in_d, &d_d1);
    let mut d_in_d = ws.stale(r * id);
    input_grad(l.dec1, &tr.dec1, r, &d_d1, &mut d_in_d);
    let h_dec_at = if config.decoder_previous_h {
        0
    } else {
        nb * nh
    };
    let to_h = d_h[h_dec_at..h_dec_at + r * nh].chunks_exact_mut(nh);
    for ((dh, dz), from) in to_h
        .zip(d_z.chunks_exact_mut(nz))
        .zip(d_in_d.chunks_exact(id))
    {
        for (a, v) in dh.iter_mut().zip(&from[..nh]) {
            *a += v;
        }
        for (a, v) in dz.iter_mut().zip(&from[nh..]) {
            *a += v;
        }
    }
    weight_grads(l.prior_mean, &mut g, r, &f.p2, &d_mp);
    weight_grads(l.prior_logvar, &mut g, r, &f.p2, &d_lvp);
    let mut d_p2 = ws.stale(r * nw);
    let mut other = ws.stale(r * nw);
    input_grad(l.prior_mean, &tr.prior_mean, r, &d_mp, &mut d_p2);
    input_grad(l.prior_logvar, &tr.prior_logvar, r, &d_lvp, &mut other);
    for (a, b) in d_p2.iter_mut().zip(&other) {
        *a += b;
    }
    relu_grad(&f.p2, &mut d_p2);
    weight_grads(l.prior2, &mut g, r, &f.p1, &d_p2);
    let mut d_p1 = ws.stale(r * nw);
    input_grad(l.prior2, &tr.prior2, r, &d_p2, &mut d_p1);
    relu_grad(&f.p1, &mut d_p1);
    weight_grads(l.prior1, &mut g, r, &f.hs[..r * nh], &d_p1);
    let mut d_hp = ws.stale(r * nh);
    input_grad(l.prior1, &tr.prior1, r, &d_p1, &mut d_hp);
    for (a, b) in d_h[..r * nh].iter_mut().zip(&d_hp) {
        *a += b;
    }

    // The recurrence, last step first.
    let mut d_gates = ws.stale(r * 4 * nh);
    let mut d_e2 = ws.stale(r * nw);
    let mut d_e1 = ws.stale(r * nw);
    let (mut d_c, mut d_c_prev) = (ws.zeros(nb * nh), ws.stale(nb * nh));
    let mut d_in_l = ws.stale(nb * il);
    let mut d_in_e1 = ws.stale(nb * ie1);
    let mut other2 = ws.stale(nb * nw);
    for t in (0..nt).rev() {
        let span = |n: usize| t * nb * n..(t + 1) * nb * n;
        // `d_c` holds the gradient of `c_{t+1}`; the step leaves that of `c_t` in `d_c_prev`.
        for b in 0..nb {
            let row = t * nb + b;
            let next = ((t + 1) * nb + b) * nh;
            lstm_row_backward(
                &f.acts[row * 4 * nh..(row + 1) * 4 * nh],
                &f.cs[row * nh..(row + 1) * nh],
                &f.tanh_c[row * nh..(row + 1) * nh],
                &d_h[next..next + nh],
                &d_c[b * nh..(b + 1) * nh],
                &mut d_gates[row * 4 * nh..(row + 1) * 4 * nh],
                &mut d_c_prev[b * nh..(b + 1) * nh],
            );
        }
        std::mem::swap(&mut d_c, &mut d_c_prev);
        matmul(
            nb,
            4 * nh,
            il,
            rows(&d_gates[span(4 * nh)], 4 * nh),
            &tr.lstm,
            None,
            &mut d_in_l,
        );
        for b in 0..nb {
            let row = t * nb + b;
            let d = &d_in_l[b * il..(b + 1) * il];
            let k = row * nz;
            let (dz_dec, dz_lstm) = (&d_z[k..k + nz], &d[nx..nx + nz]);
            let (e, sd) = (&eps[at_z(b, t)..at_z(b, t) + nz], &f.std_q[k..k + nz]);
            let (dmq, dlvq) = (&mut d_mq[k..k + nz], &mut d_lvq[k..k + nz]);
            for j in 0..nz {
                let dz = dz_dec[j] + dz_lstm[j];
                dmq[j] += dz;
                dlvq[j] += dz * e[j] * sd[j] * 0.5;
            }
            for (a, v) in d_h[row * nh..(row + 1) * nh].iter_mut().zip(&d[nx + nz..]) {
                *a += v;
            }
        }
        input_grad(
            l.enc_mean,
            &tr.enc_mean,
            nb,
            &d_mq[span(nz)],
            &mut d_e2[span(nw)],
        );
        input_grad(
            l.enc_logvar,
            &tr.enc_logvar,
            nb,
            &d_lvq[span(nz)],
            &mut other2,
        );
        for (a, b) in d_e2[span(nw)].iter_mut().zip(&other2) {
            *a += b;
        }
        relu_grad(&f.e2[span(nw)], &mut d_e2[span(nw)]);
        input_grad(l.enc2, &tr.enc2, nb, &d_e2[span(nw)], &mut d_e1[span(nw)]);
        relu_grad(&f.e1[span(nw)], &mut d_e1[span(nw)]);
        input_grad(l.enc1, &tr.enc1, nb, &d_e1[span(nw)], &mut d_in_e1);
        for b in 0..nb {
            let row = t * nb + b;
            let from = &d_in_e1[b * ie1..b * ie1 + nh];
            for (a, v) in d_h[row * nh..(row + 1) * nh].iter_mut().zip(from) {
                *a += v;
            }
        }
    }
    weight_grads(l.lstm, &mut g, r, &f.in_l, &d_gates);
    // Both LSTM biases get the gates' gradient (`weight_grads` wrote it after the weights).
    let (first, second) = g[l.lstm_bias..l.lstm_bias + 8 * nh].split_at_mut(4 * nh);
    second.copy_from_slice(first);
    weight_grads(l.enc_mean, &mut g, r, &f.e2, &d_mq);
    weight_grads(l.enc_logvar, &mut g, r, &f.e2, &d_lvq);
    weight_grads(l.enc2, &mut g, r, &f.e1, &d_e2);
    weight_grads(l.enc1, &mut g, r, &f.in_e1, &d_e1);
    ws.keep([
        d_xm, d_mq, d_lvq, d_mp, d_lvp, d_h, d_z, d_d1, d_in_d, d_p2, other, d_p1,
    ]);
    ws.keep([
        d_hp, d_gates, d_e2, d_e1, d_c, d_c_prev, d_in_l, d_in_e1, other2,
    ]);
    ws.keep(f.buffers());
    g
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parts::{PartHeader, PartInput, PartModel};
    use burn::module::Module;
    use burn::tensor::{Device, Tensor, TensorData};

    /// burn's autodiff of the same part ([`crate::parts::part_gradients`]), and its
    /// inference pass's loss (a test part's, [`crate::parts::part_loss`]).
    fn burns(config: &VrnnConfig, part: &PartInput, seed: u64) -> (Vec<f32>, f32, Vec<f32>, f32) {
        let device = Device::flex();
        device.seed(seed);
        let device = device.autodiff();
        let model = config.init(&device);
        let weights = pollster::block_on(model.flat_weights());
        let h = &part.header;
        let shape = |v: &[f32], d: usize| {
            Tensor::<3>::from_data(TensorData::new(v.to_vec(), [h.genes, h.steps, d]), &device)
        };
        let w = part.w.as_deref().map(|w| shape(w, 1));
        let inference = crate::parts::part_loss(
            &model.valid(),
            shape(&part.x, 1).inner(),
            shape(&part.eps, config.z_dim).inner(),
            w.clone().map(|w| w.inner()),
            h.beta,
            h.batch,
        );
        let inference = pollster::block_on(crate::model::read(inference))[0];
        let (loss, grads) = crate::parts::part_gradients(
            &model,
            shape(&part.x, 1),
            shape(&part.eps, config.z_dim),
            w,
            h.beta,
            h.batch,
        );
        let loss = pollster::block_on(crate::model::read(loss.inner()))[0];
        let grads = pollster::block_on(model.flat_gradients(&grads));
        (weights, loss, grads, inference)
    }

    fn part(config: &VrnnConfig, genes: usize, steps: usize, weighted: bool) -> PartInput {
        let mut k = 0u32;
        let mut next = || {
            k = k.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (k >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0
        };
        let x = (0..genes * steps).map(|_| next() * 2.0).collect();
        let eps = (0..genes * steps * config.z_dim).map(|_| next()).collect();
        let w = weighted.then(|| (0..genes * steps).map(|_| 0.5 + next().abs()).collect());
        PartInput {
            header: PartHeader {
                step: 3,
                index: 0,
                batch: 4 * genes,
                genes,
                steps,
                beta: 0.7,
                model: config.clone(),
                test: false,
            },
            x,
            eps,
            w,
        }
    }

    fn against_burn(config: VrnnConfig, weighted: bool) {
        let p = part(&config, 7, 5, weighted);
        let (weights, loss, want, inference) = burns(&config, &p, 17);
        let h = &p.header;
        let prepared = Weights::new(&config, weights.clone()).unwrap();
        let (got_loss, got) = part_gradients(&prepared, &p, &mut Workspace::default()).unwrap();
        assert!(
            (got_loss - loss).abs() <= 1e-5 * loss.abs(),
            "loss {got_loss} against burn's {loss}"
        );
        // A helper's PartModel computes a training part this way.
        let mut helper = PartModel::new(config.clone(), Device::flex().autodiff());
        helper.set_weights(h.step, &weights).unwrap();
        let out = pollster::block_on(helper.compute(&p)).unwrap();
        assert_eq!((out.loss, &out.grads), (got_loss, &got));
        // A test part: the same forward pass, its loss only.
        let test_loss = part_loss(&prepared, &p, &mut Workspace::default()).unwrap();
        assert!(
            (test_loss - inference).abs() <= 1e-5 * inference.abs(),
            "test loss {test_loss} against burn's {inference}"
        );
        assert_eq!(test_loss, got_loss, "the same forward pass as training's");
        let mut test = p.clone();
        test.header.test = true;
        let out = pollster::block_on(helper.compute(&test)).unwrap();
        assert_eq!((out.loss, out.grads.len()), (test_loss, 0));
        assert_eq!(got.len(), want.len());
        let scale = want.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        for (k, (a, b)) in got.iter().zip(&want).enumerate() {
            assert!(
                (a - b).abs() <= 1e-4 * scale + 1e-4 * b.abs(),
                "gradient {k}: {a} against burn's {b} (largest {scale})"
            );
        }
    }

    #[test]
    fn a_part_by_hand_is_burns_autodiff() {
        let config = VrnnConfig::new().with_h_dim(6).with_z_dim(3).with_width(5);
        against_burn(config.clone(), false);
        against_burn(config.clone(), true);
        against_burn(config.with_decoder_previous_h(true), true);
    }

    /// Buffers kept from earlier parts (of other sizes and numbers, training and test) change
    /// nothing: each part gives the bits of a fresh workspace.
    #[test]
    fn a_kept_workspace_gives_a_fresh_ones_numbers() {
        let config = VrnnConfig::new().with_h_dim(6).with_z_dim(3).with_width(5);
        let n = Layout::new(&config).len;
        let weights = Weights::new(
            &config,
            (0..n)
                .map(|i| ((i * 37 % 101) as f32 - 50.0) / 200.0)
                .collect(),
        )
        .unwrap();
        let mut kept = Workspace::default();
        for (genes, steps, weighted, test) in [
            (7, 5, true, false),
            (3, 5, false, false),
            (7, 5, false, true),
            (7, 5, false, false),
            (3, 4, true, false),
            (7, 5, true, false),
        ] {
            let mut p = part(&config, genes, steps, weighted);
            p.x.iter_mut().for_each(|x| *x += genes as f32 * 0.1);
            if test {
                let fresh = part_loss(&weights, &p, &mut Workspace::default()).unwrap();
                assert_eq!(
                    part_loss(&weights, &p, &mut kept).unwrap().to_bits(),
                    fresh.to_bits()
                );
            } else {
                let fresh = part_gradients(&weights, &p, &mut Workspace::default()).unwrap();
                let again = part_gradients(&weights, &p, &mut kept).unwrap();
                assert_eq!(again.0.to_bits(), fresh.0.to_bits());
                let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(
                    bits(&again.1),
                    bits(&fresh.1),
                    "{genes} genes x {steps} steps"
                );
            }
        }
        assert!(kept.kept > 0);
    }

    #[test]
    fn a_part_of_the_wrong_size_is_refused() {
        let config = VrnnConfig::new();
        let err = Weights::new(&config, vec![0.0; 10]).err().unwrap();
        assert!(err.contains("10 weights for a model of"), "{err}");
        let n = Layout::new(&config).len;
        let w = Weights::new(&config, vec![0.0; n]).unwrap();
        let mut p = part(&config, 3, 4, false);
        p.x.pop();
        let ws = &mut Workspace::default();
        let err = part_gradients(&w, &p, ws).err().unwrap();
        assert!(err.contains("11 values of x, expected 12"), "{err}");
        let err = part_loss(&w, &p, ws).err().unwrap();
        assert!(err.contains("values of x"), "{err}");
        let mut p = part(&config.clone().with_width(5), 3, 4, false);
        let err = part_loss(&w, &p, ws).err().unwrap();
        assert!(err.contains("other settings"), "{err}");
        p.header.model = config.clone();
        p.eps.push(0.0);
        assert!(part_loss(&w, &p, ws)
            .err()
            .unwrap()
            .contains("values of noise"));
    }
}
