//! The two presets. `Reference` is the published pipeline exactly (spec sections 3–6): raw
//! per-time means, unit-variance likelihood, decoder reading `h_t`, the time-averaged latent.
//! `Dynamics` is this project's design for clustering by shape; each of its choices and the
//! effect measured for it are in docs/dynamics.md.

use serde::{Deserialize, Serialize};

use super::noise;
use crate::ingest::Dataset;
use crate::model::VrnnConfig;
use crate::train::TrainConfig;
use vrnn_types::{LatentSummary, TrainSettings};

pub use vrnn_types::Preset;

/// How each gene's per-time means are scaled before training.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scaling {
    /// Raw means (the reference).
    None,
    /// Per gene: subtract the mean over time, divide by the standard deviation over time.
    ZScore,
    /// Z-score, then shrink by the share of the gene's variance over time that is signal
    /// rather than sampling noise: `sqrt(max(0, 1 - mean(se²) / var(means)))`. A flat gene's
    /// z-scores are pure noise blown up to unit variance; this puts them back near zero.
    SnrZScore,
}

/// Inputs ready for training: `genes × T` values and, where the preset uses them, the
/// per-observation inverse variances of the likelihood.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    pub values: Vec<f32>,
    pub inverse_variance: Option<Vec<f32>>,
    /// Per gene, `raw = offset + value / factor + correction` (where the factor is not zero).
    pub offsets: Vec<f64>,
    pub factors: Vec<f64>,
    /// Genes × T: the compositional correction subtracted before scaling (empty: none).
    pub corrections: Vec<f32>,
    /// The per-time log factors that correction undid (`composition::log_factors`).
    pub log_factors: Option<Vec<f64>>,
}

impl Prepared {
    /// Model outputs (`genes × T`, scaled units) back in the units of the observed means; a
    /// gene shrunk to nothing gets its mean.
    pub fn unscale(&self, scaled: &[f32]) -> Vec<f32> {
        let t = scaled.len() / self.offsets.len().max(1);
        scaled
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                let g = i / t.max(1);
                let (o, f) = (self.offsets[g], self.factors[g]);
                let c = self.corrections.get(i).map_or(0.0, |&c| c as f64);
                if f.abs() > 1e-12 {
                    (o + v as f64 / f + c) as f32
                } else {
                    (o + c) as f32
                }
            })
            .collect()
    }
}

/// Smallest standard deviation of an observation, in scaled units: no time point is trusted
/// beyond this (a gene measured in few cells can have a tiny or zero standard error).
const MIN_SCALED_SE: f64 = 0.1;

/// Per gene: the scaled values and the factor applied to the centred means.
pub fn scale_gene(means: &[f32], se: &[f32], scaling: Scaling) -> (Vec<f32>, f64) {
    let t = means.len().max(1) as f64;
    let mean = means.iter().map(|&v| v as f64).sum::<f64>() / t;
    let var = means
        .iter()
        .map(|&v| (v as f64 - mean).powi(2))
        .sum::<f64>()
        / t;
    let sd = var.sqrt();
    match scaling {
        Scaling::None => (means.to_vec(), 1.0),
        Scaling::ZScore | Scaling::SnrZScore => {
            if sd <= 1e-12 {
                return (vec![0.0; means.len()], 0.0);
            }
            let shrink = if scaling == Scaling::SnrZScore {
                let noise = se.iter().map(|&s| (s as f64).powi(2)).sum::<f64>() / t;
                (1.0 - noise / var).max(0.0).sqrt()
            } else {
                1.0
            };
            let factor = shrink / sd;
            (
                means
                    .iter()
                    .map(|&v| ((v as f64 - mean) * factor) as f32)
                    .collect(),
                factor,
            )
        }
    }
}

