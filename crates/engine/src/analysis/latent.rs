//! The latent summary of every gene (spec section 6) and the model's reconstruction of its
//! time course, computed once per run so that every plot and export reads the same numbers.

use burn::tensor::{Device, Tensor, TensorData};
use rand::SeedableRng;
use serde::{Deserialize, Serialize};
use vrnn_kernels::rng::Rng as ChaChaRng;

use crate::cpu::by_hand;
use crate::model::{read, Vrnn, VrnnConfig};
use crate::parts::{PartHeader, PartInput};
use crate::train::{normal_noise, normal_values};

pub use vrnn_types::LatentSummary;

/// Per-gene latent vectors and reconstructions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Latents {
    pub kind: LatentSummary,
    pub dim: usize,
    /// `genes × dim`, row-major.
    pub values: Vec<f32>,
    /// The decoder's mean for every gene and time, `genes × T`, along the same latent path.
    pub recon: Vec<f32>,
}

/// Genes per forward pass: large enough to be fast, small enough for any GPU's buffers.
const BATCH: usize = 1024;

/// Runs the trained model (no autodiff) over every gene. With [`LatentSummary::PosteriorMean`]
/// the noise is zero, so `z_t = mu_q` and the reconstruction is the model's deterministic
/// reading of the gene; with [`LatentSummary::SampledZ`] the noise comes from `seed`. On the
/// CPU backend the pass is the training parts' own code ([`by_hand::infer`]), so the browser
/// and the CLI find the same latents bit for bit; elsewhere (WebGPU) it is burn's.
pub async fn summarise(
    model: &Vrnn,
    means: &[f32],
    n_genes: usize,
    steps: usize,
    kind: LatentSummary,
    seed: u64,
    device: &Device,
) -> Latents {
    if crate::cpu::is_cpu(device) {
        let weights = model.flat_weights().await;
        return summarise_by_hand(model.config(), weights, means, n_genes, steps, kind, seed);
    }
    summarise_with_burn(model, means, n_genes, steps, kind, seed, device).await
}

/// [`summarise`] on the CPU: [`by_hand::infer`] over each batch of genes, the summaries on the
/// host.
fn summarise_by_hand(
    config: VrnnConfig,
    weights: Vec<f32>,
    means: &[f32],
    n_genes: usize,
    steps: usize,
    kind: LatentSummary,
    seed: u64,
) -> Latents {
    let z_dim = config.z_dim;
    let weights =
        by_hand::Weights::new(&config, weights).expect("a model's own weights fit its sizes");
    let mut workspace = by_hand::Workspace::default();
    let mut rng = ChaChaRng::seed_from_u64(seed ^ 0x5eed_1a7e);
    let width = dim_of(kind, z_dim, steps);
    let mut values = Vec::with_capacity(n_genes * width);
    let mut recon = Vec::with_capacity(n_genes * steps);
    let mut start = 0;
    while start < n_genes {
        let b = BATCH.min(n_genes - start);
        let eps = match kind {
            LatentSummary::SampledZ => normal_values(&mut rng, b * steps * z_dim),
            _ => vec![0.0; b * steps * z_dim],
        };
        let part = PartInput {
            header: PartHeader {
                step: 0,
                index: 0,
                batch: b,
                genes: b,
                steps,
                beta: 1.0,
                model: config.clone(),
                test: true,
            },
            x: means[start * steps..(start + b) * steps].to_vec(),
            eps,
            w: None,
        };
        let out = by_hand::infer(&weights, &part, &mut workspace)
            .expect("a part made here fits its weights");
        // The mean over time, as burn's `mean_dim(1)`: the sum over the steps in order,
        // divided by their number.
        let mean_over_time = |v: &[f32], values: &mut Vec<f32>| {
            for gene in v.chunks(steps * z_dim) {
                for j in 0..z_dim {
                    let sum = (0..steps).fold(0.0f32, |s, t| s + gene[t * z_dim + j]);
                    values.push(sum / steps as f32);
                }
            }
        };
        match kind {
            LatentSummary::PosteriorMean => mean_over_time(&out.mu_q, &mut values),
            LatentSummary::SampledZ => mean_over_time(&out.z, &mut values),
            LatentSummary::Sequence => values.extend_from_slice(&out.mu_q),
            LatentSummary::StandardisedSequence => {
                values.extend(out.mu_q.iter().zip(&out.std_q).map(|(m, s)| m / s))
            }
        }
        recon.extend_from_slice(&out.x_mean);
        start += b;
    }
    Latents {
        kind,
        dim: width,
        values,
        recon,
    }
}

