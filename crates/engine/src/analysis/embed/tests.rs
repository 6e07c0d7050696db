//! The UMAP's tests: umap-learn's constants, a separable layout, trustworthiness.

use super::*;
use crate::cluster::{adjusted_rand_index, KMeans, KMeansConfig};

#[test]
fn ab_params_match_umap_learn() {
    // umap-learn: find_ab_params(1.0, 0.1) = (1.5769, 0.8951).
    let (a, b) = find_ab_params(1.0, 0.1);
    assert!((a - 1.5769).abs() < 2e-3, "a = {a}");
    assert!((b - 0.8951).abs() < 2e-3, "b = {b}");
}

#[test]
fn knn_lists_self_first_then_nearest() {
    let data = [0.0f32, 1.0, 3.0, 10.0];
    let (idx, dist) = knn(Points::new(&data, 1), 3);
    assert_eq!(&idx[..3], &[0, 1, 2]);
    assert_eq!(&dist[..3], &[0.0, 1.0, 3.0]);
    assert_eq!(&idx[9..], &[3, 2, 1]);
}

#[test]
fn keeps_neighbourhoods_and_separates_clusters() {
    let dim = 16;
    let centres: Vec<Vec<f32>> = (0..5)
        .map(|c| {
            (0..dim)
                .map(|d| if d % 5 == c { 6.0 } else { 0.0 })
                .collect()
        })
        .collect();
    let data = crate::cluster::tests::blobs(&centres, 100, 1.0, 11);
    let truth: Vec<usize> = (0..5).flat_map(|c| vec![c; 100]).collect();
    let high = Points::new(&data, dim);
    let mut umap = Umap::new(high, &UmapConfig::new());
    while !umap.is_done() {
        umap.run(50);
    }
    let emb: Vec<f32> = umap.embedding().iter().flat_map(|p| *p).collect();
    let low = Points::new(&emb, 2);
    let t = trustworthiness(high, low, 15);
    assert!(t >= 0.9, "trustworthiness {t}");
    // Clusters stay apart: k-means on the 2-D layout finds the planted groups.
    let km = KMeans::fit(low, 5, &KMeansConfig::new());
    let ari = adjusted_rand_index(&km.labels, &truth);
    assert!(ari > 0.99, "ARI on the layout {ari}");
    // Reproducible for a seed.
    let mut again = Umap::new(high, &UmapConfig::new());
    while !again.is_done() {
        again.run(500);
    }
    assert_eq!(again.embedding(), umap.embedding());
}

#[test]
fn trustworthiness_is_one_for_an_isometry() {
    let data: Vec<f32> = (0..40).map(|i| (i * i % 17) as f32).collect();
    let p = Points::new(&data, 2);
    assert!((trustworthiness(p, p, 5) - 1.0).abs() < 1e-12);
}
