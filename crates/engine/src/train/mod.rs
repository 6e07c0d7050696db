//! The reference training loop (spec section 5), driven one batch at a time so that the
//! browser worker can yield to its event loop (and see a Cancel) between batches, while the
//! CLI simply loops. Losses are read back once per epoch, asynchronously, because a blocking
//! read panics on WebGPU.

pub mod backend;
mod optim;

pub use optim::{reference_adam, FlatOptimizer};

use burn::config::Config;
use burn::module::Module;
use burn::tensor::{Device, Int, Tensor, TensorData};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};

use crate::model::{read, TorchTensors, Vrnn, VrnnConfig};
use crate::parts::{
    part_gradients as part_grads, part_loss, PartHeader, PartInput, PartModel, PartOutput,
};
use vrnn_kernels::chacha::NoiseRng;

/// Every hyper-parameter of a training run; defaults are the reference's.
#[derive(Config, Debug, PartialEq)]
pub struct TrainConfig {
    #[config(default = 2000)]
    pub epochs: usize,
    #[config(default = 400)]
    pub batch_size: usize,
    #[config(default = 1e-4)]
    pub lr: f64,
    #[config(default = 1e-6)]
    pub beta: f64,
    /// Gradients are scaled so that their global L2 norm over all parameters is at most this.
    #[config(default = 5.0)]
    pub clip_norm: f64,
    #[config(default = 0.2)]
    pub test_fraction: f64,
    #[config(default = 42)]
    pub seed: u64,
    /// Each training batch is split into this many parts of consecutive genes, whose losses and
    /// gradients are summed in part order before the optimiser step: the same step as one pass
    /// up to rounding, and the same numbers however many threads compute the parts
    /// ([`Trainer::set_threads`]), so a run is reproducible for a given value. Parts are what
    /// spreads a batch over cores: burn's CPU backend does not split operations this small.
    /// 1 is the reference's single pass.
    #[config(default = "vrnn_types::defaults::PARTS")]
    pub parts: usize,
    #[config(default = "VrnnConfig::new()")]
    pub model: VrnnConfig,
}

/// Standard-normal noise drawn on the host from a seeded generator, so that CPU and WebGPU
/// runs with the same seed see the same numbers.
pub fn normal_noise(rng: &mut impl Rng, shape: [usize; 3], device: &Device) -> Tensor<3> {
    let v = normal_values(rng, shape.iter().product());
    Tensor::from_data(TensorData::new(v, shape), device)
}

/// `n` standard-normal values, as [`normal_noise`] draws them.
fn normal_values(rng: &mut impl Rng, n: usize) -> Vec<f32> {
    (0..n).map(|_| StandardNormal.sample(rng)).collect()
}

/// Where a batch's parts start and how long each is: [`TrainConfig::parts`] parts of
/// consecutive genes, the last one shorter.
fn part_spans(n: usize, parts: usize) -> Vec<(usize, usize)> {
    let size = n.div_ceil(parts.clamp(1, n.max(1))).max(1);
    (0..n).step_by(size).map(|s| (s, size.min(n - s))).collect()
}

/// One part of a batch: its model (a fork of the batch's) and its genes' inputs.
type Part = (Vrnn, Tensor<3>, Tensor<3>, Option<Tensor<3>>);
/// One part of a test batch: the inference model, its genes' inputs and the batch's size.
type TestPart = (Vrnn, Tensor<3>, Tensor<3>, Option<Tensor<3>>, usize);

/// Sorts parts' results into part order; an error when they are not exactly one per part.
fn in_part_order(batch: &PartsBatch, outputs: &mut [PartOutput]) -> Result<(), String> {
    outputs.sort_by_key(|o| o.index);
    if outputs.len() != batch.parts.len() || outputs.iter().enumerate().any(|(i, o)| o.index != i) {
        return Err(format!(
            "{} results for a batch of {} parts",
            outputs.len(),
            batch.parts.len()
        ));
    }
    Ok(())
}

