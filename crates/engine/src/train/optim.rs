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
use burn::tensor::Tensor;

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
        let n = self.weights.dims()[0];
        if grads.dims()[0] != n || model.flat_len() != n {
            return Err(format!(
                "{} gradients for a model of {n} parameters",
                grads.dims()[0]
            ));
        }
        let norm = grads.clone().square().sum().sqrt();
        let factor = norm
            .clone()
            .add_scalar(1e-6)
            .recip()
            .mul_scalar(clip_norm)
            .clamp_max(1.0);
        let grads = grads * factor;
        let (weights, state) = self
            .adam
            .step(lr, self.weights.clone(), grads, self.state.take());
        self.state = state;
        self.weights = weights;
        let model = model.clone().with_flat_tensor(self.weights.clone())?;
        Ok((model, norm))
    }
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
}
