//! What the page derives from a clustering beyond its members: the heatmap's rows and
//! z-scores, the blocks of each cluster and the runs of genes outside their core, the
//! stability wording and the enrichment filter. Plain functions on slices, so they are tested
//! natively; every index from the worker is checked, as a wasm panic would kill the page.

use vrnn_protocol::{ClusterView, EnrichedTerm, StabilityView};

/// Each gene's per-time means z-scored over time (same `genes × t` layout), rounded to two
/// decimals: the colour cannot show more, and short numbers keep a 20,000-gene figure small.
/// A gene that never changes (or has a value that is not finite) is all zeros.
pub fn zscores(means: &[f32], t: usize) -> Vec<f32> {
    if t == 0 {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(means.len());
    for row in means.chunks_exact(t) {
        let mean = row.iter().map(|&v| f64::from(v)).sum::<f64>() / t as f64;
        let var = row
            .iter()
            .map(|&v| (f64::from(v) - mean).powi(2))
            .sum::<f64>()
            / t as f64;
        let sd = var.sqrt();
        for &v in row {
            let z = if sd.is_finite() && sd > 1e-12 {
                (f64::from(v) - mean) / sd
            } else {
                0.0
            };
            out.push(((z * 100.0).round() / 100.0) as f32);
        }
    }
    out
}

/// The heatmap's rows, top to bottom: the worker's `heatmap_order` when it is a whole
/// permutation of the `n` genes, else (an older session) cluster by cluster, each cluster's
/// genes by the time of their peak z-score.
pub fn heatmap_rows(c: &ClusterView, z: &[f32], t: usize) -> Vec<usize> {
    let n = c.labels.len().min(z.len().checked_div(t).unwrap_or(0));
    let mut seen = vec![false; n];
    let valid = c.heatmap_order.len() == n
        && c.heatmap_order
            .iter()
            .all(|&g| g < n && !std::mem::replace(&mut seen[g], true));
    if valid {
        return c.heatmap_order.clone();
    }
    let peak = |g: usize| {
        z[g * t..(g + 1) * t]
            .iter()
            .enumerate()
            .fold((0, f32::NEG_INFINITY), |best, (i, &v)| {
                if v > best.1 {
                    (i, v)
                } else {
                    best
                }
            })
            .0
    };
    let mut rows: Vec<usize> = (0..n).collect();
    rows.sort_by_cached_key(|&g| (c.labels[g], peak(g), g));
    rows
}

/// Consecutive rows of one cluster: positions `start..end` in the row order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block {
    /// 1-based.
    pub cluster: usize,
    pub start: usize,
    pub end: usize,
}

/// The blocks of consecutive rows that share a cluster (one per cluster in the worker's order).
pub fn blocks(labels: &[usize], rows: &[usize]) -> Vec<Block> {
    let mut out: Vec<Block> = Vec::new();
    for (i, &g) in rows.iter().enumerate() {
        let cluster = labels.get(g).copied().unwrap_or(0);
        match out.last_mut() {
            Some(b) if b.cluster == cluster => b.end = i + 1,
            _ => out.push(Block {
                cluster,
                start: i,
                end: i + 1,
            }),
        }
    }
    out
}

/// Runs `start..end` of consecutive row positions whose gene is outside its cluster's core:
/// the heatmap fades each run with one rectangle, so its cost follows the runs, not the genes.
pub fn non_core_runs(c: &ClusterView, rows: &[usize]) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    for (i, &g) in rows.iter().enumerate() {
        if c.is_core(g) {
            continue;
        }
        match out.last_mut() {
            Some(run) if run.1 == i => run.1 = i + 1,
            _ => out.push((i, i + 1)),
        }
    }
    out
}

/// Each cluster's mean z-scored trajectory (index 0 = cluster 1; empty clusters are zeros).
pub fn cluster_means(z: &[f32], t: usize, labels: &[usize], k: usize) -> Vec<Vec<f64>> {
    let mut sums = vec![vec![0.0f64; t]; k];
    let mut counts = vec![0usize; k];
    for (g, &c) in labels.iter().enumerate() {
        let Some(row) = z.get(g * t..(g + 1) * t) else {
            continue;
        };
        if (1..=k).contains(&c) {
            counts[c - 1] += 1;
            for (s, &v) in sums[c - 1].iter_mut().zip(row) {
                *s += f64::from(v);
            }
        }
    }
    for (s, &n) in sums.iter_mut().zip(&counts) {
        s.iter_mut().for_each(|v| *v /= n.max(1) as f64);
    }
    sums
}

/// Whether 1-based cluster `c` falls below the threshold of reproducing.
pub fn unstable(s: &StabilityView, c: usize) -> bool {
    c >= 1 && s.clusters.get(c - 1).is_some_and(|&v| v < s.threshold)
}

