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
fn forward(layer: Layer, v: &[f32], m: usize, x: &[f32], out: &mut [f32], relu: bool) {
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

/// One part's loss (its share of the batch's: divided by `batch`) and the flat gradients of
/// every weight. `weights` is the flat buffer of [`crate::parts`]; `x` and `inverse_variance`
/// are `[genes, steps, x_dim]`, `eps` is `[genes, steps, z_dim]`, all row-major.
#[allow(clippy::too_many_arguments)]
pub fn part_gradients(
    config: &VrnnConfig,
    weights: &[f32],
    x: &[f32],
    eps: &[f32],
    inverse_variance: Option<&[f32]>,
    genes: usize,
    steps: usize,
    beta: f64,
    batch: usize,
) -> Result<(f32, Vec<f32>), String> {
    let l = Layout::new(config);
    let (nb, nt) = (genes, steps);
    let (nx, nh, nz, nw) = (config.x_dim, config.h_dim, config.z_dim, config.width);
    if weights.len() != l.len {
        return Err(format!(
            "{} weights for a model of {} parameters",
            weights.len(),
            l.len
        ));
    }
    let sized = |v: &[f32], n: usize, what: &str| {
        if v.len() == n {
            Ok(())
        } else {
            Err(format!("{} values of {what}, expected {n}", v.len()))
        }
    };
    sized(x, nb * nt * nx, "x")?;
    sized(eps, nb * nt * nz, "noise")?;
    if let Some(w) = inverse_variance {
        sized(w, nb * nt * nx, "weights")?;
    }
    let v = weights;
    // Rows are time-major: row `t B + b` is gene `b` at step `t`, so that each step's rows,
    // and the prior's and decoder's inputs (`h_0..h_{T-1}` or `h_1..h_T`), are contiguous.
    let r = nt * nb;
    let at_x = |b: usize, t: usize| (b * nt + t) * nx;
    let at_z = |b: usize, t: usize| (b * nt + t) * nz;
    let (ie1, il) = (nh + nx, nx + nz + nh);

    // Forward: the recurrence.
    let mut in_e1 = vec![0.0f32; r * ie1];
    let mut e1 = vec![0.0f32; r * nw];
    let mut e2 = vec![0.0f32; r * nw];
    let mut mu_q = vec![0.0f32; r * nz];
    let mut lv_q = vec![0.0f32; r * nz];
    let mut std_q = vec![0.0f32; r * nz];
    let mut z = vec![0.0f32; r * nz];
    let mut in_l = vec![0.0f32; r * il];
    let mut acts = vec![0.0f32; r * 4 * nh];
    let mut tanh_c = vec![0.0f32; r * nh];
    // `h_0..h_T` and `c_0..c_T`, `B x h` each.
    let mut hs = vec![0.0f32; (nt + 1) * nb * nh];
    let mut cs = vec![0.0f32; (nt + 1) * nb * nh];
    let lstm_bias: Vec<f32> = (0..4 * nh)
        .map(|j| v[l.lstm_bias + j] + v[l.lstm_bias + 4 * nh + j])
        .collect();
    let mut gates = vec![0.0f32; nb * 4 * nh];
    for t in 0..nt {
        let rs = t * nb..(t + 1) * nb;
        for b in 0..nb {
            let row = &mut in_e1[(t * nb + b) * ie1..(t * nb + b + 1) * ie1];
            row[..nh].copy_from_slice(&hs[(t * nb + b) * nh..(t * nb + b + 1) * nh]);
            row[nh..].copy_from_slice(&x[at_x(b, t)..at_x(b, t) + nx]);
        }
        let span = |n: usize| rs.start * n..rs.end * n;
        forward(l.enc1, v, nb, &in_e1[span(ie1)], &mut e1[span(nw)], true);
        forward(l.enc2, v, nb, &e1[span(nw)], &mut e2[span(nw)], true);
        forward(l.enc_mean, v, nb, &e2[span(nw)], &mut mu_q[span(nz)], false);
        forward(
            l.enc_logvar,
            v,
            nb,
            &e2[span(nw)],
            &mut lv_q[span(nz)],
            false,
        );
        for b in 0..nb {
            let k = (t * nb + b) * nz;
            for j in 0..nz {
                let s = exp_f32(lv_q[k + j] * 0.5);
                std_q[k + j] = s;
                z[k + j] = mu_q[k + j] + s * eps[at_z(b, t) + j];
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
            Some(&lstm_bias),
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

    // Forward: the prior and the decoder over all rows.
    let h_prev = &hs[..r * nh];
    let h_dec = if config.decoder_previous_h {
        &hs[..r * nh]
    } else {
        &hs[nb * nh..]
    };
    let mut p1 = vec![0.0f32; r * nw];
    let mut p2 = vec![0.0f32; r * nw];
    let mut mu_p = vec![0.0f32; r * nz];
    let mut lv_p = vec![0.0f32; r * nz];
    forward(l.prior1, v, r, h_prev, &mut p1, true);
    forward(l.prior2, v, r, &p1, &mut p2, true);
    forward(l.prior_mean, v, r, &p2, &mut mu_p, false);
    forward(l.prior_logvar, v, r, &p2, &mut lv_p, false);
    let id = nh + nz;
    let mut in_d = vec![0.0f32; r * id];
    for k in 0..r {
        in_d[k * id..k * id + nh].copy_from_slice(&h_dec[k * nh..(k + 1) * nh]);
        in_d[k * id + nh..(k + 1) * id].copy_from_slice(&z[k * nz..(k + 1) * nz]);
    }
    let mut d1 = vec![0.0f32; r * nw];
    let mut x_mean = vec![0.0f32; r * nx];
    forward(l.dec1, v, r, &in_d, &mut d1, true);
    forward(l.dec2, v, r, &d1, &mut x_mean, false);

    // The loss, and the gradients of the reconstruction and KL terms.
    let scale = 1.0 / batch as f64;
    let mut sq = vec![0.0f32; r * nx];
    let mut d_xm = vec![0.0f32; r * nx];
    for t in 0..nt {
        for b in 0..nb {
            for i in 0..nx {
                let k = (t * nb + b) * nx + i;
                let at = at_x(b, t) + i;
                let w = inverse_variance.map_or(1.0, |w| w[at]);
                let diff = x[at] - x_mean[k];
                sq[k] = diff * diff * w * 0.5;
                d_xm[k] = (-(diff * w) as f64 * scale) as f32;
            }
        }
    }
    let recon = sum_f32(&sq);
    let kl_scale = (beta * scale) as f32;
    let mut kl_terms = vec![0.0f32; r * nz];
    let (mut d_mq, mut d_lvq) = (vec![0.0f32; r * nz], vec![0.0f32; r * nz]);
    let (mut d_mp, mut d_lvp) = (vec![0.0f32; r * nz], vec![0.0f32; r * nz]);
    for k in 0..r * nz {
        let (term, p) = kl_element(mu_q[k], lv_q[k], mu_p[k], lv_p[k]);
        kl_terms[k] = term;
        d_mq[k] = kl_scale * p[0];
        d_lvq[k] = kl_scale * p[1];
        d_mp[k] = kl_scale * p[2];
        d_lvp[k] = kl_scale * p[3];
    }
    let kl = sum_f32(&kl_terms);
    let loss = (recon * scale + beta * (kl * scale)) as f32;

    // Backward: the decoder and the prior.
    let mut g = vec![0.0f32; l.len];
    let mut d_h = vec![0.0f32; (nt + 1) * nb * nh];
    let mut d_z = vec![0.0f32; r * nz];
    weight_grads(l.dec2, &mut g, r, &d1, &d_xm);
    let mut d_d1 = vec![0.0f32; r * nw];
    input_grad(l.dec2, &l.dec2.weight_t(v), r, &d_xm, &mut d_d1);
    relu_grad(&d1, &mut d_d1);
    weight_grads(l.dec1, &mut g, r, &in_d, &d_d1);
    let mut d_in_d = vec![0.0f32; r * id];
    input_grad(l.dec1, &l.dec1.weight_t(v), r, &d_d1, &mut d_in_d);
    let h_dec_at = if config.decoder_previous_h {
        0
    } else {
        nb * nh
    };
    for k in 0..r {
        for j in 0..nh {
            d_h[h_dec_at + k * nh + j] += d_in_d[k * id + j];
        }
        for j in 0..nz {
            d_z[k * nz + j] += d_in_d[k * id + nh + j];
        }
    }
    weight_grads(l.prior_mean, &mut g, r, &p2, &d_mp);
    weight_grads(l.prior_logvar, &mut g, r, &p2, &d_lvp);
    let mut d_p2 = vec![0.0f32; r * nw];
    let mut other = vec![0.0f32; r * nw];
    input_grad(l.prior_mean, &l.prior_mean.weight_t(v), r, &d_mp, &mut d_p2);
    input_grad(
        l.prior_logvar,
        &l.prior_logvar.weight_t(v),
        r,
        &d_lvp,
        &mut other,
    );
    for (a, b) in d_p2.iter_mut().zip(&other) {
        *a += b;
    }
    relu_grad(&p2, &mut d_p2);
    weight_grads(l.prior2, &mut g, r, &p1, &d_p2);
    let mut d_p1 = vec![0.0f32; r * nw];
    input_grad(l.prior2, &l.prior2.weight_t(v), r, &d_p2, &mut d_p1);
    relu_grad(&p1, &mut d_p1);
    weight_grads(l.prior1, &mut g, r, h_prev, &d_p1);
    let mut d_hp = vec![0.0f32; r * nh];
    input_grad(l.prior1, &l.prior1.weight_t(v), r, &d_p1, &mut d_hp);
    for (a, b) in d_h[..r * nh].iter_mut().zip(&d_hp) {
        *a += b;
    }

    // Backward: the recurrence, last step first.
    let lstm_t = l.lstm.weight_t(v);
    let (mean_t, logvar_t) = (l.enc_mean.weight_t(v), l.enc_logvar.weight_t(v));
    let (enc2_t, enc1_t) = (l.enc2.weight_t(v), l.enc1.weight_t(v));
    let mut d_gates = vec![0.0f32; r * 4 * nh];
    let mut d_e2 = vec![0.0f32; r * nw];
    let mut d_e1 = vec![0.0f32; r * nw];
    let (mut d_c, mut d_c_prev) = (vec![0.0f32; nb * nh], vec![0.0f32; nb * nh]);
    let mut d_in_l = vec![0.0f32; nb * il];
    let mut d_in_e1 = vec![0.0f32; nb * ie1];
    let mut other = vec![0.0f32; nb * nw];
    for t in (0..nt).rev() {
        let span = |n: usize| t * nb * n..(t + 1) * nb * n;
        // `d_c` holds the gradient of `c_{t+1}`; the step leaves that of `c_t` in `d_c_prev`.
        for b in 0..nb {
            let row = t * nb + b;
            let next = ((t + 1) * nb + b) * nh;
            lstm_row_backward(
                &acts[row * 4 * nh..(row + 1) * 4 * nh],
                &cs[row * nh..(row + 1) * nh],
                &tanh_c[row * nh..(row + 1) * nh],
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
            &lstm_t,
            None,
            &mut d_in_l,
        );
        for b in 0..nb {
            let row = t * nb + b;
            let d = &d_in_l[b * il..(b + 1) * il];
            for j in 0..nz {
                let k = row * nz + j;
                let dz = d_z[k] + d[nx + j];
                d_mq[k] += dz;
                d_lvq[k] += dz * eps[at_z(b, t) + j] * std_q[k] * 0.5;
            }
            for j in 0..nh {
                d_h[row * nh + j] += d[nx + nz + j];
            }
        }
        input_grad(
            l.enc_mean,
            &mean_t,
            nb,
            &d_mq[span(nz)],
            &mut d_e2[span(nw)],
        );
        input_grad(l.enc_logvar, &logvar_t, nb, &d_lvq[span(nz)], &mut other);
        for (a, b) in d_e2[span(nw)].iter_mut().zip(&other) {
            *a += b;
        }
        relu_grad(&e2[span(nw)], &mut d_e2[span(nw)]);
        input_grad(l.enc2, &enc2_t, nb, &d_e2[span(nw)], &mut d_e1[span(nw)]);
        relu_grad(&e1[span(nw)], &mut d_e1[span(nw)]);
        input_grad(l.enc1, &enc1_t, nb, &d_e1[span(nw)], &mut d_in_e1);
        for b in 0..nb {
            let row = t * nb + b;
            for j in 0..nh {
                d_h[row * nh + j] += d_in_e1[b * ie1 + j];
            }
        }
    }
    weight_grads(l.lstm, &mut g, r, &in_l, &d_gates);
    // Both LSTM biases get the gates' gradient (`weight_grads` wrote it after the weights).
    let (first, second) = g[l.lstm_bias..l.lstm_bias + 8 * nh].split_at_mut(4 * nh);
    second.copy_from_slice(first);
    weight_grads(l.enc_mean, &mut g, r, &e2, &d_mq);
    weight_grads(l.enc_logvar, &mut g, r, &e2, &d_lvq);
    weight_grads(l.enc2, &mut g, r, &e1, &d_e2);
    weight_grads(l.enc1, &mut g, r, &in_e1, &d_e1);
    Ok((loss, g))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parts::{PartHeader, PartInput, PartModel};
    use burn::tensor::{Device, Tensor, TensorData};

    /// burn's autodiff of the same part ([`crate::parts::part_gradients`]).
    fn burns(config: &VrnnConfig, part: &PartInput, seed: u64) -> (Vec<f32>, f32, Vec<f32>) {
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
        (weights, loss, grads)
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

    fn check(config: VrnnConfig, weighted: bool) {
        let p = part(&config, 7, 5, weighted);
        let (weights, loss, want) = burns(&config, &p, 17);
        let h = &p.header;
        let (got_loss, got) = part_gradients(
            &config,
            &weights,
            &p.x,
            &p.eps,
            p.w.as_deref(),
            h.genes,
            h.steps,
            h.beta,
            h.batch,
        )
        .unwrap();
        assert!(
            (got_loss - loss).abs() <= 1e-5 * loss.abs(),
            "loss {got_loss} against burn's {loss}"
        );
        // A helper's PartModel computes a training part this way.
        let mut helper = PartModel::new(config.clone(), Device::flex().autodiff());
        helper.set_weights(h.step, &weights).unwrap();
        let out = pollster::block_on(helper.compute(&p)).unwrap();
        assert_eq!((out.loss, &out.grads), (got_loss, &got));
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
        check(config.clone(), false);
        check(config.clone(), true);
        check(config.with_decoder_previous_h(true), true);
    }

    #[test]
    fn a_part_of_the_wrong_size_is_refused() {
        let config = VrnnConfig::new();
        let p = part(&config, 3, 4, false);
        let err = part_gradients(&config, &[0.0; 10], &p.x, &p.eps, None, 3, 4, 1.0, 3);
        assert!(err.unwrap_err().contains("10 weights for a model of"));
        let n = Layout::new(&config).len;
        let err = part_gradients(
            &config,
            &vec![0.0; n],
            &p.x[1..],
            &p.eps,
            None,
            3,
            4,
            1.0,
            3,
        );
        assert!(err.unwrap_err().contains("values of x"));
    }
}
