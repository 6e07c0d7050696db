//! UMAP of the latent summary (McInnes, Healy & Melville 2018), following umap-learn's
//! algorithm step by step: exact k-nearest neighbours, smooth kNN distances (`rho`, `sigma`),
//! the fuzzy simplicial set with fuzzy-union symmetrisation, PCA initialisation scaled to
//! [0, 10], and SGD on the cross-entropy with negative sampling and a linearly decaying
//! learning rate. `a` and `b` are fitted to `min_dist` and `spread` as umap-learn does.
//!
//! Written here because the Rust UMAP crates did not fit: `umap-rs` needs Rayon threads for its
//! SGD (a wasm32 worker has none) and leaves the kNN graph and initialisation to the caller,
//! and `rag-umap` is a 0.0.0 release. Running in epochs ([`Umap::run`]) also lets the worker
//! report progress and stay responsive. Exact neighbours cost O(n² d), well under a second
//! for a few thousand genes; approximate search (NN-descent) only pays off far beyond that.
//!
//! About 530 lines (its tests are in `embed/tests.rs`): one file on purpose, so UMAP's steps
//! read in the order umap-learn runs them.

use burn::config::Config;
use rand::{Rng, SeedableRng};
use vrnn_kernels::rng::{FastRng, Rng as ChaChaRng};

use crate::cluster::{dist2, Points};

#[derive(Config, Debug, PartialEq)]
pub struct UmapConfig {
    #[config(default = 15)]
    pub n_neighbors: usize,
    #[config(default = 0.1)]
    pub min_dist: f64,
    #[config(default = 1.0)]
    pub spread: f64,
    /// SGD epochs; `None` picks umap-learn's default (500 up to 10,000 points, else 200).
    #[config(default = "None")]
    pub n_epochs: Option<usize>,
    #[config(default = 1.0)]
    pub learning_rate: f64,
    #[config(default = 5)]
    pub negative_sample_rate: usize,
    #[config(default = 1.0)]
    pub repulsion_strength: f64,
    #[config(default = 42)]
    pub seed: u64,
}