/// [`summarise`] through burn's operations, on any device.
async fn summarise_with_burn(
    model: &Vrnn,
    means: &[f32],
    n_genes: usize,
    steps: usize,
    kind: LatentSummary,
    seed: u64,
    device: &Device,
) -> Latents {
    let z_dim = model.z_dim();
    let mut rng = ChaChaRng::seed_from_u64(seed ^ 0x5eed_1a7e);
    let mut values = Vec::with_capacity(n_genes * z_dim);
    let mut recon = Vec::with_capacity(n_genes * steps);
    let mut start = 0;
    while start < n_genes {
        let b = BATCH.min(n_genes - start);
        let x = Tensor::<3>::from_data(
            TensorData::new(
                means[start * steps..(start + b) * steps].to_vec(),
                [b, steps, 1],
            ),
            device,
        );
        let eps = match kind {
            LatentSummary::SampledZ => normal_noise(&mut rng, [b, steps, z_dim], device),
            _ => Tensor::zeros([b, steps, z_dim], device),
        };
        let out = model.forward(x, eps);
        let summary = match kind {
            LatentSummary::PosteriorMean => out.mu_q.mean_dim(1).reshape([b * z_dim]),
            LatentSummary::SampledZ => out.z.mean_dim(1).reshape([b * z_dim]),
            LatentSummary::Sequence => out.mu_q.reshape([b * steps * z_dim]),
            LatentSummary::StandardisedSequence => {
                (out.mu_q / out.std_q).reshape([b * steps * z_dim])
            }
        };
        let width = dim_of(kind, z_dim, steps);
        let both = Tensor::cat(vec![summary, out.x_mean.reshape([b * steps])], 0);
        let host = read(both).await;
        if host.len() == b * (width + steps) {
            values.extend_from_slice(&host[..b * width]);
            recon.extend_from_slice(&host[b * width..]);
        } else {
            values.extend(std::iter::repeat_n(f32::NAN, b * width));
            recon.extend(std::iter::repeat_n(f32::NAN, b * steps));
        }
        start += b;
    }
    Latents {
        kind,
        dim: dim_of(kind, z_dim, steps),
        values,
        recon,
    }
}

/// Length of one gene's latent summary.
fn dim_of(kind: LatentSummary, z_dim: usize, steps: usize) -> usize {
    match kind {
        LatentSummary::Sequence | LatentSummary::StandardisedSequence => z_dim * steps,
        _ => z_dim,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::VrnnConfig;

    #[test]
    fn standardised_sequence_is_the_sequence_in_posterior_standard_deviations() {
        let device = crate::backend::cpu_device();
        device.seed(7);
        let model = VrnnConfig::new()
            .with_z_dim(3)
            .with_decoder_previous_h(true)
            .init(&device);
        let (genes, steps) = (5, 4);
        let means: Vec<f32> = (0..genes * steps)
            .map(|i| (i as f32 * 0.37).sin())
            .collect();
        let run =
            |kind| pollster::block_on(summarise(&model, &means, genes, steps, kind, 1, &device));
        let plain = run(LatentSummary::Sequence);
        let standardised = run(LatentSummary::StandardisedSequence);
        assert_eq!(standardised.dim, steps * 3);
        assert_eq!(
            standardised.recon, plain.recon,
            "the same latent path is decoded"
        );

        let x = Tensor::<3>::from_data(TensorData::new(means.clone(), [genes, steps, 1]), &device);
        let out = model.forward(x, Tensor::zeros([genes, steps, 3], &device));
        let std: Vec<f32> = out
            .std_q
            .reshape([genes * steps * 3])
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        for ((s, p), sd) in standardised.values.iter().zip(&plain.values).zip(&std) {
            assert!(
                *sd > 0.0 && *sd != 1.0,
                "an untrained model has sd {sd}, which would make the check vacuous"
            );
            assert!(
                (s * sd - p).abs() < 1e-5 * (1.0 + p.abs()),
                "{s} * {sd} != {p}"
            );
        }
    }

    /// On the CPU the latents come by hand; they are burn's (within rounding) for every
    /// summary, sampled ones included (the same noise).
    #[test]
    fn the_latents_by_hand_are_burns() {
        let device = crate::backend::cpu_device();
        let config = VrnnConfig::new()
            .with_z_dim(5)
            .with_decoder_previous_h(true);
        let model = Vrnn::from_weights(&config, &config.initial_weights(3), &device).unwrap();
        assert_eq!(model.config(), config);
        let (genes, steps) = (7, 6);
        let means: Vec<f32> = (0..genes * steps)
            .map(|i| (i as f32 * 0.61).cos())
            .collect();
        for kind in [
            LatentSummary::PosteriorMean,
            LatentSummary::SampledZ,
            LatentSummary::Sequence,
            LatentSummary::StandardisedSequence,
        ] {
            let hand =
                pollster::block_on(summarise(&model, &means, genes, steps, kind, 4, &device));
            let burn = pollster::block_on(summarise_with_burn(
                &model, &means, genes, steps, kind, 4, &device,
            ));
            assert_eq!((hand.dim, hand.values.len()), (burn.dim, burn.values.len()));
            assert_eq!(hand.recon.len(), genes * steps);
            for (name, a, b) in [
                ("values", &hand.values, &burn.values),
                ("recon", &hand.recon, &burn.recon),
            ] {
                assert!(a.iter().any(|&v| v != 0.0), "{kind:?} {name} all zero");
                for (x, y) in a.iter().zip(b.iter()) {
                    assert!(
                        (x - y).abs() <= 1e-5 * (1.0 + y.abs()),
                        "{kind:?} {name}: {x} vs {y}"
                    );
                }
            }
        }
    }
}
