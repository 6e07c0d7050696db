//! Undoing a compositional shift before scaling (the Dynamics preset).
//!
//! Counts are normalised by each cell's total. When many genes are induced, the totals grow,
//! and every gene that does not change looks repressed: in the project's 10,000-gene
//! simulation its normalised counts fall by 26 % at 24 h, and the flat genes cluster with the
//! repressed ones. The shift is one factor per time point on the *counts*, the same for every
//! gene, so it is estimated where it is the same for every gene: from each gene's mean
//! normalised count (`Dataset::linear_means`), as the most common log ratio to the gene's own
//! average over time. The most common value (a density mode), not the median, because most
//! genes may respond: the mode sits on the largest group that moves together, the unchanged
//! genes, as long as no single response module is larger. In log1p units a factor `f` moves a
//! gene's mean by about `ln f × (1 − mean(e^−x))` (the derivative of `mean(log1p(f·count))`
//! in `ln f`): lowly expressed genes, mostly zeros, hardly move.
//!
//! Measured on the simulator (docs/dynamics.md): the flat module's apparent repression at 24 h
//! goes from −0.13 to −0.002 in log1p units on 10,000 genes, and k-means on the corrected
//! scaled means from 0.63 to 0.86 ARI; on the default 2000 genes 0.886 → 0.905.
//!
//! An estimate within its own noise is damped (bootstrap over genes): with 50 cells per time
//! point the factors' standard errors (0.02–0.05) are as large as the factors, with 300 cells
//! they are 0.002–0.01.
//!
//! The mode is a weighted Gaussian kernel density on a fixed grid, written by hand: it is a
//! few lines, and no kept crate offers a weighted one-dimensional mode.

use rand::{Rng, SeedableRng};
use vrnn_kernels::rng::Rng as ChaChaRng;

use crate::ingest::Dataset;

/// Kernel width in natural-log units (about 3 % in counts): narrower than the simulated
/// shifts worth undoing, wider than the sampling noise of well-expressed genes.
const BANDWIDTH: f64 = 0.03;
/// The search range of the log factor (a factor between 0.22 and 4.5).
const RANGE: f64 = 1.5;
const STEP: f64 = 0.002;
/// Fewer usable genes than this: no estimate (a mode of a handful of genes is noise).
const MIN_GENES: usize = 20;

/// Per time point, the natural log of the factor on every gene's counts, relative to the first
/// time point, as applied: each estimate is shrunk towards 0 by `c² / (c² + se²)`, where `se`
/// is its bootstrap standard error over genes, so that a factor within its own noise is damped
/// as the scaling damps a gene's changes within noise. `None` when the data set lacks the
/// linear means (values not on a log1p scale, or an old session) or has too few expressed
/// genes.
pub fn log_factors(d: &Dataset) -> Option<Vec<f64>> {
    let (ratios, weights) = log_ratios(d)?;
    let t = d.n_times();
    let n = weights.len();
    let estimate = |genes: &mut dyn Iterator<Item = usize>| -> Vec<f64> {
        let genes: Vec<usize> = genes.collect();
        let modes: Vec<f64> = (0..t)
            .map(|ti| weighted_mode(genes.iter().map(|&g| (ratios[g * t + ti], weights[g]))))
            .collect();
        modes.iter().map(|m| m - modes[0]).collect()
    };
    let full = estimate(&mut (0..n));
    // Bootstrap over genes with a fixed seed: the same data always give the same factors.
    let mut rng = ChaChaRng::seed_from_u64(0x5eed);
    let mut sq = vec![0f64; t];
    let mut mean = vec![0f64; t];
    for _ in 0..BOOTSTRAP {
        let b = estimate(&mut (0..n).map(|_| rng.random_range(0..n)));
        for ti in 0..t {
            mean[ti] += b[ti] / BOOTSTRAP as f64;
            sq[ti] += b[ti] * b[ti] / BOOTSTRAP as f64;
        }
    }
    Some(
        (0..t)
            .map(|ti| {
                let var = (sq[ti] - mean[ti] * mean[ti]).max(0.0);
                let c = full[ti];
                if c == 0.0 {
                    0.0
                } else {
                    c * c * c / (c * c + var)
                }
            })
            .collect(),
    )
}

/// Bootstrap resamples for the factors' standard errors.
const BOOTSTRAP: usize = 20;

/// Genes × times log ratios of each usable gene's mean count to its own average over time,
/// and each gene's weight; `None` below [`MIN_GENES`] usable genes.
fn log_ratios(d: &Dataset) -> Option<(Vec<f64>, Vec<f64>)> {
    if !d.has_linear_means() {
        return None;
    }
    let t = d.n_times();
    let mut ratios = Vec::new();
    let mut weights = Vec::new();
    for g in 0..d.n_genes() {
        let lin = &d.linear_means[g * t..(g + 1) * t];
        let low = lin.iter().copied().fold(f32::INFINITY, f32::min) as f64;
        if low.is_nan() || low <= 0.0 {
            continue;
        }
        let logs: Vec<f64> = lin.iter().map(|&v| (v as f64).ln()).collect();
        let centre = logs.iter().sum::<f64>() / t as f64;
        ratios.extend(logs.iter().map(|l| l - centre));
        // A mean count's relative precision grows with the count (Poisson): weight by the
        // gene's lowest mean, capped below so a few very abundant genes cannot decide alone.
        weights.push(low);
    }
    if weights.len() < MIN_GENES {
        return None;
    }
    let mut sorted = weights.clone();
    sorted.sort_by(f64::total_cmp);
    let cap = sorted[(sorted.len() * 9) / 10];
    for w in &mut weights {
        *w = w.min(cap);
    }
    Some((ratios, weights))
}