/// What the stability was measured over, e.g. "20 k-means restarts and 2 trainings with other
/// seeds".
pub fn stability_basis(s: &StabilityView) -> String {
    let restarts = plural(s.restarts, "k-means restart", "k-means restarts");
    match s.trainings {
        0 => restarts,
        n => format!(
            "{restarts} and {}",
            plural(
                n,
                "training with another seed",
                "trainings with other seeds"
            )
        ),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A fraction as a whole percentage: `0.823` → `82 %`.
pub fn percent(x: f64) -> String {
    if x.is_finite() {
        format!("{:.0} %", x * 100.0)
    } else {
        "?".into()
    }
}

/// Whether a term matches the `Filter terms` text: its set name or one of its genes contains
/// it, case-insensitively (an empty filter matches every term).
pub fn term_matches(term: &EnrichedTerm, filter: &str) -> bool {
    let f = filter.trim().to_lowercase();
    f.is_empty()
        || term.set.to_lowercase().contains(&f)
        || term.genes.iter().any(|g| g.to_lowercase().contains(&f))
}

#[cfg(test)]
mod tests {
    use super::*;
    use vrnn_protocol::ClusterView;

    fn view(labels: Vec<usize>, order: Vec<usize>) -> ClusterView {
        ClusterView {
            k: 2,
            labels,
            heatmap_order: order,
            ..Default::default()
        }
    }

    #[test]
    fn zscores_are_per_gene_and_flat_genes_are_zero() {
        let z = zscores(&[1.0, 3.0, 5.0, 5.0, f32::NAN, 0.0], 2);
        assert_eq!(z, [-1.0, 1.0, 0.0, 0.0, 0.0, 0.0]);
        assert!(zscores(&[1.0], 0).is_empty());
    }

    #[test]
    fn the_workers_order_is_used_only_when_it_is_a_permutation() {
        let z = [0.0, 1.0, 1.0, 0.0, 0.0, 1.0];
        assert_eq!(
            heatmap_rows(&view(vec![2, 1, 1], vec![2, 1, 0]), &z, 2),
            [2, 1, 0]
        );
        // Missing, repeated or out-of-range rows: by cluster, then peak time, then gene.
        for bad in [vec![], vec![0, 0, 1], vec![0, 1, 7]] {
            assert_eq!(heatmap_rows(&view(vec![2, 1, 1], bad), &z, 2), [1, 2, 0]);
        }
    }

    #[test]
    fn blocks_and_non_core_runs_follow_the_rows() {
        let mut c = view(vec![1, 1, 2, 2], vec![]);
        assert_eq!(
            blocks(&c.labels, &[0, 1, 2, 3]),
            [
                Block {
                    cluster: 1,
                    start: 0,
                    end: 2
                },
                Block {
                    cluster: 2,
                    start: 2,
                    end: 4
                }
            ]
        );
        c.membership = vec![0.9, 0.2, 0.3, 0.8];
        c.core_threshold = 0.5;
        assert_eq!(non_core_runs(&c, &[0, 1, 2, 3]), [(1, 3)]);
        assert_eq!(non_core_runs(&c, &[1, 0, 3, 2]), [(0, 1), (3, 4)]);
    }

    #[test]
    fn cluster_means_skip_labels_outside_k() {
        let m = cluster_means(&[1.0, -1.0, 3.0, 1.0, 9.0, 9.0], 2, &[1, 1, 0], 2);
        assert_eq!(m, [vec![2.0, 0.0], vec![0.0, 0.0]]);
    }

    #[test]
    fn stability_is_worded_and_flagged() {
        let s = StabilityView {
            restarts: 20,
            trainings: 1,
            clusters: vec![0.9, 0.6],
            threshold: 0.75,
            ..Default::default()
        };
        assert_eq!(
            stability_basis(&s),
            "20 k-means restarts and 1 training with another seed"
        );
        assert!(!unstable(&s, 1) && unstable(&s, 2) && !unstable(&s, 3) && !unstable(&s, 0));
        assert_eq!(percent(0.823), "82 %");
    }

    #[test]
    fn terms_match_by_set_or_gene() {
        let t = EnrichedTerm {
            set: "HALLMARK_INTERFERON_GAMMA".into(),
            overlap: 2,
            set_size: 200,
            fold: 3.0,
            p: 1e-5,
            q: 1e-3,
            genes: vec!["IRF1".into(), "CXCL9".into()],
        };
        assert!(term_matches(&t, " interferon "));
        assert!(term_matches(&t, "cxcl9"));
        assert!(term_matches(&t, ""));
        assert!(!term_matches(&t, "STAT1"));
    }
}
