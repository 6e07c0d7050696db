//! k-means, the k choice, memberships and the ARI, on seeded blobs.

use super::*;
use rand_distr::{Distribution, Normal};

/// `per` points around each of `centres`, with Gaussian noise of this spread.
pub(crate) fn blobs(centres: &[Vec<f32>], per: usize, spread: f32, seed: u64) -> Vec<f32> {
    let mut rng = ChaChaRng::seed_from_u64(seed);
    let noise = Normal::new(0.0f32, spread).unwrap();
    let mut out = Vec::new();
    for c in centres {
        for _ in 0..per {
            out.extend(c.iter().map(|&v| v + noise.sample(&mut rng)));
        }
    }
    out
}

#[test]
fn recovers_well_separated_clusters_exactly() {
    let dim = 8;
    let centres: Vec<Vec<f32>> = (0..5)
        .map(|c| (0..dim).map(|d| if d == c { 10.0 } else { 0.0 }).collect())
        .collect();
    let data = blobs(&centres, 60, 0.5, 7);
    let truth: Vec<usize> = (0..5).flat_map(|c| vec![c; 60]).collect();
    let km = KMeans::fit(Points::new(&data, dim), 5, &KMeansConfig::new());
    assert_eq!(adjusted_rand_index(&km.labels, &truth), 1.0);
    assert_eq!(km.sizes(), vec![60; 5]);
    let m = km.memberships(Points::new(&data, dim));
    for i in 0..truth.len() {
        let row = &m[i * 5..(i + 1) * 5];
        assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        assert!(
            row[km.labels[i]] > 0.8,
            "membership of its own cluster is high: {row:?}"
        );
    }
}

#[test]
fn is_reproducible_and_numbers_clusters_by_size() {
    let centres = [vec![0.0, 0.0], vec![20.0, 0.0], vec![0.0, 20.0]];
    let mut data = blobs(&centres[..1], 30, 1.0, 1);
    data.extend(blobs(&centres[1..2], 10, 1.0, 2));
    data.extend(blobs(&centres[2..], 50, 1.0, 3));
    let p = Points::new(&data, 2);
    let a = KMeans::fit(p, 3, &KMeansConfig::new());
    let b = KMeans::fit(p, 3, &KMeansConfig::new());
    assert_eq!(a, b);
    assert_eq!(a.sizes(), vec![50, 30, 10]);
    assert_eq!(a.labels[0], 1);
    assert_eq!(a.labels[35], 2);
    assert_eq!(a.labels[89], 0);
}

#[test]
fn inertia_and_silhouette_match_hand_computed_values() {
    // Two clusters on a line: {0, 1} and {5, 7}.
    let data = [0.0f32, 1.0, 5.0, 7.0];
    let p = Points::new(&data, 1);
    let km = KMeans::fit(p, 2, &KMeansConfig::new());
    // Centroids 0.5 and 6: inertia = 0.25 + 0.25 + 1 + 1.
    assert!((km.inertia - 2.5).abs() < 1e-12);
    let d = DistanceMatrix::new(p, 100, 0);
    // s(0) = (6 - 1) / 6; s(1) = (5 - 1) / 5; s(5) = (4.5 - 2) / 4.5; s(7) = (6.5 - 2) / 6.5.
    let expected = (5.0 / 6.0 + 4.0 / 5.0 + 2.5 / 4.5 + 4.5 / 6.5) / 4.0;
    assert!((d.silhouette(&km.labels, 2) - expected).abs() < 1e-6);
}

#[test]
fn memberships_follow_the_fuzzy_c_means_formula() {
    let km = KMeans {
        k: 2,
        labels: vec![0],
        centroids: vec![0.0, 3.0],
        inertia: 1.0,
    };
    // Point at 1: squared distances 1 and 4 -> u = (1/1, 1/4) / (5/4) = (0.8, 0.2).
    let m = km.memberships(Points::new(&[1.0], 1));
    assert!((m[0] - 0.8).abs() < 1e-12 && (m[1] - 0.2).abs() < 1e-12);
}

#[test]
fn k_choice_peaks_at_the_true_k() {
    let centres: Vec<Vec<f32>> = (0..4).map(|c| vec![c as f32 * 10.0, 0.0]).collect();
    let data = blobs(&centres, 25, 0.5, 9);
    let p = Points::new(&data, 2);
    let config = KMeansConfig::new();
    let d = DistanceMatrix::new(p, 2000, 0);
    let curve = k_choice(p, 2..=8, &config, &d, |_| {});
    assert_eq!(curve.len(), 7);
    let best = curve
        .iter()
        .max_by(|a, b| a.silhouette.total_cmp(&b.silhouette))
        .unwrap();
    assert_eq!(best.k, 4);
    assert!(curve
        .windows(2)
        .all(|w| w[1].inertia <= w[0].inertia + 1e-9));
}

#[test]
fn ari_of_a_relabelling_is_one_and_of_noise_is_near_zero() {
    assert_eq!(adjusted_rand_index(&[0, 0, 1, 1], &[1, 1, 0, 0]), 1.0);
    let mut rng = ChaChaRng::seed_from_u64(3);
    let a: Vec<usize> = (0..2000).map(|_| rng.random_range(0..4)).collect();
    let b: Vec<usize> = (0..2000).map(|_| rng.random_range(0..4)).collect();
    assert!(adjusted_rand_index(&a, &b).abs() < 0.02);
}
