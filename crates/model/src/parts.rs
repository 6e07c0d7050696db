//! A training batch handed out in parts. The browser's training worker keeps the weights, the
//! optimiser and the noise; its helpers (one per core, each a CPU-only wasm instance) compute
//! the gradients of the parts they are given. What travels is plain numbers: the weights and
//! gradients as one flat `f32` buffer each, in the model's own parameter order and layout
//! (burn's, not PyTorch's, so that nothing is transposed and every product reads its operands
//! exactly as the worker's own would), and each part's inputs.
//!
//! A part's numbers do not depend on who computes it, so the worker sums the parts in part
//! order and a run is the same with any number of helpers (crates/engine's `Trainer`). The
//! test genes' loss at each epoch's end is handed out in parts too ([`PartHeader::test`]): a
//! forward pass only, which would otherwise keep the helpers idle while the worker runs it.

use std::cell::RefCell;

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::model::{read, vrnn_loss_part, Vrnn, VrnnConfig};

/// The loss (detached) and parameter gradients of one part of a batch of `batch` genes.
/// `model` must have its own autodiff graph: a fork (`model.clone().fork(device)`) when parts
/// run side by side.
pub fn part_gradients(
    model: &Vrnn,
    x: Tensor<3>,
    eps: Tensor<3>,
    w: Option<Tensor<3>>,
    beta: f64,
    batch: usize,
) -> (Tensor<1>, GradientsParams) {
    let loss = part_loss(model, x, eps, w, beta, batch);
    let grads = loss.backward();
    (loss.detach(), GradientsParams::from_grads(grads, model))
}

/// The loss of one part of a batch of `batch` genes: with gradients on an autodiff model
/// ([`part_gradients`]), or a test batch's from the inference pass (`valid()`).
pub fn part_loss(
    model: &Vrnn,
    x: Tensor<3>,
    eps: Tensor<3>,
    w: Option<Tensor<3>>,
    beta: f64,
    batch: usize,
) -> Tensor<1> {
    let out = model.forward(x.clone(), eps);
    vrnn_loss_part(x, &out, beta, w, batch).loss
}

/// What a helper is told about a part besides its numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartHeader {
    /// The optimiser step whose weights the part is computed with.
    pub step: u64,
    /// The part's place in its batch: results are summed in this order.
    pub index: usize,
    /// Genes in the whole batch (the loss is averaged over them).
    pub batch: usize,
    /// Genes in this part.
    pub genes: usize,
    /// Time points per gene.
    pub steps: usize,
    pub beta: f64,
    pub model: VrnnConfig,
    /// A part of the test genes: its loss only, from the inference pass (no gradients).
    #[serde(default)]
    pub test: bool,
}

/// One part of a batch: `x` is `genes × steps`, `eps` is `genes × steps × z_dim`, `w` (the
/// likelihood's inverse variances, when the run has them) like `x`.
#[derive(Debug, Clone, PartialEq)]
pub struct PartInput {
    pub header: PartHeader,
    pub x: Vec<f32>,
    pub eps: Vec<f32>,
    pub w: Option<Vec<f32>>,
}

impl PartInput {
    /// Refuses numbers that do not fit the header's sizes.
    pub fn check_sizes(&self) -> Result<(), String> {
        let h = &self.header;
        let cells = h.genes * h.steps;
        let sized = |v: &[f32], n: usize, what: &str| {
            if v.len() == n {
                Ok(())
            } else {
                Err(format!("{} values of {what}, expected {n}", v.len()))
            }
        };
        sized(&self.x, cells * h.model.x_dim, "x")?;
        sized(&self.eps, cells * h.model.z_dim, "noise")?;
        match &self.w {
            Some(w) => sized(w, cells * h.model.x_dim, "weights"),
            None => Ok(()),
        }
    }
}

/// A part's result: its share of the batch loss, and its gradients as one flat buffer
/// ([`Vrnn::flat_gradients`]; empty for a test part).
#[derive(Debug, Clone, PartialEq)]
pub struct PartOutput {
    pub index: usize,
    pub loss: f32,
    pub grads: Vec<f32>,
}

/// Collects every parameter (or its gradient), flattened, in the module's order, on the inner
/// (non-autodiff) device.
struct Flatten<'a> {
    out: Vec<Tensor<1>>,
    grads: Option<&'a GradientsParams>,
}

impl ModuleVisitor for Flatten<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let value = param.val().inner();
        let n = value.shape().num_elements();
        let t = match self.grads {
            None => value,
            Some(g) => g
                .get::<D>(param.id)
                .unwrap_or_else(|| Tensor::zeros(value.dims(), &value.device())),
        };
        self.out.push(t.reshape([n]));
    }
}