/// The batch's loss and gradients (flat, as [`Vrnn::flat_gradient_tensor`]), computed in
/// `parts` parts of consecutive genes (see [`TrainConfig::parts`]) on up to `threads` threads.
/// Every part gets a fork of the model: its own autodiff graph, because burn's autodiff keeps
/// graphs that share parameter nodes under one lock, which would run their backward passes one
/// at a time. Threads take the next part as they come free, so a slow core does not hold the
/// step, and flatten their part's gradients themselves; the sums run in part order afterwards:
/// the numbers do not depend on `threads`.
#[allow(clippy::too_many_arguments)]
fn batch_grads(
    model: &Vrnn,
    device: &Device,
    x: Tensor<3>,
    eps: Tensor<3>,
    w: Option<Tensor<3>>,
    beta: f64,
    parts: usize,
    threads: usize,
) -> (Tensor<1>, Tensor<1>) {
    let n = x.dims()[0];
    let spans = part_spans(n, parts);
    if spans.len() <= 1 {
        let (loss, grads) = part_grads(model, x, eps, w, beta, n);
        return (loss, model.flat_gradient_tensor(&grads));
    }
    let jobs: Vec<Part> = spans
        .into_iter()
        .map(|(start, len)| {
            (
                model.clone().fork(device),
                x.clone().narrow(0, start, len),
                eps.clone().narrow(0, start, len),
                w.as_ref().map(|w| w.clone().narrow(0, start, len)),
            )
        })
        .collect();
    let run = |(m, x, e, w): Part| {
        let (loss, grads) = part_grads(&m, x, e, w, beta, n);
        (loss, m.flat_gradient_tensor(&grads))
    };
    #[cfg(not(target_family = "wasm"))]
    let results = in_parallel(jobs, threads, run);
    #[cfg(target_family = "wasm")]
    let results: Vec<_> = {
        let _ = threads;
        jobs.into_iter().map(run).collect()
    };
    results
        .into_iter()
        .reduce(|(l, g), (l2, g2)| (l + l2, g + g2))
        .expect("a batch has at least one part")
}

/// `f` of every job on up to `threads` threads (this one included), each taking the next job
/// as it comes free; the results in the jobs' order.
#[cfg(not(target_family = "wasm"))]
fn in_parallel<J: Send, R: Send>(
    jobs: Vec<J>,
    threads: usize,
    f: impl Fn(J) -> R + Sync,
) -> Vec<R> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;
    let n = jobs.len();
    let threads = threads.clamp(1, n.max(1));
    if threads == 1 {
        return jobs.into_iter().map(f).collect();
    }
    let jobs: Vec<Mutex<Option<J>>> = jobs.into_iter().map(|j| Mutex::new(Some(j))).collect();
    let results: Vec<Mutex<Option<R>>> = (0..n).map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let work = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(job) = jobs.get(i) else { break };
        let job = job.lock().expect("a job is taken once").take();
        let r = f(job.expect("a job is taken once"));
        *results[i].lock().expect("a result is written once") = Some(r);
    };
    std::thread::scope(|s| {
        for _ in 1..threads {
            s.spawn(work);
        }
        work();
    });
    results
        .into_iter()
        .map(|r| r.into_inner().ok().flatten().expect("every job ran"))
        .collect()
}

/// The sequences of these genes (rows of `data`), on `data`'s device.
fn select_genes(data: &Tensor<3>, genes: &[usize]) -> Tensor<3> {
    let idx: Vec<i64> = genes.iter().map(|&g| g as i64).collect();
    let idx = Tensor::<1, Int>::from_data(TensorData::new(idx, [genes.len()]), &data.device());
    data.clone().select(0, idx)
}

/// Genes held out for the test loss: `fraction` of them, rounded, leaving at least one to train.
pub fn test_size(n_genes: usize, fraction: f64) -> usize {
    (((n_genes as f64) * fraction).round() as usize).min(n_genes.saturating_sub(1))
}

/// One epoch's mean losses.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EpochLosses {
    /// 1-based.
    pub epoch: usize,
    pub train: f64,
    pub test: f64,
}

