//! The optimiser step (global-norm clipping, then Adam) over one flat tensor that holds every
//! parameter, instead of burn's `ModuleOptimizer`, which steps the model parameter by parameter.
//!
//! Why: the step's arithmetic is element-wise, so it does not care how the parameters are cut
//! into tensors, but its cost does. Per parameter (24 tensors here) the clipping took a square,
//! a sum and an add for the norm and a product to scale, and Adam about a dozen operations:
//! some 400 small operations per step, each a WebGPU dispatch (or a fused kernel) on the GPU, and
//! on the CPU a serial stretch between two batches' parallel parts (the analysis worker's own
//! time in the browser, where the helpers wait). Over one buffer it is about twenty operations.
//! Adam itself is still burn's ([`burn::optim::Adam`], applied to the one tensor), so the numbers
//! are those of the per-parameter step; the norm is now one reduction over every gradient
//! instead of a sum of per-parameter ones, so when clipping applies its last bits can differ.

use burn::optim::{Adam, AdamConfig, AdamState, Optimizer};
use burn::tensor::{Tensor, TensorData};

use crate::model::Vrnn;

/// Adam exactly as `torch.optim.Adam(lr, betas=(0.9, 0.999), eps=1e-8)`; burn's default epsilon
/// is 1e-5, and its built-in clipping works per tensor, so [`FlatOptimizer`] clips instead.
pub fn reference_adam() -> AdamConfig {
    AdamConfig::new()
        .with_beta_1(0.9)
        .with_beta_2(0.999)
        .with_epsilon(1e-8)
}

/// Adam's state and the weights it steps, as one flat tensor in the order and layout of
/// [`Vrnn::flat_weight_tensor`], on the training device's inner (non-autodiff) device.
pub struct FlatOptimizer {
    adam: Adam,
    state: Option<AdamState<1>>,
    weights: Tensor<1>,
}

impl FlatOptimizer {
    /// Starts from `model`'s weights with a fresh Adam state (no step taken yet).
    pub fn new(config: &AdamConfig, model: &Vrnn) -> Self {
        Self {
            adam: config.build(),
            state: None,
            weights: model.flat_weight_tensor(),
        }
    }

    /// The weights as they stand, flat.
    pub fn weights(&self) -> &Tensor<1> {
        &self.weights
    }

    /// Scales `grads` (flat, in the weights' layout) as `torch.nn.utils.clip_grad_norm_` does,
    /// by `min(1, clip_norm / (norm + 1e-6))` where `norm` is their L2 norm, takes Adam's step
    /// at learning rate `lr`, and returns `model` with the new weights (each parameter a span
    /// of the flat tensor) and the norm before clipping. Nothing is read back from the device;
    /// gradients that do not fit change nothing.
    pub fn step(
        &mut self,
        lr: f64,
        clip_norm: f64,
        model: &Vrnn,
        grads: Tensor<1>,
    ) -> Result<(Vrnn, Tensor<1>), String> {
        self.check(model, grads.dims()[0])?;
        let norm = grads.clone().square().sum().sqrt();
        let factor = norm
            .clone()
            .add_scalar(1e-6)
            .recip()
            .mul_scalar(clip_norm)
            .clamp_max(1.0);
        let model = self.adam_step(lr, model, grads * factor)?;
        Ok((model, norm))
    }

    /// [`FlatOptimizer::step`] for gradients summed on the host (a batch's parts): the norm is
    /// taken there, in a fixed order ([`host_norm`]), and the factor computed as `step` does.
    /// Why: burn's reduction on the device adds in an order that follows the machine's vector
    /// width (AVX natively, 128 bits in WebAssembly), so a clipped step differed in its last
    /// bits between the CLI and the browser, and so did every step after it.
    pub fn step_host(
        &mut self,
        lr: f64,
        clip_norm: f64,
        model: &Vrnn,
        grads: Vec<f32>,
    ) -> Result<(Vrnn, f32), String> {
        let n = grads.len();
        self.check(model, n)?;
        let norm = host_norm(&grads);
        let factor = ((norm + 1e-6f32).recip() * clip_norm as f32).min(1.0);
        let device = self.weights.device();
        let grads = Tensor::<1>::from_data(TensorData::new(grads, [n]), &device);
        let model = self.adam_step(lr, model, grads.mul_scalar(factor))?;
        Ok((model, norm))
    }

