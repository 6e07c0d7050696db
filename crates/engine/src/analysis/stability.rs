//! Would the same clusters come out again? Each gene's co-clustering confidence: over other
//! clusterings of the same genes, the share of its cluster's other members that land with it.
//! A cluster's stability is its members' mean confidence (DPGP's posterior co-clustering and
//! the consensus clustering of Monti et al. summarise runs the same way).
//!
//! The other clusterings are seeded single-start k-means runs on the same latents (how much the
//! partition depends on where k-means starts) and, when asked for, the clusterings of models
//! trained with other seeds (how much it depends on the training).

use serde::{Deserialize, Serialize};

use crate::cluster::{KMeans, KMeansConfig, Points};

/// Co-clustering confidence of a clustering.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stability {
    pub restarts: usize,
    pub trainings: usize,
    /// Per gene, 0 to 1.
    pub confidence: Vec<f64>,
    /// Per cluster (0-based): its members' mean confidence.
    pub clusters: Vec<f64>,
}

/// Confidence of `reference` (0-based labels, `k` clusters) against `others`. A gene alone in
/// its cluster has confidence 1; with no other clustering every gene has 1.
pub fn co_clustering(reference: &[usize], k: usize, others: &[Vec<usize>]) -> (Vec<f64>, Vec<f64>) {
    let n = reference.len();
    let mut size = vec![0usize; k];
    for &c in reference {
        size[c] += 1;
    }
    let mut confidence = vec![0.0; n];
    for other in others {
        let k2 = other.iter().max().map_or(0, |m| m + 1);
        // together[c][l]: members of reference cluster c that the other clustering put in l.
        let mut together = vec![0usize; k * k2];
        for (&c, &l) in reference.iter().zip(other) {
            together[c * k2 + l] += 1;
        }
        for g in 0..n {
            let c = reference[g];
            confidence[g] += if size[c] < 2 {
                1.0
            } else {
                (together[c * k2 + other[g]] - 1) as f64 / (size[c] - 1) as f64
            };
        }
    }
    if others.is_empty() {
        confidence.fill(1.0);
    } else {
        confidence
            .iter_mut()
            .for_each(|c| *c /= others.len() as f64);
    }
    let mut sums = vec![0.0; k];
    for (&c, v) in reference.iter().zip(&confidence) {
        sums[c] += v;
    }
    let clusters = sums
        .iter()
        .zip(&size)
        .map(|(s, &m)| if m == 0 { 1.0 } else { s / m as f64 })
        .collect();
    (confidence, clusters)
}

/// Stability of `reference` over `restarts` single-start k-means runs on `points` (seeds
/// `seed + 1 …`) and the latents of other trainings (each clustered with `config`).
pub fn stability(
    points: Points,
    reference: &KMeans,
    config: &KMeansConfig,
    restarts: usize,
    trainings: &[Vec<f32>],
) -> Stability {
    let k = reference.k;
    let mut others: Vec<Vec<usize>> = (0..restarts)
        .map(|r| {
            let single = config
                .clone()
                .with_restarts(1)
                .with_seed(config.seed.wrapping_add(1 + r as u64));
            KMeans::fit(points, k, &single).labels
        })
        .collect();
    for latents in trainings {
        others.push(KMeans::fit(Points::new(latents, points.dim), k, config).labels);
    }
    let (confidence, clusters) = co_clustering(&reference.labels, k, &others);
    Stability {
        restarts,
        trainings: trainings.len(),
        confidence,
        clusters,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confidence_counts_the_members_that_stay_together() {
        // Reference {0,1,2} {3,4}; the other splits gene 2 off.
        let (g, c) = co_clustering(&[0, 0, 0, 1, 1], 2, &[vec![1, 1, 0, 2, 2]]);
        assert_eq!(g, vec![0.5, 0.5, 0.0, 1.0, 1.0]);
        assert!((c[0] - 1.0 / 3.0).abs() < 1e-12 && c[1] == 1.0);
        // A relabelled copy is perfectly stable.
        let (g, _) = co_clustering(&[0, 0, 1], 2, &[vec![1, 1, 0]]);
        assert_eq!(g, vec![1.0, 1.0, 1.0]);
    }

    #[test]
    fn separated_blobs_are_stable_and_noise_is_not() {
        let centres = [vec![0.0, 0.0], vec![10.0, 0.0], vec![0.0, 10.0]];
        let data = crate::cluster::tests::blobs(&centres, 30, 0.5, 3);
        let points = Points::new(&data, 2);
        let config = KMeansConfig::new();
        let reference = KMeans::fit(points, 3, &config);
        let s = stability(points, &reference, &config, 10, &[]);
        assert!(s.clusters.iter().all(|&c| c > 0.99), "{:?}", s.clusters);
        // Uniform noise cut into 6 clusters moves with the start.
        let mut rng = <vrnn_kernels::rng::Rng as rand::SeedableRng>::seed_from_u64(1);
        let noise: Vec<f32> = (0..400)
            .map(|_| rand::Rng::random::<f32>(&mut rng))
            .collect();
        let points = Points::new(&noise, 2);
        let reference = KMeans::fit(points, 6, &config);
        let s = stability(points, &reference, &config, 10, &[]);
        let mean = s.clusters.iter().sum::<f64>() / 6.0;
        assert!(mean < 0.95, "{mean}");
    }
}