/// Training state for one run.
pub struct Trainer {
    pub config: TrainConfig,
    device: Device,
    model: Option<Vrnn>,
    /// Adam's state and the weights, flat: the model's parameters are spans of its weights.
    optim: FlatOptimizer,
    /// The noise and the shuffles: ChaCha12 ([`vrnn_kernels::rng`]), computed faster in WebAssembly.
    rng: NoiseRng,
    /// All sequences, `[genes, T, 1]`, on the device.
    data: Tensor<3>,
    /// Per-observation inverse variances of the likelihood, same shape (None: unit variance).
    inverse_variance: Option<Tensor<3>>,
    steps: usize,
    train_genes: Vec<usize>,
    test_genes: Vec<usize>,
    /// This epoch's batches (gene indices), reshuffled each epoch.
    batches: Vec<Vec<usize>>,
    next_batch: usize,
    epoch: usize,
    /// Sum of batch losses of this epoch, kept on the device until the epoch ends.
    train_sum: Option<Tensor<1>>,
    /// Threads that compute a batch's parts natively (speed only: see [`TrainConfig::parts`]).
    threads: usize,
    /// The sequences and inverse variances on the host too, for batches handed out in parts
    /// ([`Trainer::next_parts`]): reading them back from the device each batch would cost more.
    host_data: Vec<f32>,
    host_inverse_variance: Option<Vec<f32>>,
    /// On the CPU backend, one part model per thread, kept between batches (each keeps its
    /// buffers): the browser's helpers' code, so a CLI run computes every part by hand, as a
    /// browser run does ([`Trainer::train_batch`]); in the browser the first is the worker's
    /// own ([`Trainer::parts_here`]).
    part_models: Vec<PartModel>,
    /// The next training batch's parts, made ahead of [`Trainer::next_parts`] without their
    /// weights ([`Trainer::make_ahead`]).
    ahead: Option<Vec<PartInput>>,
}

/// A training batch as parts for helpers: the weights every part is computed with (flat, see
/// [`Vrnn::flat_weight_tensor`]) and each part's numbers. [`Trainer::apply_parts`] takes the results.
#[derive(Debug, Clone)]
pub struct PartsBatch {
    pub weights: Vec<f32>,
    pub parts: Vec<PartInput>,
}

impl Trainer {
    /// `means` is genes × steps, row-major; `device` must be an autodiff device.
    pub fn new(
        config: TrainConfig,
        means: &[f32],
        n_genes: usize,
        steps: usize,
        device: &Device,
    ) -> Self {
        let mut rng = NoiseRng::seed_from_u64(config.seed);
        // The initial weights come from the pinned generator (model/init.rs), not burn's.
        let model = Vrnn::from_weights(
            &config.model,
            &config.model.initial_weights(config.seed),
            device,
        )
        .expect("the initial weights have the model's own shapes");
        let mut order: Vec<usize> = (0..n_genes).collect();
        order.shuffle(&mut rng);
        let n_test = test_size(n_genes, config.test_fraction);
        let test_genes = order[..n_test].to_vec();
        let train_genes = order[n_test..].to_vec();
        let data = Tensor::from_data(TensorData::new(means.to_vec(), [n_genes, steps, 1]), device);
        Self {
            optim: FlatOptimizer::new(&reference_adam(), &model),
            config,
            device: device.clone(),
            model: Some(model),
            rng,
            data,
            inverse_variance: None,
            steps,
            train_genes,
            test_genes,
            batches: Vec::new(),
            next_batch: 0,
            epoch: 0,
            train_sum: None,
            threads: 1,
            host_data: means.to_vec(),
            host_inverse_variance: None,
            part_models: Vec::new(),
            ahead: None,
        }
    }

    /// Computes each batch's parts on up to `threads` threads (natively; one in the browser,
    /// whose workers share the parts instead). Changes the speed, never the numbers.
    pub fn set_threads(&mut self, threads: usize) {
        self.threads = threads.max(1);
    }

    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Uses a known variance per observation (`genes × T`, as inverse variances) in the
    /// likelihood instead of the reference's unit variance.
    pub fn with_inverse_variance(mut self, inverse_variance: &[f32]) -> Self {
        let [n, t, _] = self.data.dims();
        self.host_inverse_variance = Some(inverse_variance.to_vec());
        self.inverse_variance = Some(Tensor::from_data(
            TensorData::new(inverse_variance.to_vec(), [n, t, 1]),
            &self.device,
        ));
        self
    }

