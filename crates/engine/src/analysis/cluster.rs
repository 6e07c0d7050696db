//! k-means on the latent summary, the k-choice curve (inertia and mean silhouette) and soft
//! memberships.
//!
//! Written here rather than taken from `linfa-clustering` because that crate (0.7) forces
//! ndarray's `rayon` feature and pulls `ndarray-rand` with rand 0.8 beside our rand 0.9, while
//! this module must run single-threaded in a wasm32 worker; and because the k sweep reuses one
//! distance matrix for every silhouette, which a per-call API cannot share. The algorithm is
//! the textbook one (Arthur & Vassilvitskii's k-means++ seeding, Lloyd iterations, best of
//! several seeded restarts by inertia), as scikit-learn's `KMeans` which the reference uses.

use burn::config::Config;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use vrnn_kernels::rng::Rng as ChaChaRng;

/// How k-means runs.
#[derive(Config, Debug, PartialEq)]
pub struct KMeansConfig {
    /// Independent k-means++ starts; the one with the lowest inertia wins.
    #[config(default = 10)]
    pub restarts: usize,
    #[config(default = 300)]
    pub max_iter: usize,
    /// Stop when the centroids move less than this fraction of the data's total variance.
    #[config(default = 1e-4)]
    pub tol: f64,
    #[config(default = 42)]
    pub seed: u64,
}

/// Row-major points: `n` rows of `dim` values.
#[derive(Debug, Clone, Copy)]
pub struct Points<'a> {
    pub data: &'a [f32],
    pub dim: usize,
}

impl<'a> Points<'a> {
    pub fn new(data: &'a [f32], dim: usize) -> Self {
        assert!(
            dim > 0 && data.len().is_multiple_of(dim),
            "points must be n × dim"
        );
        Self { data, dim }
    }

    pub fn len(&self) -> usize {
        self.data.len() / self.dim
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    pub fn row(&self, i: usize) -> &'a [f32] {
        &self.data[i * self.dim..(i + 1) * self.dim]
    }
}

/// Squared Euclidean distance.
pub fn dist2(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| {
            let d = x - y;
            d * d
        })
        .sum::<f32>() as f64
}

fn dist2_f64(a: &[f32], c: &[f64]) -> f64 {
    a.iter()
        .zip(c)
        .map(|(&x, &y)| {
            let d = x as f64 - y;
            d * d
        })
        .sum()
}

/// One k-means solution. Clusters are numbered by decreasing size (ties: the cluster whose
/// first gene comes first), so that "cluster 1" is the largest on every run and in every view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KMeans {
    pub k: usize,
    /// 0-based cluster of each point; shown 1-based everywhere users see it.
    pub labels: Vec<usize>,
    /// `k × dim`, row-major.
    pub centroids: Vec<f64>,
    /// Sum of squared distances of the points to their centroids.
    pub inertia: f64,
}

impl KMeans {
    /// Best of `config.restarts` seeded runs. `k` is clamped to the number of points.
    pub fn fit(points: Points, k: usize, config: &KMeansConfig) -> KMeans {
        let n = points.len();
        let k = k.clamp(1, n.max(1));
        let mut rng = ChaChaRng::seed_from_u64(config.seed);
        let tol = config.tol * total_variance(points);
        let mut best: Option<KMeans> = None;
        for _ in 0..config.restarts.max(1) {
            let run = lloyd(points, plus_plus(points, k, &mut rng), config.max_iter, tol);
            if best.as_ref().is_none_or(|b| run.inertia < b.inertia) {
                best = Some(run);
            }
        }
        let mut best = best.expect("at least one restart");
        best.renumber_by_size(points.dim);
        best
    }

    pub fn sizes(&self) -> Vec<usize> {
        let mut s = vec![0; self.k];
        for &l in &self.labels {
            s[l] += 1;
        }
        s
    }

    fn renumber_by_size(&mut self, dim: usize) {
        let sizes = self.sizes();
        let mut first = vec![usize::MAX; self.k];
        for (i, &l) in self.labels.iter().enumerate() {
            first[l] = first[l].min(i);
        }
        let mut order: Vec<usize> = (0..self.k).collect();
        order.sort_by(|&a, &b| sizes[b].cmp(&sizes[a]).then(first[a].cmp(&first[b])));
        let mut new_of = vec![0; self.k];
        for (new, &old) in order.iter().enumerate() {
            new_of[old] = new;
        }
        for l in &mut self.labels {
            *l = new_of[*l];
        }
        let old = std::mem::take(&mut self.centroids);
        for &o in &order {
            self.centroids
                .extend_from_slice(&old[o * dim..(o + 1) * dim]);
        }
    }

    pub fn centroid(&self, c: usize) -> &[f64] {
        let dim = self.centroids.len() / self.k;
        &self.centroids[c * dim..(c + 1) * dim]
    }

