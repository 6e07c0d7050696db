//! Judging clusterings against planted modules: adjusted Rand index and normalised mutual
//! information, the classical baselines, and a preset's whole pipeline (train, summarise,
//! cluster) as the app and the CLI run it.

use burn::tensor::Device;

use crate::backend;
use crate::cluster::{KMeans, KMeansConfig, Points};
use crate::ingest::Dataset;
use crate::latent::summarise;
use crate::preset::{self, Preset, Recipe, Scaling};
use crate::train::Trainer;

pub use crate::cluster::adjusted_rand_index;

/// Normalised mutual information with the arithmetic-mean normalisation (scikit-learn's
/// default): `I(a; b) / ((H(a) + H(b)) / 2)`.
pub fn normalized_mutual_information(a: &[usize], b: &[usize]) -> f64 {
    assert_eq!(a.len(), b.len());
    let n = a.len() as f64;
    if a.is_empty() {
        return 1.0;
    }
    let ka = a.iter().max().map_or(0, |m| m + 1);
    let kb = b.iter().max().map_or(0, |m| m + 1);
    let mut table = vec![0f64; ka * kb];
    let (mut ra, mut rb) = (vec![0f64; ka], vec![0f64; kb]);
    for (&x, &y) in a.iter().zip(b) {
        table[x * kb + y] += 1.0;
        ra[x] += 1.0;
        rb[y] += 1.0;
    }
    let h = |v: &[f64]| -> f64 {
        v.iter()
            .filter(|&&c| c > 0.0)
            .map(|&c| -(c / n) * (c / n).ln())
            .sum()
    };
    let (ha, hb) = (h(&ra), h(&rb));
    let mut mi = 0.0;
    for i in 0..ka {
        for j in 0..kb {
            let c = table[i * kb + j];
            if c > 0.0 {
                mi += (c / n) * ((c * n) / (ra[i] * rb[j])).ln();
            }
        }
    }
    if ha + hb == 0.0 {
        return 1.0;
    }
    (mi / ((ha + hb) / 2.0)).clamp(0.0, 1.0)
}

/// The classical baselines: k-means on per-gene per-time means after each scaling, the last
/// after the Dynamics preset's compositional correction too (its input without the VRNN).
pub const BASELINES: [(&str, Scaling, bool); 4] = [
    ("k-means, raw means", Scaling::None, false),
    ("k-means, z-scored means", Scaling::ZScore, false),
    ("k-means, SNR-damped z-scores", Scaling::SnrZScore, false),
    (
        "k-means, SNR-damped z-scores of composition-corrected means",
        Scaling::SnrZScore,
        true,
    ),
];

/// Labels of a baseline (k-means with the same restarts and seed as the presets).
pub fn baseline(
    d: &Dataset,
    scaling: Scaling,
    composition: bool,
    k: usize,
    seed: u64,
) -> Vec<usize> {
    let values = preset::scaled_means(d, scaling, composition);
    KMeans::fit(
        Points::new(&values, d.n_times().max(1)),
        k,
        &KMeansConfig::new().with_seed(seed),
    )
    .labels
}

/// A preset's labels after training `epochs` on the CPU backend, and the training seconds.
/// `now` is a clock in seconds.
pub fn run_preset(
    d: &Dataset,
    preset: Preset,
    epochs: usize,
    seed: u64,
    k: usize,
    now: &dyn Fn() -> f64,
) -> (Vec<usize>, f64) {
    run_recipe(d, &Recipe::of(preset), epochs, seed, k, now)
}

/// [`run_preset`] for any recipe (a preset with one lever changed, for ablations).
pub fn run_recipe(
    d: &Dataset,
    recipe: &Recipe,
    epochs: usize,
    seed: u64,
    k: usize,
    now: &dyn Fn() -> f64,
) -> (Vec<usize>, f64) {
    let prepared = recipe.prepare(d);
    let config = recipe.train_config(epochs, seed);
    let device: Device = backend::training_device(backend::cpu_device(), seed);
    let mut trainer = Trainer::new(config, &prepared.values, d.n_genes(), d.n_times(), &device);
    if let Some(w) = &prepared.inverse_variance {
        trainer = trainer.with_inverse_variance(w);
    }
    let t0 = now();
    while !trainer.is_done() {
        pollster::block_on(trainer.epoch());
    }
    let seconds = now() - t0;
    let (model, device) = trainer.inference_model();
    let analysis = crate::analysis::AnalysisConfig::seeded(seed).with_k(k);
    let latents = pollster::block_on(summarise(
        &model,
        &prepared.values,
        d.n_genes(),
        d.n_times(),
        recipe.latent,
        seed,
        &device,
    ));
    let labels = KMeans::fit(
        Points::new(&latents.values, latents.dim),
        k,
        &analysis.kmeans,
    )
    .labels;
    (labels, seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nmi_values() {
        assert!((normalized_mutual_information(&[0, 0, 1, 1], &[1, 1, 0, 0]) - 1.0).abs() < 1e-12);
        // Independent labelings share no information.
        assert!(normalized_mutual_information(&[0, 0, 1, 1], &[0, 1, 0, 1]).abs() < 1e-12);
        // From the definition by hand: I = 0.7945, H(a) = 1.0986, H(b) = 1.0114.
        let v = normalized_mutual_information(&[0, 0, 1, 1, 2, 2], &[0, 0, 1, 2, 2, 2]);
        assert!((v - 0.7396673768007591).abs() < 1e-9, "{v}");
    }
}