    /// Continues a run from saved weights after `epochs_done` epochs: the same train/test split
    /// (it follows from the seed), the saved weights, a fresh Adam state, and a random stream
    /// reseeded from the seed and the epoch. A resumed run is reproducible, though not identical
    /// to one that never stopped: Adam's moment estimates are rebuilt within a few steps.
    pub fn resume(mut self, weights: &TorchTensors, epochs_done: usize) -> Result<Self, String> {
        let model = Vrnn::from_weights(&self.config.model, weights, &self.device)?;
        self.optim = FlatOptimizer::new(&reference_adam(), &model);
        self.model = Some(model);
        self.epoch = epochs_done;
        self.rng = NoiseRng::seed_from_u64(
            self.config.seed ^ (epochs_done as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
        );
        Ok(self)
    }

    pub fn model(&self) -> &Vrnn {
        self.model
            .as_ref()
            .expect("model is always present between calls")
    }

    /// The model as burn's autodiff needs it: [`Trainer::apply_parts`] keeps a plain one.
    fn tracked_model(&self) -> Vrnn {
        let model = self.model().clone();
        if model.is_tracked() {
            model
        } else {
            model.train()
        }
    }

    /// The model's weights, read back asynchronously (a checkpoint; safe on WebGPU).
    pub async fn weights(&self) -> TorchTensors {
        self.model().valid().weights().await
    }

    /// Every weight, flat (the optimiser's buffer, read back once): what helpers compute with.
    async fn flat_weights(&self) -> Vec<f32> {
        read(self.optim.weights().clone()).await
    }

    /// The trained model without autodiff, and its device, for inference after training.
    pub fn inference_model(&self) -> (Vrnn, Device) {
        (self.model().valid(), self.device.clone().inner())
    }

    pub fn epochs_done(&self) -> usize {
        self.epoch
    }

    pub fn is_done(&self) -> bool {
        self.epoch >= self.config.epochs
    }

    pub fn n_train(&self) -> usize {
        self.train_genes.len()
    }

    pub fn n_test(&self) -> usize {
        self.test_genes.len()
    }

    /// Training batches per epoch.
    pub fn batches_per_epoch(&self) -> usize {
        self.n_train()
            .div_ceil(self.config.batch_size.max(1))
            .max(1)
    }

    /// Waits until the device has done the work queued so far: a GPU queues a step and
    /// returns at once, so a step is timed up to an asynchronous read of one number (the
    /// epoch's loss sum, which each step adds to; the device works through its queue in order).
    pub async fn settle(&self) {
        if let Some(sum) = &self.train_sum {
            let _ = sum.clone().into_data_async().await;
        }
    }

    fn start_epoch(&mut self) {
        let mut order = self.train_genes.clone();
        order.shuffle(&mut self.rng);
        self.batches = order
            .chunks(self.config.batch_size.max(1))
            .map(|c| c.to_vec())
            .collect();
        self.next_batch = 0;
        self.train_sum = None;
    }

    /// Trains on the next batch of the current epoch (starting a new epoch if needed). Returns
    /// `true` when that batch was the epoch's last.
    ///
    /// Natively on the CPU backend the batch goes in parts computed by hand on `threads`
    /// threads ([`Trainer::next_parts`], [`Trainer::apply_parts`]): the code and the numbers of
    /// the browser's pool of helpers, so the CLI and the browser train the same model from the
    /// same seed, bit for bit. It is also faster than burn's autodiff per part, and scales
    /// better: a part allocates nothing once its thread's buffers exist, where burn's graph
    /// allocated and freed its tensors on every thread at once. Elsewhere (WebGPU) burn's
    /// autodiff computes the parts.
    pub fn train_batch(&mut self) -> bool {
        #[cfg(not(target_family = "wasm"))]
        if crate::cpu::is_cpu(&self.device) {
            let batch = pollster::block_on(self.next_parts());
            let outputs = self.parts_on_threads(&batch);
            return self
                .apply_parts(&batch, outputs)
                .expect("the parts of a batch computed here fit it");
        }
        if self.next_batch >= self.batches.len() {
            self.start_epoch();
        }
        let genes = std::mem::take(&mut self.batches[self.next_batch]);
        self.next_batch += 1;
        let x = select_genes(&self.data, &genes);
        let eps = normal_noise(
            &mut self.rng,
            [genes.len(), self.steps, self.config.model.z_dim],
            &self.device,
        );
        let w = self
            .inverse_variance
            .as_ref()
            .map(|w| select_genes(w, &genes));
        let model = self.tracked_model();
        let (l, grads) = batch_grads(
            &model,
            &self.device,
            x,
            eps,
            w,
            self.config.beta,
            self.config.parts,
            self.threads,
        );
        let (model, _) = self
            .optim
            .step(self.config.lr, self.config.clip_norm, &model, grads)
            .expect("a batch's gradients come from its own model");
        self.model = Some(model);
        self.train_sum = Some(match self.train_sum.take() {
            Some(s) => s + l,
            None => l,
        });
        self.epoch_trained()
    }

    /// Whether the epoch's last training batch has been taken (and none is made ahead).
    fn epoch_trained(&self) -> bool {
        self.ahead.is_none() && self.next_batch >= self.batches.len()
    }

    /// The next batch (starting a new epoch if needed) split into [`TrainConfig::parts`] parts
    /// for helpers to compute: the genes and noise [`Trainer::train_batch`] would use, in the
    /// same parts. The browser's training worker hands them to its pool of helpers.
    pub async fn next_parts(&mut self) -> PartsBatch {
        let parts = match self.ahead.take() {
            Some(parts) => parts,
            None => self.batch_inputs(),
        };
        PartsBatch {
            weights: self.flat_weights().await,
            parts,
        }
    }

    /// Makes the next training batch's parts (its noise and each part's slices of the data)
    /// ahead of [`Trainer::next_parts`], which then only adds the weights: the browser's
    /// training worker calls it while helpers compute the batch before, so that drawing the
    /// noise (about 2.5 ms a batch in WebAssembly, when the helpers would wait for it) overlaps
    /// their work. Only within an epoch, so the generator's draws keep their order (a batch's
    /// noise, the next batch's, ..., the test genes', the next epoch's shuffle) and no number
    /// changes. Does nothing when one is made already or the epoch's batches are all taken.
    pub fn make_ahead(&mut self) {
        if self.ahead.is_none() && self.next_batch < self.batches.len() {
            self.ahead = Some(self.batch_inputs());
        }
    }

    /// The next training batch's parts without weights, starting a new epoch if needed.
    fn batch_inputs(&mut self) -> Vec<PartInput> {
        if self.next_batch >= self.batches.len() {
            self.start_epoch();
        }
        let genes = std::mem::take(&mut self.batches[self.next_batch]);
        self.next_batch += 1;
        let eps = normal_values(
            &mut self.rng,
            genes.len() * self.steps * self.config.model.z_dim,
        );
        let mut parts = Vec::new();
        self.push_parts(&mut parts, &genes, &eps, false);
        parts
    }

    /// The test genes' loss of [`Trainer::finish_epoch`] as parts for helpers: each test
    /// batch, with the noise `finish_epoch` draws for it, in [`TrainConfig::parts`] parts, with
    /// the weights as they stand. [`Trainer::close_epoch`] takes the results.
    pub async fn test_parts(&mut self) -> PartsBatch {
        let mut parts = Vec::new();
        for genes in self.test_batches() {
            let n = genes.len() * self.steps * self.config.model.z_dim;
            let eps = normal_values(&mut self.rng, n);
            self.push_parts(&mut parts, &genes, &eps, true);
        }
        PartsBatch {
            weights: self.flat_weights().await,
            parts,
        }
    }

    /// The test genes in batches of the training's size.
    fn test_batches(&self) -> Vec<Vec<usize>> {
        self.test_genes
            .chunks(self.config.batch_size.max(1))
            .map(|c| c.to_vec())
            .collect()
    }

    /// Appends the batch of `genes` (with its noise `eps`) in [`TrainConfig::parts`] parts,
    /// numbered on from those already in `parts`.
    fn push_parts(&self, parts: &mut Vec<PartInput>, genes: &[usize], eps: &[f32], test: bool) {
        let (t, z) = (self.steps, self.config.model.z_dim);
        let rows = |from: &[f32], genes: &[usize]| -> Vec<f32> {
            genes
                .iter()
                .flat_map(|&g| from[g * t..(g + 1) * t].iter().copied())
                .collect()
        };
        for (start, len) in part_spans(genes.len(), self.config.parts) {
            let mine = &genes[start..start + len];
            parts.push(PartInput {
                header: PartHeader {
                    step: 0,
                    index: parts.len(),
                    batch: genes.len(),
                    genes: len,
                    steps: t,
                    beta: self.config.beta,
                    model: self.config.model.clone(),
                    test,
                },
                x: rows(&self.host_data, mine),
                eps: eps[start * t * z..(start + len) * t * z].to_vec(),
                w: self.host_inverse_variance.as_ref().map(|w| rows(w, mine)),
            });
        }
    }

    /// The parts of `batch` computed by hand on up to `threads` threads, one part model each,
    /// each thread taking the next part as it comes free (natively, on the CPU backend).
    #[cfg(not(target_family = "wasm"))]
    fn parts_on_threads(&mut self, batch: &PartsBatch) -> Vec<PartOutput> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let threads = self.threads.clamp(1, batch.parts.len().max(1));
        while self.part_models.len() < threads {
            let model = PartModel::new(self.config.model.clone(), self.device.clone());
            self.part_models.push(model);
        }
        let next = AtomicUsize::new(0);
        let work = |model: &mut PartModel| -> Result<Vec<PartOutput>, String> {
            model.set_weights(0, &batch.weights)?;
            let mut done = Vec::new();
            while let Some(part) = batch.parts.get(next.fetch_add(1, Ordering::Relaxed)) {
                done.push(model.compute_by_hand(part)?);
            }
            Ok(done)
        };
        let (first, others) = self.part_models[..threads]
            .split_first_mut()
            .expect("at least one thread");
        let outputs = std::thread::scope(|s| {
            let others: Vec<_> = others.iter_mut().map(|m| s.spawn(|| work(m))).collect();
            let mut all = work(first)?;
            for handle in others {
                all.extend(handle.join().expect("a part's thread does not panic")?);
            }
            Ok::<_, String>(all)
        });
        outputs.expect("the parts of a batch made here fit the model")
    }