/// Replaces every parameter's value with the next span of a flat tensor (a view of it where
/// the backend allows, so loading copies nothing).
struct Load {
    values: Tensor<1>,
    at: usize,
}

impl ModuleMapper for Load {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let values = &self.values;
        let at = &mut self.at;
        param.map(|old| {
            let shape = old.dims();
            let n = shape.iter().product::<usize>();
            let new = values.clone().narrow(0, *at, n).reshape(shape);
            *at += n;
            if !old.is_autodiff() {
                return new;
            }
            // As burn's optimisers restore a parameter: same checkpointing, tracked.
            let mut new = Tensor::from_inner(new);
            if let Some(strategy) = old.gradient_checkpointing_strategy() {
                new = new.with_gradient_checkpointing_strategy(strategy);
            }
            new.require_grad()
        })
    }
}

impl Vrnn {
    /// Whether the parameters are on an autodiff device (tracked for a backward pass), not a
    /// plain one ([`burn::module::Module::valid`]).
    pub fn is_tracked(&self) -> bool {
        self.lstm.weight_hh.val().is_autodiff()
    }

    /// Number of values in [`Vrnn::flat_weights`] and [`Vrnn::flat_gradients`].
    pub fn flat_len(&self) -> usize {
        self.num_params()
    }

    fn flatten(&self, grads: Option<&GradientsParams>) -> Tensor<1> {
        let mut f = Flatten {
            out: Vec::new(),
            grads,
        };
        self.visit(&mut f);
        Tensor::cat(f.out, 0)
    }

    /// Every weight in one tensor on the inner device, in the module's parameter order and
    /// burn's layout: what the optimiser steps ([`crate::parts`] module docs).
    pub fn flat_weight_tensor(&self) -> Tensor<1> {
        self.flatten(None)
    }

    /// The gradients of every parameter in the order and layout of
    /// [`Vrnn::flat_weight_tensor`] (zeros for a parameter without one).
    pub fn flat_gradient_tensor(&self, grads: &GradientsParams) -> Tensor<1> {
        self.flatten(Some(grads))
    }

    /// [`Vrnn::flat_weight_tensor`], read back.
    pub async fn flat_weights(&self) -> Vec<f32> {
        read(self.flat_weight_tensor()).await
    }

    /// [`Vrnn::flat_gradient_tensor`], read back.
    pub async fn flat_gradients(&self, grads: &GradientsParams) -> Vec<f32> {
        read(self.flat_gradient_tensor(grads)).await
    }

    /// This model with the weights of a [`Vrnn::flat_weights`] buffer, on `device`.
    pub fn with_flat_weights(self, values: &[f32], device: &Device) -> Result<Vrnn, String> {
        self.check_len(values.len(), "weights")?;
        let flat = Tensor::from_data(
            TensorData::new(values.to_vec(), [values.len()]),
            &device.clone().inner(),
        );
        self.with_flat_tensor(flat)
    }

    /// This model with the weights of a [`Vrnn::flat_weight_tensor`] (on the inner device of
    /// this model's), each parameter a span of it.
    pub fn with_flat_tensor(self, flat: Tensor<1>) -> Result<Vrnn, String> {
        self.check_len(flat.dims()[0], "weights")?;
        Ok(self.map(&mut Load {
            values: flat,
            at: 0,
        }))
    }

    fn check_len(&self, got: usize, what: &str) -> Result<(), String> {
        let want = self.flat_len();
        if got == want {
            Ok(())
        } else {
            Err(format!("{got} {what} for a model of {want} parameters"))
        }
    }
}

/// A helper's model: built once, given each step's weights, and asked for parts' gradients.
/// On burn's CPU backend (every helper, and the training worker's own share and fallback) a
/// part is computed by hand ([`crate::cpu::by_hand`]) from the flat weights, and no burn model
/// is kept; other backends go through the model.
pub struct PartModel {
    config: VrnnConfig,
    device: Device,
    /// burn's model, off the CPU backend.
    model: Option<Vrnn>,
    /// The step whose weights it holds.
    step: Option<u64>,
    /// That step's weights, made ready for the parts by hand (on the CPU backend), and the
    /// buffers those parts reuse.
    weights: Option<crate::cpu::by_hand::Weights>,
    workspace: RefCell<crate::cpu::by_hand::Workspace>,
}