    /// Soft membership of every point in every cluster (`n × k`, rows sum to 1), as fuzzy
    /// c-means defines it with fuzzifier m = 2 (the Mfuzz default for time courses):
    /// `u_ic = 1 / Σ_j (d_ic / d_ij)²`, from the distances to the k-means centroids. A point
    /// on a centroid belongs to it fully.
    pub fn memberships(&self, points: Points) -> Vec<f64> {
        let mut out = Vec::with_capacity(points.len() * self.k);
        let mut d = vec![0.0; self.k];
        for i in 0..points.len() {
            let row = points.row(i);
            for (c, dc) in d.iter_mut().enumerate() {
                *dc = dist2_f64(row, self.centroid(c));
            }
            if let Some(z) = d.iter().position(|&v| v == 0.0) {
                out.extend((0..self.k).map(|c| if c == z { 1.0 } else { 0.0 }));
                continue;
            }
            // (d_ic / d_ij)² with squared distances is d2_ic / d2_ij.
            let inv_sum: f64 = d.iter().map(|v| 1.0 / v).sum();
            out.extend(d.iter().map(|v| (1.0 / v) / inv_sum));
        }
        out
    }
}

fn total_variance(points: Points) -> f64 {
    let n = points.len();
    if n == 0 {
        return 0.0;
    }
    let mut mean = vec![0.0f64; points.dim];
    for i in 0..n {
        for (m, &x) in mean.iter_mut().zip(points.row(i)) {
            *m += x as f64;
        }
    }
    mean.iter_mut().for_each(|m| *m /= n as f64);
    (0..n).map(|i| dist2_f64(points.row(i), &mean)).sum::<f64>() / n as f64
}

/// k-means++ seeding: each next centre is drawn with probability proportional to its squared
/// distance from the nearest centre chosen so far.
fn plus_plus(points: Points, k: usize, rng: &mut ChaChaRng) -> Vec<f64> {
    let n = points.len();
    let mut centres: Vec<f64> = Vec::with_capacity(k * points.dim);
    let first = rng.random_range(0..n);
    centres.extend(points.row(first).iter().map(|&v| v as f64));
    let mut nearest: Vec<f64> = (0..n)
        .map(|i| dist2_f64(points.row(i), &centres[..points.dim]))
        .collect();
    for _ in 1..k {
        let total: f64 = nearest.iter().sum();
        let pick = if total > 0.0 {
            let mut r = rng.random::<f64>() * total;
            let mut chosen = n - 1;
            for (i, &w) in nearest.iter().enumerate() {
                if r < w {
                    chosen = i;
                    break;
                }
                r -= w;
            }
            chosen
        } else {
            rng.random_range(0..n)
        };
        let start = centres.len();
        centres.extend(points.row(pick).iter().map(|&v| v as f64));
        for (i, d) in nearest.iter_mut().enumerate() {
            *d = d.min(dist2_f64(points.row(i), &centres[start..]));
        }
    }
    centres
}

fn lloyd(points: Points, mut centroids: Vec<f64>, max_iter: usize, tol: f64) -> KMeans {
    let (n, dim) = (points.len(), points.dim);
    let k = centroids.len() / dim;
    let mut labels = vec![0usize; n];
    let mut dists = vec![0.0f64; n];
    for iter in 0..max_iter.max(1) {
        assign(points, &centroids, &mut labels, &mut dists);
        let mut sums = vec![0.0f64; k * dim];
        let mut counts = vec![0usize; k];
        for (i, &c) in labels.iter().enumerate() {
            counts[c] += 1;
            for (s, &x) in sums[c * dim..(c + 1) * dim].iter_mut().zip(points.row(i)) {
                *s += x as f64;
            }
        }
        // An empty cluster takes the point farthest from its centroid, as scikit-learn does.
        for c in 0..k {
            if counts[c] == 0 {
                let far = (0..n)
                    .max_by(|&a, &b| dists[a].total_cmp(&dists[b]))
                    .unwrap_or(0);
                let old = labels[far];
                counts[old] -= 1;
                for (s, &x) in sums[old * dim..(old + 1) * dim]
                    .iter_mut()
                    .zip(points.row(far))
                {
                    *s -= x as f64;
                }
                labels[far] = c;
                dists[far] = 0.0;
                counts[c] = 1;
                for (s, &x) in sums[c * dim..(c + 1) * dim].iter_mut().zip(points.row(far)) {
                    *s = x as f64;
                }
            }
        }
        let mut shift = 0.0;
        for c in 0..k {
            for d in 0..dim {
                let v = sums[c * dim + d] / counts[c] as f64;
                let delta = v - centroids[c * dim + d];
                shift += delta * delta;
                centroids[c * dim + d] = v;
            }
        }
        if shift <= tol && iter > 0 {
            break;
        }
    }
    assign(points, &centroids, &mut labels, &mut dists);
    KMeans {
        k,
        labels,
        centroids,
        inertia: dists.iter().sum(),
    }
}