    /// The parts of `batch` computed here, as a helper would: the browser's analysis worker
    /// without helpers (`Workers` 0), and the fallback when helpers fail. With the trainer's
    /// first part model, kept between batches with its buffers (by hand on the CPU backend).
    /// Why not a part model made per batch from burn's model: the tracked model registered
    /// every parameter as a root of burn's autodiff graph, which only a backward pass prunes
    /// (see [`Trainer::apply_parts`]), and a fresh part model allocated its buffers anew.
    pub async fn parts_here(&mut self, batch: &PartsBatch) -> Result<Vec<PartOutput>, String> {
        if self.part_models.is_empty() {
            let model = PartModel::new(self.config.model.clone(), self.device.clone());
            self.part_models.push(model);
        }
        let model = &mut self.part_models[0];
        model.set_weights(0, &batch.weights)?;
        let mut out = Vec::with_capacity(batch.parts.len());
        for part in &batch.parts {
            out.push(model.compute(part).await?);
        }
        Ok(out)
    }

    /// Sums the parts' losses and gradients in part order and takes the optimiser step: the
    /// same step as [`Trainer::train_batch`] of the same parts. Refuses results that do not
    /// fit (a missing part, a buffer of the wrong size), changing nothing. Returns `true` when
    /// the batch was the epoch's last.
    pub fn apply_parts(
        &mut self,
        batch: &PartsBatch,
        mut outputs: Vec<PartOutput>,
    ) -> Result<bool, String> {
        in_part_order(batch, &mut outputs)?;
        if outputs.is_empty() {
            return Err("no results for a batch".into());
        }
        // Summed on the flat buffers, in part order: each element adds up in the order the
        // sums of [`batch_grads`] take, so the step is the same, and one buffer becomes the
        // optimiser's one flat tensor (building and adding tensors per part and parameter took
        // a third of the analysis worker's time per batch).
        let mut parts = outputs.iter();
        let first = parts.next().expect("a batch has at least one part");
        let mut sum = first.grads.clone();
        let mut loss = first.loss;
        for o in parts {
            if o.grads.len() != sum.len() {
                return Err(format!(
                    "part {} has {} gradients, part 0 has {}",
                    o.index,
                    o.grads.len(),
                    sum.len()
                ));
            }
            for (s, g) in sum.iter_mut().zip(&o.grads) {
                *s += g;
            }
            loss += o.loss;
        }
        // Stepped as a plain model, not an autodiff one: parts need no graph here, and each
        // tracked parameter registers a root in burn's autodiff graph that only a backward pass
        // frees, so with no backward pass on this side the graph grew by every parameter at
        // every step, and so did the time burn spent on it (3x the parts' own time natively).
        let model = self.model().valid();
        let (model, _) =
            self.optim
                .step_host(self.config.lr, self.config.clip_norm, &model, sum)?;
        self.model = Some(model);
        let loss = Tensor::<1>::from_data(TensorData::new(vec![loss], [1]), &self.device);
        self.train_sum = Some(match self.train_sum.take() {
            Some(s) => s + loss,
            None => loss,
        });
        Ok(self.epoch_trained())
    }

