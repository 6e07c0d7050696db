//! The analysis on small hand-made latents: similar genes and re-clustering.

use super::*;

fn toy(latents: Vec<f32>, dim: usize) -> Analysis {
    let n = latents.len() / dim;
    let points = Points::new(&latents, dim);
    let clustering = KMeans::fit(points, 2, &KMeansConfig::new());
    let memberships = clustering.memberships(points);
    Analysis {
        genes: (0..n).map(|i| format!("G{i}")).collect(),
        times: vec![0.0, 1.0],
        means: vec![0.0; n * 2],
        latents: Latents {
            kind: LatentSummary::PosteriorMean,
            dim,
            values: latents.clone(),
            recon: vec![0.0; n * 2],
        },
        clustering,
        memberships,
        k_choice: vec![],
        umap: vec![[0.0; 2]; n],
        shown: vec![],
        timings: AnalysisTimings::default(),
        config: AnalysisConfig::new().with_k(2),
        core_threshold: 0.5,
        replicates: vec![],
        stability: Stability::default(),
        gene_sets: None,
        enrichment: None,
    }
}

#[test]
fn similar_genes_equal_a_brute_force_ranking() {
    let mut rng = ChaChaRng::seed_from_u64(5);
    let dim = 4;
    // Values on a coarse grid so that ties happen.
    let values: Vec<f32> = (0..300 * dim)
        .map(|_| rand::Rng::random_range(&mut rng, 0..4) as f32)
        .collect();
    let a = toy(values.clone(), dim);
    for q in [0, 17, 299] {
        let mut brute: Vec<(usize, f64)> = (0..300)
            .filter(|&j| j != q)
            .map(|j| {
                let d: f64 = (0..dim)
                    .map(|c| (values[q * dim + c] - values[j * dim + c]) as f64)
                    .map(|x| x * x)
                    .sum();
                (j, d.sqrt())
            })
            .collect();
        brute.sort_by(|x, y| x.1.total_cmp(&y.1).then(x.0.cmp(&y.0)));
        brute.truncate(20);
        assert_eq!(a.similar(q, 20), brute);
    }
    let named = a.similar_named("g17", 3).unwrap();
    assert_eq!(named.len(), 3);
    assert!(named.iter().all(|s| s.cluster >= 1 && s.cluster <= 2));
    assert_eq!(
        a.similar_named("nope", 3),
        Err(AnalysisError::UnknownGene("nope".into()))
    );
}

#[test]
fn reclustering_changes_k_and_keeps_the_layout() {
    let values: Vec<f32> = (0..60).map(|i| (i / 10) as f32 * 5.0).collect();
    let mut a = toy(values, 1);
    let umap = a.umap.clone();
    a.recluster(3);
    assert_eq!(a.clustering.k, 3);
    assert_eq!(a.memberships.len(), 60 * 3);
    assert_eq!(a.umap, umap);
    assert_eq!(a.shown.len(), 3);
    assert!(a.shown.iter().all(|s| s.len() <= 10));
    let v = a.cluster_view();
    assert!(v.labels.iter().all(|&l| (1..=3).contains(&l)));
}
