//! Judging clusterings against planted modules: adjusted Rand index and normalised mutual
//! information, the classical baselines, and a preset's whole pipeline (train, summarise,
//! cluster) as the app and the CLI run it.

use vrnn_types::{Backend, GeneSelection, TrainSettings};

use crate::backend;
use crate::cluster::{KMeans, KMeansConfig, Points};
use crate::ingest::Dataset;
use crate::preset::{self, Preset, Recipe, Scaling};
use crate::run::{Clock, Quiet, Run};
use crate::session::Source;

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
pub fn run_preset(
    d: &Dataset,
    preset: Preset,
    epochs: usize,
    seed: u64,
    k: usize,
    clock: Clock,
) -> (Vec<usize>, f64) {
    run_recipe(d, &Recipe::of(preset), epochs, seed, k, clock)
}

/// [`run_preset`] for any recipe (a preset with one lever changed, for ablations), through the
/// one run pipeline on every gene of `d`.
pub fn run_recipe(
    d: &Dataset,
    recipe: &Recipe,
    epochs: usize,
    seed: u64,
    k: usize,
    clock: Clock,
) -> (Vec<usize>, f64) {
    let settings = TrainSettings {
        epochs,
        seed,
        k,
        latent: Some(recipe.latent),
        genes: None,
        keep: Vec::new(),
        // Every gene, so that every planted module (the flat one too) is scored.
        selection: GeneSelection::Variance,
        ..TrainSettings::default()
    };
    let (mut run, _) = Run::with_recipe(
        d,
        Source::default(),
        settings,
        recipe.clone(),
        backend::cpu_device(),
        Backend::Cpu,
        clock,
    )
    .expect("an evaluation data set has more genes than clusters");
    // Every core: threads change the speed, never the labels.
    run.set_threads(std::thread::available_parallelism().map_or(1, |n| n.get()));
    pollster::block_on(run.train(&mut Quiet));
    let labels = pollster::block_on(run.cluster_labels(k));
    (labels, run.train_seconds())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nmi_values() {
        assert!((normalized_mutual_information(&[0, 0, 1, 1], &[1, 1, 0, 0]) - 1.0).abs() < 1e-12);
        // Independent labelings share no information.
        assert!(normalized_mutual_information(&[0, 0, 1, 1], &[0, 1, 0, 1]).abs() < 1e-12);
        // From the definition by hand: I = ln(3)/2 + ln(2)/3 = 0.7803, H(a) = ln 3 = 1.0986,
        // H(b) = 1.0114, and 0.7803 / ((1.0986 + 1.0114) / 2) = 0.7397.
        let v = normalized_mutual_information(&[0, 0, 1, 1, 2, 2], &[0, 0, 1, 2, 2, 2]);
        assert!((v - 0.7396673768007591).abs() < 1e-9, "{v}");
    }
}