    /// Closes the epoch: evaluates the test genes without gradients (z still sampled, as the
    /// reference does) and reads both losses back in one asynchronous read. Each test batch
    /// goes in [`TrainConfig::parts`] parts, on up to `threads` threads natively, summed in
    /// part order, as [`Trainer::test_parts`] hands them to helpers (one part on WebGPU).
    pub async fn finish_epoch(&mut self) -> EpochLosses {
        #[cfg(not(target_family = "wasm"))]
        if crate::cpu::is_cpu(&self.device) {
            let test = self.test_parts().await;
            let outputs = self.parts_on_threads(&test);
            return self
                .close_epoch(&test, outputs)
                .await
                .expect("the test parts computed here fit them");
        }
        let model = self.model().valid();
        let inner = self.device.clone().inner();
        let data = self.data.clone().inner();
        let weights = self.inverse_variance.clone().map(|w| w.inner());
        let test_batches = self.test_batches();
        let mut jobs: Vec<TestPart> = Vec::new();
        for genes in &test_batches {
            let x = select_genes(&data, genes);
            let eps = normal_noise(
                &mut self.rng,
                [genes.len(), self.steps, self.config.model.z_dim],
                &inner,
            );
            let w = weights.as_ref().map(|w| select_genes(w, genes));
            for (start, len) in part_spans(genes.len(), self.config.parts) {
                jobs.push((
                    model.clone(),
                    x.clone().narrow(0, start, len),
                    eps.clone().narrow(0, start, len),
                    w.as_ref().map(|w| w.clone().narrow(0, start, len)),
                    genes.len(),
                ));
            }
        }
        let beta = self.config.beta;
        let run = |(m, x, e, w, batch): TestPart| part_loss(&m, x, e, w, beta, batch);
        #[cfg(not(target_family = "wasm"))]
        let losses = in_parallel(jobs, self.threads, run);
        #[cfg(target_family = "wasm")]
        let losses: Vec<_> = jobs.into_iter().map(run).collect();
        let test = losses
            .into_iter()
            .reduce(|a, b| a + b)
            .unwrap_or_else(|| Tensor::zeros([1], &inner));
        let train = self
            .train_sum
            .take()
            .map(|t| t.inner())
            .unwrap_or_else(|| Tensor::zeros([1], &inner));
        let both = Tensor::cat(vec![train, test], 0);
        let values = read(both).await;
        let train = values.first().copied().unwrap_or(f32::NAN);
        let test = values.get(1).copied().unwrap_or(f32::NAN);
        self.close(train, test, test_batches.len())
    }

