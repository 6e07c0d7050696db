//! The latent summary of every gene (spec section 6) and the model's reconstruction of its
//! time course, computed once per run so that every plot and export reads the same numbers.

use burn::tensor::{Device, Tensor, TensorData};
use rand::SeedableRng;
use serde::{Deserialize, Serialize};
use vrnn_kernels::rng::Rng as ChaChaRng;

use crate::model::{read, Vrnn};
use crate::train::normal_noise;

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
/// reading of the gene; with [`LatentSummary::SampledZ`] the noise comes from `seed`.
pub async fn summarise(
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
}