/// The scaled per-time means of every gene (`genes × T`), e.g. for the classical baselines;
/// with `composition`, after undoing the compositional shift ([`crate::composition`]).
pub fn scaled_means(d: &Dataset, scaling: Scaling, composition: bool) -> Vec<f32> {
    let t = d.n_times();
    let means = corrected_means(d, composition).means;
    let estimated = noise::estimated_std_errors(d, &means);
    let se = estimated.as_deref().unwrap_or(&d.std_errors);
    let mut out = Vec::with_capacity(d.means.len());
    for g in 0..d.n_genes() {
        let r = g * t..(g + 1) * t;
        out.extend(scale_gene(&means[r.clone()], &se[r], scaling).0);
    }
    out
}

/// The per-time means to scale, with the correction taken off them and its factors.
struct Corrected {
    means: Vec<f32>,
    corrections: Vec<f32>,
    log_factors: Option<Vec<f64>>,
}

fn corrected_means(d: &Dataset, composition: bool) -> Corrected {
    match composition
        .then(|| crate::composition::corrections(d))
        .flatten()
    {
        Some((factors, corrections)) => Corrected {
            means: d
                .means
                .iter()
                .zip(&corrections)
                .map(|(m, c)| m - c)
                .collect(),
            corrections,
            log_factors: Some(factors),
        },
        None => Corrected {
            means: d.means.clone(),
            corrections: Vec::new(),
            log_factors: None,
        },
    }
}

/// Every lever of a preset, so that each can be measured on its own (`evaluate --ablation`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recipe {
    /// Undo a compositional shift of the counts before scaling ([`crate::composition`]).
    #[serde(default)]
    pub composition: bool,
    pub scaling: Scaling,
    /// Use each per-time mean's standard error as the likelihood's variance.
    pub observation_variance: bool,
    pub decoder_previous_h: bool,
    pub latent: LatentSummary,
    pub beta: f64,
    pub lr: f64,
    pub z_dim: usize,
}

impl Recipe {
    pub fn of(preset: Preset) -> Recipe {
        match preset {
            Preset::Reference => Recipe {
                composition: false,
                scaling: Scaling::None,
                observation_variance: false,
                decoder_previous_h: false,
                latent: LatentSummary::PosteriorMean,
                beta: 1e-6,
                lr: 1e-4,
                z_dim: 64,
            },
            Preset::Dynamics => Recipe {
                composition: true,
                scaling: Scaling::SnrZScore,
                observation_variance: true,
                decoder_previous_h: true,
                latent: LatentSummary::StandardisedSequence,
                beta: 1.0,
                lr: 1e-3,
                z_dim: 8,
            },
        }
    }

    /// The Dynamics recipe with one lever changed, by name (for the evaluation's ablations).
    pub fn ablation(name: &str) -> Option<Recipe> {
        let mut r = Recipe::of(Preset::Dynamics);
        match name {
            "none" => {}
            "no-composition" => r.composition = false,
            "zscore" => r.scaling = Scaling::ZScore,
            "unit-variance" => r.observation_variance = false,
            "decoder-h-t" => r.decoder_previous_h = false,
            "latent-mean" => r.latent = LatentSummary::PosteriorMean,
            "latent-unstandardised" => r.latent = LatentSummary::Sequence,
            "beta-1e-6" => r.beta = 1e-6,
            "beta-0.3" => r.beta = 0.3,
            "beta-3" => r.beta = 3.0,
            "z4" => r.z_dim = 4,
            "z16" => r.z_dim = 16,
            "z64" => r.z_dim = 64,
            "lr-1e-4" => r.lr = 1e-4,
            _ => return None,
        }
        Some(r)
    }

    /// The recipe a run's settings ask for: the preset's, with the run's own beta, learning
    /// rate and latent summary.
    pub fn for_settings(settings: &TrainSettings) -> Recipe {
        let mut r = Recipe::of(settings.preset);
        r.beta = settings.beta.unwrap_or(r.beta);
        r.lr = settings.lr.unwrap_or(r.lr);
        r.latent = settings.latent.unwrap_or(r.latent);
        r
    }