fn assign(points: Points, centroids: &[f64], labels: &mut [usize], dists: &mut [f64]) {
    let dim = points.dim;
    for i in 0..points.len() {
        let row = points.row(i);
        let (mut best, mut best_d) = (0, f64::INFINITY);
        for (c, centre) in centroids.chunks_exact(dim).enumerate() {
            let d = dist2_f64(row, centre);
            if d < best_d {
                best = c;
                best_d = d;
            }
        }
        labels[i] = best;
        dists[i] = best_d;
    }
}

/// Pairwise Euclidean distances of a subset of points, computed once and shared by the
/// silhouettes of every k.
pub struct DistanceMatrix {
    /// Indices of the points in the subset.
    pub index: Vec<usize>,
    d: Vec<f32>,
}

impl DistanceMatrix {
    /// All points when there are at most `max_points`, else a seeded random subset of that
    /// size (scikit-learn's `silhouette_score(sample_size=…)` does the same for large data).
    pub fn new(points: Points, max_points: usize, seed: u64) -> Self {
        let n = points.len();
        let mut index: Vec<usize> = (0..n).collect();
        if n > max_points {
            let mut rng = ChaChaRng::seed_from_u64(seed);
            rand::seq::SliceRandom::shuffle(&mut index[..], &mut rng);
            index.truncate(max_points);
            index.sort_unstable();
        }
        let m = index.len();
        let mut d = vec![0.0f32; m * m];
        for a in 0..m {
            for b in (a + 1)..m {
                let v = dist2(points.row(index[a]), points.row(index[b])).sqrt() as f32;
                d[a * m + b] = v;
                d[b * m + a] = v;
            }
        }
        Self { index, d }
    }

    /// Mean silhouette over the subset, for these labels of all points (scikit-learn's
    /// definition; a point alone in its cluster scores 0).
    pub fn silhouette(&self, labels: &[usize], k: usize) -> f64 {
        let m = self.index.len();
        if m < 2 || k < 2 {
            return 0.0;
        }
        let lab: Vec<usize> = self.index.iter().map(|&i| labels[i]).collect();
        let mut counts = vec![0usize; k];
        for &l in &lab {
            counts[l] += 1;
        }
        let mut sums = vec![0.0f64; k];
        let mut total = 0.0;
        for a in 0..m {
            sums.iter_mut().for_each(|s| *s = 0.0);
            let row = &self.d[a * m..(a + 1) * m];
            for (b, &v) in row.iter().enumerate() {
                sums[lab[b]] += v as f64;
            }
            let own = lab[a];
            if counts[own] <= 1 {
                continue;
            }
            let ai = sums[own] / (counts[own] - 1) as f64;
            let bi = (0..k)
                .filter(|&c| c != own && counts[c] > 0)
                .map(|c| sums[c] / counts[c] as f64)
                .fold(f64::INFINITY, f64::min);
            if bi.is_finite() {
                let s = (bi - ai) / ai.max(bi);
                if s.is_finite() {
                    total += s;
                }
            }
        }
        total / m as f64
    }
}

/// One point of the k-choice plot.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct KChoice {
    pub k: usize,
    pub inertia: f64,
    pub silhouette: f64,
}

/// Inertia (for the elbow) and mean silhouette for every k in `ks`, with the same restarts and
/// seed as the final clustering so that the curve describes the solutions users get.
pub fn k_choice(
    points: Points,
    ks: std::ops::RangeInclusive<usize>,
    config: &KMeansConfig,
    distances: &DistanceMatrix,
    mut on_k: impl FnMut(usize),
) -> Vec<KChoice> {
    ks.filter(|&k| k >= 1 && k <= points.len())
        .map(|k| {
            let km = KMeans::fit(points, k, config);
            on_k(k);
            KChoice {
                k,
                inertia: km.inertia,
                silhouette: distances.silhouette(&km.labels, km.k),
            }
        })
        .collect()
}

/// Adjusted Rand index between two labelings (Hubert & Arabie), for tests and evaluation.
pub fn adjusted_rand_index(a: &[usize], b: &[usize]) -> f64 {
    assert_eq!(a.len(), b.len());
    let n = a.len();
    let ka = a.iter().max().map_or(0, |m| m + 1);
    let kb = b.iter().max().map_or(0, |m| m + 1);
    let mut table = vec![0u64; ka * kb];
    for (&x, &y) in a.iter().zip(b) {
        table[x * kb + y] += 1;
    }
    let c2 = |v: u64| (v * v.saturating_sub(1)) as f64 / 2.0;
    let sum_ij: f64 = table.iter().map(|&v| c2(v)).sum();
    let sum_a: f64 = (0..ka)
        .map(|i| c2(table[i * kb..(i + 1) * kb].iter().sum()))
        .sum();
    let sum_b: f64 = (0..kb)
        .map(|j| c2((0..ka).map(|i| table[i * kb + j]).sum()))
        .sum();
    let expected = sum_a * sum_b / c2(n as u64);
    let max = (sum_a + sum_b) / 2.0;
    if max == expected {
        return 1.0;
    }
    (sum_ij - expected) / (max - expected)
}

#[cfg(test)]
pub(crate) mod tests;