/// The `k` nearest neighbours of every point, itself first (distance 0), as umap-learn's
/// `nearest_neighbors` returns them. Exact, by brute force.
pub fn knn(points: Points, k: usize) -> (Vec<usize>, Vec<f32>) {
    let n = points.len();
    let k = k.min(n);
    let mut idx = Vec::with_capacity(n * k);
    let mut dist = Vec::with_capacity(n * k);
    let mut row: Vec<(f32, usize)> = Vec::with_capacity(n);
    for i in 0..n {
        row.clear();
        let p = points.row(i);
        row.extend((0..n).map(|j| {
            let d = if i == j {
                -1.0
            } else {
                dist2(p, points.row(j)).sqrt() as f32
            };
            (d, j)
        }));
        if k < n {
            row.select_nth_unstable_by(k - 1, |a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        }
        let head = &mut row[..k];
        head.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        for &(d, j) in head.iter() {
            idx.push(j);
            dist.push(d.max(0.0));
        }
    }
    (idx, dist)
}

/// umap-learn's `smooth_knn_dist` with `local_connectivity = 1`: `rho` is the distance to the
/// nearest other point, `sigma` solves `Σ exp(-(d - rho) / sigma) = log2(k)` by bisection.
fn smooth_knn_dist(dist: &[f32], k: usize) -> (Vec<f64>, Vec<f64>) {
    const MIN_K_DIST_SCALE: f64 = 1e-3;
    let n = dist.len() / k;
    let target = (k as f64).log2();
    let mean_all = dist.iter().map(|&d| d as f64).sum::<f64>() / dist.len().max(1) as f64;
    let mut rhos = vec![0.0; n];
    let mut sigmas = vec![0.0; n];
    for i in 0..n {
        let d = &dist[i * k..(i + 1) * k];
        let rho = d
            .iter()
            .map(|&v| v as f64)
            .find(|&v| v > 0.0)
            .unwrap_or(0.0);
        let (mut lo, mut hi, mut mid) = (0.0f64, f64::INFINITY, 1.0f64);
        for _ in 0..64 {
            let psum: f64 = d[1..]
                .iter()
                .map(|&v| {
                    let x = v as f64 - rho;
                    if x > 0.0 {
                        (-x / mid).exp()
                    } else {
                        1.0
                    }
                })
                .sum();
            if (psum - target).abs() < 1e-5 {
                break;
            }
            if psum > target {
                hi = mid;
                mid = (lo + hi) / 2.0;
            } else {
                lo = mid;
                mid = if hi.is_infinite() {
                    mid * 2.0
                } else {
                    (lo + hi) / 2.0
                };
            }
        }
        let mean_i = d.iter().map(|&v| v as f64).sum::<f64>() / k as f64;
        let floor = if rho > 0.0 { mean_i } else { mean_all } * MIN_K_DIST_SCALE;
        rhos[i] = rho;
        sigmas[i] = mid.max(floor);
    }
    (rhos, sigmas)
}

/// The symmetric fuzzy graph as a list of directed edges `(head, tail, weight)`, each
/// undirected edge present in both directions, as umap-learn's COO matrix holds it.
fn fuzzy_simplicial_set(idx: &[usize], dist: &[f32], k: usize) -> Vec<(usize, usize, f64)> {
    let (rhos, sigmas) = smooth_knn_dist(dist, k);
    let n = idx.len() / k;
    let mut directed: std::collections::HashMap<(usize, usize), f64> =
        std::collections::HashMap::with_capacity(n * k);
    for i in 0..n {
        for s in 0..k {
            let j = idx[i * k + s];
            if j == i {
                continue;
            }
            let d = dist[i * k + s] as f64;
            let w = if d - rhos[i] <= 0.0 || sigmas[i] == 0.0 {
                1.0
            } else {
                (-(d - rhos[i]) / sigmas[i]).exp()
            };
            directed.insert((i, j), w);
        }
    }
    // Fuzzy union: w_ij + w_ji - w_ij w_ji.
    let mut edges: Vec<(usize, usize, f64)> = Vec::with_capacity(directed.len() * 2);
    for (&(i, j), &a) in &directed {
        let b = directed.get(&(j, i)).copied().unwrap_or(0.0);
        let w = a + b - a * b;
        edges.push((i, j, w));
        if b == 0.0 {
            edges.push((j, i, w));
        }
    }
    edges.sort_by_key(|x| (x.0, x.1));
    edges
}

/// Fits `a` and `b` of the low-dimensional similarity `1 / (1 + a d^(2b))` to the target
/// curve (1 below `min_dist`, then `exp(-(d - min_dist) / spread)`) by Levenberg–Marquardt
/// least squares on 300 points in [0, 3·spread], as umap-learn's `find_ab_params` does with
/// `scipy.optimize.curve_fit`.
pub fn find_ab_params(spread: f64, min_dist: f64) -> (f64, f64) {
    let xs: Vec<f64> = (0..300).map(|i| 3.0 * spread * i as f64 / 299.0).collect();
    let ys: Vec<f64> = xs
        .iter()
        .map(|&x| {
            if x < min_dist {
                1.0
            } else {
                (-(x - min_dist) / spread).exp()
            }
        })
        .collect();
    let residuals = |a: f64, b: f64| -> f64 {
        xs.iter()
            .zip(&ys)
            .map(|(&x, &y)| {
                let f = 1.0 / (1.0 + a * x.powf(2.0 * b));
                (f - y) * (f - y)
            })
            .sum()
    };
    let (mut a, mut b, mut lambda) = (1.0f64, 1.0f64, 1e-3f64);
    let mut cost = residuals(a, b);
    for _ in 0..200 {
        // Normal equations J^T J and J^T r for the two parameters.
        let (mut jaa, mut jab, mut jbb, mut ga, mut gb) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (&x, &y) in xs.iter().zip(&ys) {
            if x == 0.0 {
                continue;
            }
            let p = x.powf(2.0 * b);
            let denom = 1.0 + a * p;
            let f = 1.0 / denom;
            let r = f - y;
            let da = -p / (denom * denom);
            let db = -a * p * 2.0 * x.ln() / (denom * denom);
            jaa += da * da;
            jab += da * db;
            jbb += db * db;
            ga += da * r;
            gb += db * r;
        }
        let mut improved = false;
        for _ in 0..20 {
            let (m11, m22) = (jaa * (1.0 + lambda), jbb * (1.0 + lambda));
            let det = m11 * m22 - jab * jab;
            if det.abs() < 1e-300 {
                lambda *= 10.0;
                continue;
            }
            let step_a = (m22 * ga - jab * gb) / det;
            let step_b = (m11 * gb - jab * ga) / det;
            let (na, nb) = (a - step_a, b - step_b);
            let c = residuals(na, nb);
            if na > 0.0 && nb > 0.0 && c < cost {
                let done = (cost - c) < 1e-15 * cost.max(1e-300);
                a = na;
                b = nb;
                cost = c;
                lambda = (lambda / 10.0).max(1e-12);
                improved = !done;
                break;
            }
            lambda *= 10.0;
        }
        if !improved {
            break;
        }
    }
    (a, b)
}

/// Top-two principal component scores of the points (power iteration with deflation on the
/// covariance matrix, which is only `dim × dim`).
fn pca2(points: Points, rng: &mut ChaChaRng) -> Vec<[f64; 2]> {
    let (n, dim) = (points.len(), points.dim);
    let mut mean = vec![0.0f64; dim];
    for i in 0..n {
        for (m, &x) in mean.iter_mut().zip(points.row(i)) {
            *m += x as f64 / n as f64;
        }
    }
    let mut cov = vec![0.0f64; dim * dim];
    for i in 0..n {
        let c: Vec<f64> = points
            .row(i)
            .iter()
            .zip(&mean)
            .map(|(&x, m)| x as f64 - m)
            .collect();
        for a in 0..dim {
            for b in a..dim {
                cov[a * dim + b] += c[a] * c[b];
            }
        }
    }
    for a in 0..dim {
        for b in 0..a {
            cov[a * dim + b] = cov[b * dim + a];
        }
    }
    let mut comps: Vec<Vec<f64>> = Vec::new();
    for _ in 0..2 {
        let mut v: Vec<f64> = (0..dim).map(|_| rng.random::<f64>() - 0.5).collect();
        for _ in 0..500 {
            let mut w: Vec<f64> = (0..dim)
                .map(|a| (0..dim).map(|b| cov[a * dim + b] * v[b]).sum())
                .collect();
            for c in &comps {
                let dot: f64 = w.iter().zip(c).map(|(x, y)| x * y).sum();
                w.iter_mut().zip(c).for_each(|(x, y)| *x -= dot * y);
            }
            let norm = w.iter().map(|x| x * x).sum::<f64>().sqrt();
            if norm == 0.0 {
                break;
            }
            w.iter_mut().for_each(|x| *x /= norm);
            let diff: f64 = w.iter().zip(&v).map(|(x, y)| (x - y).abs()).sum();
            v = w;
            if diff < 1e-10 {
                break;
            }
        }
        comps.push(v);
    }
    (0..n)
        .map(|i| {
            let mut out = [0.0; 2];
            for (o, c) in out.iter_mut().zip(&comps) {
                *o = points
                    .row(i)
                    .iter()
                    .zip(&mean)
                    .zip(c)
                    .map(|((&x, m), w)| (x as f64 - m) * w)
                    .sum();
            }
            out
        })
        .collect()
}

/// A UMAP run in progress: build it (neighbours, graph, initialisation), then call
/// [`Umap::run`] until [`Umap::is_done`].
pub struct Umap {
    n: usize,
    n_epochs: usize,
    epoch: usize,
    a: f64,
    b: f64,
    gamma: f64,
    alpha0: f64,
    neg_rate: f64,
    head: Vec<usize>,
    tail: Vec<usize>,
    epochs_per_sample: Vec<f64>,
    next_sample: Vec<f64>,
    next_negative: Vec<f64>,
    embedding: Vec<[f64; 2]>,
    /// Draws the negative samples: tens of millions per layout, so a small fast generator
    /// (Xoshiro256++), as umap-learn uses its Tausworthe `tau_rand_int`. ChaCha was
    /// a tenth of the layout's time in the browser, where it runs without SIMD.
    rng: FastRng,
}

impl Umap {
    pub fn new(points: Points, config: &UmapConfig) -> Umap {
        let n = points.len();
        let mut rng = ChaChaRng::seed_from_u64(config.seed);
        let n_epochs = config
            .n_epochs
            .unwrap_or(if n <= 10_000 { 500 } else { 200 });
        let k = config.n_neighbors.clamp(2, n.max(2)).min(n);
        let (a, b) = find_ab_params(config.spread, config.min_dist);
        let mut umap = Umap {
            n,
            n_epochs,
            epoch: 0,
            a,
            b,
            gamma: config.repulsion_strength,
            alpha0: config.learning_rate,
            neg_rate: config.negative_sample_rate as f64,
            head: Vec::new(),
            tail: Vec::new(),
            epochs_per_sample: Vec::new(),
            next_sample: Vec::new(),
            next_negative: Vec::new(),
            embedding: vec![[0.0; 2]; n],
            rng: FastRng::seed_from_u64(config.seed.wrapping_add(1)),
        };
        if n < 3 {
            // Nothing to lay out: spread the points on a line.
            for (i, e) in umap.embedding.iter_mut().enumerate() {
                *e = [i as f64, 0.0];
            }
            umap.epoch = n_epochs;
            return umap;
        }
        let (idx, dist) = knn(points, k);
        let edges = fuzzy_simplicial_set(&idx, &dist, k);
        let w_max = edges.iter().map(|e| e.2).fold(0.0, f64::max);
        // umap-learn drops edges too weak to be sampled even once during the run.
        let edges: Vec<_> = edges
            .into_iter()
            .filter(|e| e.2 >= w_max / n_epochs as f64)
            .collect();
        for &(h, t, w) in &edges {
            umap.head.push(h);
            umap.tail.push(t);
            umap.epochs_per_sample.push(w_max / w);
        }
        umap.next_sample = umap.epochs_per_sample.clone();
        umap.next_negative = umap
            .epochs_per_sample
            .iter()
            .map(|e| e / umap.neg_rate)
            .collect();

        // PCA initialisation, scaled to a largest coordinate of 10 with tiny noise
        // (umap-learn's `noisy_scale_coords`), then each axis mapped to [0, 10].
        let mut init = pca2(points, &mut rng);
        let max_abs = init
            .iter()
            .flat_map(|p| p.iter())
            .fold(0.0f64, |m, v| m.max(v.abs()));
        let scale = if max_abs > 0.0 { 10.0 / max_abs } else { 1.0 };
        let noise = rand_distr::Normal::new(0.0, 1e-4).expect("valid normal");
        for p in init.iter_mut() {
            for v in p.iter_mut() {
                *v = *v * scale + rand_distr::Distribution::sample(&noise, &mut rng);
            }
        }
        for d in 0..2 {
            let lo = init.iter().map(|p| p[d]).fold(f64::INFINITY, f64::min);
            let hi = init.iter().map(|p| p[d]).fold(f64::NEG_INFINITY, f64::max);
            let range = if hi > lo { hi - lo } else { 1.0 };
            for p in init.iter_mut() {
                p[d] = 10.0 * (p[d] - lo) / range;
            }
        }
        umap.embedding = init;
        umap
    }

    pub fn n_epochs(&self) -> usize {
        self.n_epochs
    }

    pub fn epochs_done(&self) -> usize {
        self.epoch
    }

    pub fn is_done(&self) -> bool {
        self.epoch >= self.n_epochs
    }

    /// Runs up to `epochs` more SGD epochs (umap-learn's `optimize_layout_euclidean`, both
    /// ends of an edge moved, gradients clipped to ±4).
    pub fn run(&mut self, epochs: usize) {
        let (a, b, gamma) = (self.a, self.b, self.gamma);
        let clip = |v: f64| v.clamp(-4.0, 4.0);
        let end = (self.epoch + epochs).min(self.n_epochs);
        while self.epoch < end {
            let n_ep = self.epoch as f64;
            let alpha = self.alpha0 * (1.0 - n_ep / self.n_epochs as f64);
            for e in 0..self.head.len() {
                if self.next_sample[e] > n_ep {
                    continue;
                }
                let (j, k) = (self.head[e], self.tail[e]);
                let (cur, oth) = (self.embedding[j], self.embedding[k]);
                let d2 = (cur[0] - oth[0]).powi(2) + (cur[1] - oth[1]).powi(2);
                let coeff = if d2 > 0.0 {
                    // d^(b-1) = d^b / d: one power instead of two.
                    let pb = pow(d2, b);
                    -2.0 * a * b * (pb / d2) / (a * pb + 1.0)
                } else {
                    0.0
                };
                for d in 0..2 {
                    let g = clip(coeff * (cur[d] - oth[d]));
                    self.embedding[j][d] += g * alpha;
                    self.embedding[k][d] -= g * alpha;
                }
                self.next_sample[e] += self.epochs_per_sample[e];

                let eps_neg = self.epochs_per_sample[e] / self.neg_rate;
                let n_neg = ((n_ep - self.next_negative[e]) / eps_neg).max(0.0) as usize;
                for _ in 0..n_neg {
                    let k = self.rng.random_range(0..self.n);
                    if k == j {
                        continue;
                    }
                    let cur = self.embedding[j];
                    let oth = self.embedding[k];
                    let d2 = (cur[0] - oth[0]).powi(2) + (cur[1] - oth[1]).powi(2);
                    if d2 <= 0.0 {
                        continue;
                    }
                    let coeff = 2.0 * gamma * b / ((0.001 + d2) * (a * pow(d2, b) + 1.0));
                    for d in 0..2 {
                        self.embedding[j][d] += clip(coeff * (cur[d] - oth[d])) * alpha;
                    }
                }
                self.next_negative[e] += n_neg as f64 * eps_neg;
            }
            self.epoch += 1;
        }
    }

    /// The layout (`n` rows of 2 coordinates).
    pub fn embedding(&self) -> Vec<[f32; 2]> {
        self.embedding
            .iter()
            .map(|p| [p[0] as f32, p[1] as f32])
            .collect()
    }
}

/// scikit-learn's `trustworthiness`: 1 minus a penalty for every embedding neighbour that is
/// not among the `k` nearest in the original space, weighted by how far down its original
/// ranking it sits. 1 means every local neighbourhood is preserved.
pub fn trustworthiness(high: Points, low: Points, k: usize) -> f64 {
    let n = high.len();
    assert_eq!(n, low.len());
    let mut rank = vec![0usize; n];
    let mut penalty = 0.0;
    let mut order: Vec<(f64, usize)> = Vec::with_capacity(n);
    for i in 0..n {
        order.clear();
        order.extend(
            (0..n)
                .filter(|&j| j != i)
                .map(|j| (dist2(high.row(i), high.row(j)), j)),
        );
        order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        for (r, &(_, j)) in order.iter().enumerate() {
            rank[j] = r + 1;
        }
        order.clear();
        order.extend(
            (0..n)
                .filter(|&j| j != i)
                .map(|j| (dist2(low.row(i), low.row(j)), j)),
        );
        order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        for &(_, j) in order.iter().take(k) {
            if rank[j] > k {
                penalty += (rank[j] - k) as f64;
            }
        }
    }
    let (nf, kf) = (n as f64, k as f64);
    1.0 - penalty * 2.0 / (nf * kf * (2.0 * nf - 3.0 * kf - 1.0))
}

/// `x^y` for `x > 0` as `e^(y ln x)`. The layout needs no more than a few digits, and in
/// WebAssembly `powf` is a software routine (libm's, with its extra-precise logarithm) that
/// took three quarters of the layout's time in the browser; `ln` and `exp` cost a fraction of it.
#[inline]
fn pow(x: f64, y: f64) -> f64 {
    (y * x.ln()).exp()
}

#[cfg(test)]
mod tests;