impl PartModel {
    /// A model of `config`'s sizes on `device`, an autodiff device.
    pub fn new(config: VrnnConfig, device: Device) -> PartModel {
        let model = (!crate::cpu::is_cpu(&device)).then(|| config.init(&device));
        PartModel {
            model,
            config,
            device,
            step: None,
            weights: None,
            workspace: RefCell::default(),
        }
    }

    pub fn config(&self) -> &VrnnConfig {
        &self.config
    }

    /// The step whose weights it holds (None before the first).
    pub fn step(&self) -> Option<u64> {
        self.step
    }

    /// Takes the weights of `step`.
    pub fn set_weights(&mut self, step: u64, values: &[f32]) -> Result<(), String> {
        match &self.model {
            Some(model) => {
                self.model = Some(model.clone().with_flat_weights(values, &self.device)?);
            }
            None => {
                self.weights = Some(crate::cpu::by_hand::Weights::new(
                    &self.config,
                    values.to_vec(),
                )?)
            }
        }
        self.step = Some(step);
        Ok(())
    }

    /// Refuses a part of another step than the weights it holds.
    fn check_step(&self, h: &PartHeader) -> Result<(), String> {
        if self.step == Some(h.step) {
            return Ok(());
        }
        Err(format!(
            "part {} of step {} arrived without that step's weights",
            h.index, h.step
        ))
    }

    /// [`PartModel::compute`] on the CPU backend, where a part is computed by hand and at once:
    /// what the native trainer's threads call (they have no event loop to await on).
    pub fn compute_by_hand(&self, part: &PartInput) -> Result<PartOutput, String> {
        let h = &part.header;
        self.check_step(h)?;
        let Some(weights) = &self.weights else {
            return Err("a part model without weights for computing by hand".into());
        };
        let at = |e: String| format!("part {}: {e}", h.index);
        part.check_sizes().map_err(at)?;
        let ws = &mut self.workspace.borrow_mut();
        let (loss, grads) = if h.test {
            let loss = crate::cpu::by_hand::part_loss(weights, part, ws).map_err(at)?;
            (loss, Vec::new())
        } else {
            crate::cpu::by_hand::part_gradients(weights, part, ws).map_err(at)?
        };
        Ok(PartOutput {
            index: h.index,
            loss,
            grads,
        })
    }

    /// The part's loss and flat gradients (a test part's loss only), with the weights of the
    /// part's step.
    pub async fn compute(&self, part: &PartInput) -> Result<PartOutput, String> {
        let h = &part.header;
        self.check_step(h)?;
        let Some(model) = &self.model else {
            return self.compute_by_hand(part);
        };
        let at = |e: String| format!("part {}: {e}", h.index);
        part.check_sizes().map_err(at)?;
        let (g, t, x_dim, z) = (h.genes, h.steps, h.model.x_dim, h.model.z_dim);
        // A test part runs on the inner (non-autodiff) device, as the worker's own test pass.
        let device = if h.test {
            self.device.clone().inner()
        } else {
            self.device.clone()
        };
        let tensor = |v: &[f32], d: usize| {
            Tensor::<3>::from_data(TensorData::new(v.to_vec(), [g, t, d]), &device)
        };
        let (x, eps) = (tensor(&part.x, x_dim), tensor(&part.eps, z));
        let w = part.w.as_deref().map(|w| tensor(w, x_dim));
        if h.test {
            let loss = part_loss(&model.valid(), x, eps, w, h.beta, h.batch);
            return Ok(PartOutput {
                index: h.index,
                loss: read(loss).await.first().copied().unwrap_or(f32::NAN),
                grads: Vec::new(),
            });
        }
        let (loss, grads) = part_gradients(model, x, eps, w, h.beta, h.batch);
        let loss = read(loss.inner())
            .await
            .first()
            .copied()
            .unwrap_or(f32::NAN);
        let grads = model.flat_gradients(&grads).await;
        Ok(PartOutput {
            index: h.index,
            loss,
            grads,
        })
    }
}

/// What the training worker tells a helper (the JSON head of its message).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ToHelper {
    /// Compute this part; its numbers follow in the message.
    Part(PartHeader),
    /// A testing aid: the helper panics when the next part arrives, as a crashed one would.
    Crash,
    /// A testing aid: the helper stops answering when the next part arrives (it spins), as a
    /// hung one would.
    Hang,
}

/// What a helper answers (the JSON head of its message).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FromHelper {
    /// Started and listening.
    Ready,
    /// The part's loss and the seconds the helper spent on it; its flat gradients follow in
    /// the message.
    Done {
        step: u64,
        index: usize,
        loss: f32,
        seconds: f64,
    },
    /// The part could not be computed (a message that does not fit the model).
    Failed { index: usize, message: String },
}
