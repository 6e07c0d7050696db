//! The noise of a time course measured once per time point (a pre-averaged bulk matrix,
//! Mfuzz's input), where no standard error exists. Without one, the Dynamics preset could not
//! tell a flat gene's noise from a small response: z-scored, both look alike, and the flat genes
//! spread over every cluster (ARI 0.44 against 0.89 with three replicates, docs/dynamics.md).
//!
//! The rule borrows from the genes that do not respond, as limma's variance trend borrows from
//! all genes: genes are ranked by mean level and cut into bins; in each bin the tenth that
//! varies least over time is taken to be unresponsive, and the variance of that tenth's
//! boundary gene, divided by what the same quantile is for pure noise (a χ² quantile with
//! T − 1 degrees of freedom), estimates the variance of one observation for every gene of the
//! bin. It assumes that at least a tenth of the genes at each expression level do not change,
//! true of any transcriptome and of the simulations here (a third are flat). The fewer genes are
//! flat, the higher the estimate: with a third flat, the tenth is the least varying 30 % of the
//! flat genes, and the noise is overestimated by about 1.4x.

use statrs::distribution::{ChiSquared, ContinuousCDF};
use vrnn_ingest::Dataset;

/// Genes per bin of similar mean level (fewer genes: one bin).
const BIN: usize = 100;

/// The share of each bin taken to be unresponsive.
const QUANTILE: f64 = 0.1;

/// Per gene and time, the estimated standard error of one observation, when every time point
/// of `d` holds exactly one sample and there are at least 3 of them; `None` otherwise (the
/// standard errors of the data are used). `means` are the per-time means to be scaled
/// (genes × T), after any correction.
pub fn estimated_std_errors(d: &Dataset, means: &[f32]) -> Option<Vec<f32>> {
    let t = d.n_times();
    let n = d.n_genes();
    if t < 3 || n == 0 || d.cells_per_time.iter().any(|&c| c != 1) {
        return None;
    }
    let stats: Vec<(f64, f64)> = (0..n)
        .map(|g| {
            let m = &means[g * t..(g + 1) * t];
            let mean = m.iter().map(|&v| v as f64).sum::<f64>() / t as f64;
            let var = m.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / t as f64;
            (mean, var)
        })
        .collect();
    let chi = ChiSquared::new((t - 1) as f64).ok()?;
    // A pure-noise gene's variance over time (divided by T) is σ² χ²(T−1) / T.
    let factor = chi.inverse_cdf(QUANTILE) / t as f64;
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| stats[a].0.total_cmp(&stats[b].0).then(a.cmp(&b)));
    let bins = (n / BIN).max(1);
    let mut se = vec![0.0f32; n * t];
    for b in 0..bins {
        let genes = &order[b * n / bins..(b + 1) * n / bins];
        let mut vars: Vec<f64> = genes.iter().map(|&g| stats[g].1).collect();
        vars.sort_by(f64::total_cmp);
        let q = vars[((vars.len() - 1) as f64 * QUANTILE).round() as usize];
        let sd = (q / factor).sqrt() as f32;
        for &g in genes {
            se[g * t..(g + 1) * t].fill(sd);
        }
    }
    Some(se)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One sample per time: 300 flat genes with noise of sd 0.2 and 100 responders; the
    /// estimate finds the noise, and nothing is estimated where replicates exist.
    #[test]
    fn the_noise_of_flat_genes_is_found() {
        let times = [0.0, 3.0, 6.0, 12.0, 24.0];
        let mut csv = String::from("gene");
        for t in times {
            csv += &format!(",{t}h");
        }
        csv.push('\n');
        // A fixed pseudo-normal noise: the sum of 12 uniforms, centred, scaled to sd 0.2.
        let mut state = 12345u64;
        let mut noise = || {
            let mut s = 0.0;
            for _ in 0..12 {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                s += (state >> 11) as f64 / (1u64 << 53) as f64;
            }
            (s - 6.0) * 0.2
        };
        for g in 0..400 {
            csv += &format!("G{g}");
            for (i, _) in times.iter().enumerate() {
                // Centred, so that responders sit at every level among the flat genes.
                let signal = if g < 100 {
                    1.5 * (i as f64 / 4.0 - 0.5)
                } else {
                    0.0
                };
                csv += &format!(",{:.5}", 3.0 + (g % 7) as f64 * 0.3 + signal + noise());
            }
            csv.push('\n');
        }
        let d = vrnn_ingest::read_table(csv.as_bytes(), &Default::default()).unwrap();
        assert_eq!(d.cells_per_time, vec![1; 5]);
        let se = estimated_std_errors(&d, &d.means).unwrap();
        let mean_se = se.iter().map(|&s| s as f64).sum::<f64>() / se.len() as f64;
        assert!((mean_se - 0.2).abs() < 0.04, "{mean_se}");
        // With replicates the data's own standard errors are used.
        let mut two = d.clone();
        two.cells_per_time = vec![2; 5];
        assert!(estimated_std_errors(&two, &two.means).is_none());
    }
}