/// The argmax of a weighted Gaussian kernel density over [-RANGE, RANGE], from a weighted
/// histogram on the grid (binning moves a value by at most STEP / 2, a fifteenth of the
/// kernel's width) convolved with the kernel: the cost does not grow with genes × grid.
fn weighted_mode(points: impl Iterator<Item = (f64, f64)>) -> f64 {
    let steps = (2.0 * RANGE / STEP).round() as usize;
    let mut hist = vec![0f64; steps + 1];
    for (x, w) in points {
        let i = ((x + RANGE) / STEP).round();
        if (0.0..=steps as f64).contains(&i) {
            hist[i as usize] += w;
        }
    }
    let reach = (4.0 * BANDWIDTH / STEP).ceil() as usize;
    let kernel: Vec<f64> = (0..=reach)
        .map(|k| {
            let u = k as f64 * STEP / BANDWIDTH;
            (-0.5 * u * u).exp()
        })
        .collect();
    let mut best = (steps / 2, f64::MIN);
    for i in 0..=steps {
        let mut density = hist[i];
        for (k, w) in kernel.iter().enumerate().skip(1) {
            if i >= k {
                density += w * hist[i - k];
            }
            if i + k <= steps {
                density += w * hist[i + k];
            }
        }
        if density > best.1 {
            best = (i, density);
        }
    }
    -RANGE + best.0 as f64 * STEP
}

/// The factors ([`log_factors`]) and, genes × times, what to subtract from each per-time mean
/// to undo them; `None` when no factor could be estimated.
pub fn corrections(d: &Dataset) -> Option<(Vec<f64>, Vec<f32>)> {
    let factors = log_factors(d)?;
    let t = d.n_times();
    let corrections = d
        .exp_neg_means
        .iter()
        .enumerate()
        .map(|(i, &e)| (factors[i % t] * (1.0 - e as f64)) as f32)
        .collect();
    Some((factors, corrections))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{read_table, IngestOptions};

    /// Cells whose counts are all scaled by `factor[t]` at time t (log1p units), with 70
    /// unchanged genes, 20 induced ones (each by its own fold change), and zeros mixed in.
    fn shifted(factors: &[f64]) -> Dataset {
        let mut s = String::from("Cell_ID,Time");
        for g in 0..90 {
            s.push_str(&format!(",G{g}"));
        }
        s.push('\n');
        for (ti, f) in factors.iter().enumerate() {
            for c in 0..40 {
                s.push_str(&format!("c{ti}_{c},{ti}"));
                for g in 0..90 {
                    let base = 0.5 + (g % 7) as f64 + 0.1 * (c % 5) as f64;
                    let induced = if g >= 70 {
                        1.0 + 0.4 * (g - 69) as f64 * ti as f64
                    } else {
                        1.0
                    };
                    let count = if (c + g) % 6 == 0 {
                        0.0
                    } else {
                        base * induced * f
                    };
                    s.push_str(&format!(",{:.6}", count.ln_1p()));
                }
                s.push('\n');
            }
        }
        read_table(s.as_bytes(), &IngestOptions::default()).unwrap()
    }

    #[test]
    fn recovers_a_planted_factor_on_the_counts() {
        let f = [1.0, 0.8, 0.7, 0.9];
        let d = shifted(&f);
        let got = log_factors(&d).unwrap();
        for (g, f) in got.iter().zip(f) {
            assert!((g - f.ln()).abs() < 0.01, "{got:?}");
        }
        // Undone, an unchanged gene's means hardly move over time.
        let (_, c) = corrections(&d).unwrap();
        let t = d.n_times();
        for g in 0..70 {
            let m: Vec<f32> = (0..t).map(|i| d.means[g * t + i] - c[g * t + i]).collect();
            let spread = m.iter().fold(f32::MIN, |a, &b| a.max(b))
                - m.iter().fold(f32::MAX, |a, &b| a.min(b));
            assert!(spread < 0.03, "gene {g}: {m:?}");
        }
    }

    #[test]
    fn no_shift_no_correction() {
        let d = shifted(&[1.0, 1.0, 1.0]);
        let got = log_factors(&d).unwrap();
        assert!(got.iter().all(|v| v.abs() < 0.005), "{got:?}");
    }

    #[test]
    fn values_off_the_log1p_scale_give_no_estimate() {
        let s = "Cell_ID,Time,A,B\nc1,0,-1.5,2\nc2,0,0.5,1\nc3,3,1,2\nc4,3,2,1\n";
        let d = read_table(s.as_bytes(), &IngestOptions::default()).unwrap();
        assert!(!d.has_linear_means());
        assert_eq!(log_factors(&d), None);
        assert!(corrections(&d).is_none());
    }
}
