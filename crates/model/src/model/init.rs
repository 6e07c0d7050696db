//! The model's initial weights, drawn from the pinned generator of record.
//!
//! Why not burn's initialisers: they draw from the device's generator (`Device::seed`, rand's
//! `StdRng` inside burn's CPU backend), whose algorithm rand may change between versions and
//! whose order of draws depends on when each layer is first read. A seed written in a paper or
//! a session must give the same model after a dependency update, so the weights are drawn here,
//! on the host, in a fixed order, and loaded as a PyTorch `state_dict` would be.
//!
//! The distributions are PyTorch's defaults, so a model starts as the reference's does:
//! `nn.Linear` weight and bias `U(-1/√in, 1/√in)` (kaiming-uniform with a = √5 gives that bound),
//! `nn.LSTMCell` every tensor `U(-1/√h, 1/√h)`.

use rand::{RngCore, SeedableRng};
use vrnn_kernels::rng::Rng;

use super::torch::{TorchTensors, LINEARS};
use super::VrnnConfig;

/// The ChaCha stream the initial weights come from. The training noise and gene split use
/// stream 0 of the same seed: another stream keeps the two independent.
pub const INIT_STREAM: u64 = 1;

/// Uniform on `[-k, k)` from 24 random bits per value: the mapping is written out here, not
/// taken from `rand`'s distributions, whose algorithms are not part of their contract.
fn uniform(rng: &mut Rng, n: usize, k: f64) -> Vec<f32> {
    (0..n)
        .map(|_| {
            let u = f64::from(rng.next_u32() >> 8) / f64::from(1u32 << 24);
            (-k + 2.0 * k * u) as f32
        })
        .collect()
}

impl VrnnConfig {
    /// Every initial weight for `seed`, by PyTorch name, in `state_dict` layout. Drawn in the
    /// order of [`LINEARS`] (weight, then bias), then the LSTM cell's `weight_ih`,
    /// `weight_hh`, `bias_ih`, `bias_hh`.
    pub fn initial_weights(&self, seed: u64) -> TorchTensors {
        let mut rng = Rng::seed_from_u64(seed);
        rng.set_stream(INIT_STREAM);
        let (x, h, z, w) = (self.x_dim, self.h_dim, self.z_dim, self.width);
        let sizes = |name: &str| match name {
            "enc1" => (h + x, w),
            "enc2" | "prior2" => (w, w),
            "enc_mean" | "enc_logvar" | "prior_mean" | "prior_logvar" => (w, z),
            "prior1" => (h, w),
            "dec1" => (h + z, w),
            _ => (w, x), // dec2
        };
        let mut out = TorchTensors::new();
        for name in LINEARS {
            let (fan_in, fan_out) = sizes(name);
            let k = 1.0 / (fan_in as f64).sqrt();
            let weight = uniform(&mut rng, fan_out * fan_in, k);
            let bias = uniform(&mut rng, fan_out, k);
            out.insert(format!("{name}.weight"), (vec![fan_out, fan_in], weight));
            out.insert(format!("{name}.bias"), (vec![fan_out], bias));
        }
        let k = 1.0 / (h as f64).sqrt();
        for (name, shape) in [
            ("lstm.weight_ih", vec![4 * h, x + z]),
            ("lstm.weight_hh", vec![4 * h, h]),
            ("lstm.bias_ih", vec![4 * h]),
            ("lstm.bias_hh", vec![4 * h]),
        ] {
            let values = uniform(&mut rng, shape.iter().product(), k);
            out.insert(name.to_string(), (shape, values));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first initial weights for seed 42. If these change, every seed trains a different
    /// model: do not update the numbers, pin the old algorithm.
    #[test]
    fn initial_weights_are_pinned_and_have_pytorchs_bounds() {
        let c = VrnnConfig::new();
        let w = c.initial_weights(42);
        let (shape, enc1) = &w["enc1.weight"];
        assert_eq!(shape, &vec![c.width, c.h_dim + c.x_dim]);
        let first: Vec<f32> = enc1[..4].to_vec();
        assert_eq!(
            first, PINNED_ENC1_SEED_42,
            "the initial weights' stream changed"
        );
        for (name, (shape, v)) in &w {
            let fan_in = if name.starts_with("lstm") {
                c.h_dim
            } else {
                w[&name.replace(".bias", ".weight")].0[1]
            };
            let k = 1.0 / (fan_in as f32).sqrt();
            assert_eq!(v.len(), shape.iter().product::<usize>(), "{name}");
            assert!(v.iter().all(|x| (-k..k).contains(x)), "{name}");
        }
        assert_eq!(c.initial_weights(42), w, "reproducible");
        assert_ne!(c.initial_weights(43)["enc1.weight"], w["enc1.weight"]);
    }

    const PINNED_ENC1_SEED_42: [f32; 4] = [0.12826286, -0.07490269, -0.13101436, -0.012119164];
}