    /// The training configuration of a run with `settings` on this recipe.
    pub fn train_config_for(&self, settings: &TrainSettings) -> TrainConfig {
        self.train_config(settings.epochs, settings.seed)
            .with_batch_size(settings.batch_size())
            .with_parts(settings.parts())
    }

    pub fn train_config(&self, epochs: usize, seed: u64) -> TrainConfig {
        TrainConfig::new()
            .with_epochs(epochs)
            .with_seed(seed)
            .with_lr(self.lr)
            .with_beta(self.beta)
            .with_model(
                VrnnConfig::new()
                    .with_z_dim(self.z_dim)
                    .with_decoder_previous_h(self.decoder_previous_h),
            )
    }

    pub fn prepare(&self, d: &Dataset) -> Prepared {
        let Corrected {
            means,
            corrections,
            log_factors,
        } = corrected_means(d, self.composition);
        if self.scaling == Scaling::None && !self.observation_variance {
            return Prepared {
                values: means,
                inverse_variance: None,
                offsets: vec![0.0; d.n_genes()],
                factors: vec![1.0; d.n_genes()],
                corrections,
                log_factors,
            };
        }
        let t = d.n_times();
        // One sample per time point: no standard error, so it is estimated (recipe::noise).
        let estimated = noise::estimated_std_errors(d, &means);
        let std_errors = estimated.as_deref().unwrap_or(&d.std_errors);
        let mut values = Vec::with_capacity(d.means.len());
        let mut inv = Vec::with_capacity(d.means.len());
        let mut offsets = Vec::with_capacity(d.n_genes());
        let mut factors = Vec::with_capacity(d.n_genes());
        for g in 0..d.n_genes() {
            let r = g * t..(g + 1) * t;
            let (v, factor) = scale_gene(&means[r.clone()], &std_errors[r.clone()], self.scaling);
            let offset = if self.scaling == Scaling::None {
                0.0
            } else {
                means[r.clone()].iter().map(|&m| m as f64).sum::<f64>() / t as f64
            };
            offsets.push(offset);
            factors.push(factor);
            values.extend(v);
            // The likelihood weighs by the data's own standard errors: an estimated one is a
            // rough level per gene, which weighed the genes against each other for the worse
            // (docs/dynamics.md); with none, every time point gets the floor.
            inv.extend(d.std_errors[r].iter().map(|&se| {
                let s = (se as f64 * factor).max(MIN_SCALED_SE);
                (1.0 / (s * s)) as f32
            }));
        }
        Prepared {
            values,
            inverse_variance: self.observation_variance.then_some(inv),
            offsets,
            factors,
            corrections,
            log_factors,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalings() {
        let m = [1.0f32, 2.0, 3.0];
        let (z, f) = scale_gene(&m, &[0.0; 3], Scaling::ZScore);
        let sd = (2.0f64 / 3.0).sqrt();
        assert!((f - 1.0 / sd).abs() < 1e-12);
        assert!((z[0] as f64 + 1.0 / sd).abs() < 1e-6 && z[1].abs() < 1e-6);
        // Noise as large as the spread: shrunk to nothing.
        let big = (2.0f32 / 3.0).sqrt();
        let (z, _) = scale_gene(&m, &[big; 3], Scaling::SnrZScore);
        assert!(z.iter().all(|v| v.abs() < 1e-3), "{z:?}");
        // No noise: plain z-scores.
        let (z2, _) = scale_gene(&m, &[0.0; 3], Scaling::SnrZScore);
        let (z1, _) = scale_gene(&m, &[0.0; 3], Scaling::ZScore);
        assert_eq!(z1, z2);
        // A constant gene stays at zero.
        assert_eq!(
            scale_gene(&[2.0; 3], &[0.1; 3], Scaling::ZScore).0,
            vec![0.0; 3]
        );
    }
}