    fn check(&self, model: &Vrnn, grads: usize) -> Result<(), String> {
        let n = self.weights.dims()[0];
        if grads != n || model.flat_len() != n {
            return Err(format!("{grads} gradients for a model of {n} parameters"));
        }
        Ok(())
    }

    /// Adam's step with clipped gradients; `model` with the new weights.
    fn adam_step(&mut self, lr: f64, model: &Vrnn, grads: Tensor<1>) -> Result<Vrnn, String> {
        let (weights, state) = self
            .adam
            .step(lr, self.weights.clone(), grads, self.state.take());
        self.state = state;
        self.weights = weights;
        model.clone().with_flat_tensor(self.weights.clone())
    }
}

/// The L2 norm of `values`, the same bits on every platform: the squares added in sixteen
/// single-precision lanes within blocks of 1024 values (so that it vectorises), the blocks in
/// double precision, in that order.
pub fn host_norm(values: &[f32]) -> f32 {
    let mut total = 0.0f64;
    for block in values.chunks(1024) {
        let mut lanes = [0.0f32; 16];
        let chunks = block.chunks_exact(16);
        let rest: f32 = chunks.remainder().iter().map(|v| v * v).sum();
        for c in chunks {
            for (l, v) in lanes.iter_mut().zip(c) {
                *l += v * v;
            }
        }
        total += lanes.iter().sum::<f32>() as f64 + rest as f64;
    }
    total.sqrt() as f32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{cpu_device, training_device};
    use crate::model::{vrnn_loss, VrnnConfig};
    use burn::module::Module;
    use burn::optim::GradientsParams;
    use burn::tensor::Distribution;

    /// Without clipping, the flat step is burn's own per-parameter Adam, bit for bit, over
    /// several steps; and the model's parameters are the optimiser's weights.
    #[test]
    fn the_flat_step_is_burns_adam_parameter_by_parameter() {
        let device = training_device(cpu_device(), 3);
        let normal = Distribution::Normal(0.0, 1.0);
        let x = Tensor::<3>::random([6, 5, 1], normal, &device);
        let eps = Tensor::<3>::random([6, 5, 64], normal, &device);
        let grads_of = |m: &Vrnn| {
            let out = m.forward(x.clone(), eps.clone());
            GradientsParams::from_grads(vrnn_loss(x.clone(), &out, 0.5).loss.backward(), m)
        };
        let start = VrnnConfig::new().init(&device);
        let mut per_param = (start.clone(), reference_adam().init());
        let mut flat = (start.clone(), FlatOptimizer::new(&reference_adam(), &start));
        for step in 0..3 {
            let grads = grads_of(&per_param.0);
            per_param.0 = per_param.1.step(1e-2, per_param.0.clone(), grads);
            let grads = grads_of(&flat.0);
            let g = flat.0.flat_gradient_tensor(&grads);
            let (model, norm) = flat.1.step(1e-2, 1e9, &flat.0, g).unwrap();
            flat.0 = model;
            let norm = norm.into_data().try_to_vec::<f32>().unwrap()[0];
            assert!(norm > 0.0 && norm < 1e9, "step {step}: norm {norm}");
            let bits = |v: Vec<f32>| v.into_iter().map(f32::to_bits).collect::<Vec<_>>();
            let a = bits(pollster::block_on(per_param.0.flat_weights()));
            assert_ne!(a, bits(pollster::block_on(start.flat_weights())));
            assert_eq!(
                a,
                bits(pollster::block_on(flat.0.flat_weights())),
                "step {step}"
            );
            let held = flat.1.weights().clone().into_data().try_to_vec::<f32>();
            assert_eq!(
                a,
                bits(held.unwrap()),
                "step {step}: the optimiser's weights"
            );
        }
        assert_eq!(flat.0.num_params(), start.num_params());
    }

    /// The gradients are scaled to the clipping norm; gradients that do not fit are refused
    /// and change nothing.
    #[test]
    fn gradients_are_clipped_and_checked() {
        let device = training_device(cpu_device(), 4);
        let model = VrnnConfig::new().init(&device);
        let n = model.flat_len();
        let inner = device.clone().inner();
        let mut optim = FlatOptimizer::new(&reference_adam(), &model);
        let before = optim.weights().clone().into_data();
        let err = optim
            .step(1e-3, 1.0, &model, Tensor::zeros([n + 1], &inner))
            .err()
            .unwrap();
        assert!(err.contains(&format!("{} gradients", n + 1)), "{err}");
        assert_eq!(optim.weights().clone().into_data(), before);

        // Every gradient 3: norm 3 sqrt(n), clipped to 1. Adam with epsilon 1 moves a weight by
        // lr g / (|g| + 1) in its first step, so the move shows the clipped gradient.
        let adam = AdamConfig::new().with_epsilon(1.0);
        let mut optim = FlatOptimizer::new(&adam, &model);
        let (_, norm) = optim
            .step(1e-3, 1.0, &model, Tensor::full([n], 3.0, &inner))
            .unwrap();
        let norm = norm.into_data().try_to_vec::<f32>().unwrap()[0];
        let want = 3.0 * (n as f64).sqrt();
        assert!(
            (norm as f64 - want).abs() <= 1e-4 * want,
            "{norm} vs {want}"
        );
        let g = 3.0 / want;
        let moved = 1e-3 * g / (g + 1.0);
        let after = optim
            .weights()
            .clone()
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        let before = before.try_to_vec::<f32>().unwrap();
        for (a, b) in after.iter().zip(&before) {
            let d = (b - a) as f64;
            assert!(
                (d - moved).abs() < 1e-3 * moved + 2e-8,
                "moved {d}, want {moved}"
            );
        }
    }

    /// Gradients summed on the host take the device's step: the same bits without clipping,
    /// the same up to the norm's last bits with it; and the host norm is the norm.
    #[test]
    fn the_host_step_is_the_devices() {
        let device = training_device(cpu_device(), 5);
        let model = VrnnConfig::new().init(&device);
        let n = model.flat_len();
        let inner = device.clone().inner();
        let grads: Vec<f32> = (0..n)
            .map(|i| ((i * 7919) % 1000) as f32 / 500.0 - 1.0)
            .collect();
        let want = grads
            .iter()
            .map(|&g| (g as f64).powi(2))
            .sum::<f64>()
            .sqrt();
        let norm = host_norm(&grads);
        assert!(
            (norm as f64 - want).abs() <= 1e-6 * want,
            "{norm} vs {want}"
        );
        let weights =
            |o: &FlatOptimizer| o.weights().clone().into_data().try_to_vec::<f32>().unwrap();
        for clip in [1e9, 1.0] {
            let mut on_device = FlatOptimizer::new(&reference_adam(), &model);
            let mut on_host = FlatOptimizer::new(&reference_adam(), &model);
            for _ in 0..2 {
                let t = Tensor::<1>::from_data(TensorData::new(grads.clone(), [n]), &inner);
                on_device.step(1e-2, clip, &model, t).unwrap();
                let (_, norm) = on_host
                    .step_host(1e-2, clip, &model, grads.clone())
                    .unwrap();
                assert!((norm as f64 - want).abs() <= 1e-6 * want);
            }
            let (a, b) = (weights(&on_device), weights(&on_host));
            if clip > 1e6 {
                assert_eq!(a, b, "unclipped: bit for bit");
            } else {
                for (x, y) in a.iter().zip(&b) {
                    assert!((x - y).abs() <= 1e-6, "clipped: {x} vs {y}");
                }
            }
        }
        let mut optim = FlatOptimizer::new(&reference_adam(), &model);
        let err = optim
            .step_host(1e-3, 1.0, &model, vec![0.0; 3])
            .err()
            .unwrap();
        assert!(err.contains("3 gradients"), "{err}");
    }
}