    /// Closes the epoch with the results of [`Trainer::test_parts`] (computed anywhere, in
    /// any order), summed in part order: the same losses [`Trainer::finish_epoch`] gives with
    /// the same parts. Refuses results that do not fit, changing nothing.
    pub async fn close_epoch(
        &mut self,
        test: &PartsBatch,
        mut outputs: Vec<PartOutput>,
    ) -> Result<EpochLosses, String> {
        in_part_order(test, &mut outputs)?;
        let sum = outputs.iter().map(|o| o.loss).reduce(|a, b| a + b);
        let train = match self.train_sum.take() {
            Some(t) => read(t).await.first().copied().unwrap_or(f32::NAN),
            None => 0.0,
        };
        Ok(self.close(train, sum.unwrap_or(0.0), self.test_batches().len()))
    }

    /// The epoch's mean losses from the sums of its batches; counts the epoch done.
    fn close(&mut self, train: f32, test: f32, test_batches: usize) -> EpochLosses {
        self.epoch += 1;
        EpochLosses {
            epoch: self.epoch,
            train: train as f64 / self.batches.len().max(1) as f64,
            test: test as f64 / test_batches.max(1) as f64,
        }
    }

    /// Runs one whole epoch.
    pub async fn epoch(&mut self) -> EpochLosses {
        while !self.train_batch() {}
        self.finish_epoch().await
    }
}

#[cfg(test)]
mod tests;
