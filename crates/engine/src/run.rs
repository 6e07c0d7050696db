//! The one run pipeline: select genes → prepare the preset's inputs → train (with hooks for
//! progress, cancel and checkpoints) → analyse → the run record and the session.
//!
//! Why one type: the browser worker, the CLI, `evaluate` and reopening a session all run this
//! same sequence, and each used to write it out itself (four copies of "prepare, build a
//! `Trainer`, add the inverse variances"). A change to how a run works is now made here, and
//! nothing else in the workspace builds a [`Trainer`].

use std::future::Future;

use burn::tensor::Device;
use thiserror::Error;
use vrnn_types::{defaults, Backend, GeneSelection, TrainSettings};

use crate::analysis::{analyse, Analysis, AnalysisConfig, AnalysisError, Progress};
use crate::backend;
use crate::change::{changing_genes, gene_stats, mark_analysed, GeneStat};
use crate::cluster::{KMeans, Points};
use crate::ingest::{Dataset, Selection};
use crate::latent::{summarise, Latents};
use crate::parts::PartOutput;
use crate::preset::{Prepared, Recipe};
use crate::session::{Session, Source};
use crate::train::{EpochLosses, PartsBatch, TrainConfig, Trainer};

/// A clock in seconds. A plain function, since `std::time::Instant` does not exist in a
/// browser: the worker passes `performance.now()`, native fronts [`native_clock`].
pub type Clock = fn() -> f64;

/// Seconds since the first call, from `std::time::Instant`.
#[cfg(not(target_family = "wasm"))]
pub fn native_clock() -> f64 {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    START
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_secs_f64()
}

/// Why a run could not start, go on, or be analysed.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum RunError {
    #[error("{left} genes are left to cluster, fewer than the {k} clusters asked for")]
    TooFewGenes { left: usize, k: usize },
    #[error("this run cannot go on training: {0}")]
    Resume(String),
    #[error(transparent)]
    Analysis(#[from] AnalysisError),
}

/// What a front is told while a run trains; every method has a default that does nothing.
pub trait Hooks {
    /// Awaited before every batch (the worker yields to its event loop here); `false` stops
    /// training where it is, and the run can go on later.
    fn before_batch(&mut self) -> impl Future<Output = bool> {
        std::future::ready(true)
    }
    /// Whether batches are handed out in parts to [`Hooks::parts`] (the browser's pool of
    /// helper workers) instead of being computed here.
    fn pooled(&self) -> bool {
        false
    }
    /// The parts of a batch, computed elsewhere, in any order; `None` (or results that do not
    /// fit) and they are computed here. `meanwhile` is this side's work that can overlap
    /// theirs (making the next batch): call it once, when the parts are handed out, or not
    /// at all. Only called when [`Hooks::pooled`].
    fn parts(
        &mut self,
        batch: &PartsBatch,
        meanwhile: &mut dyn FnMut(),
    ) -> impl Future<Output = Option<Vec<PartOutput>>> {
        let _ = (batch, meanwhile);
        std::future::ready(None)
    }
    /// Awaited after every epoch, with the run as it stands (for progress and checkpoints).
    fn after_epoch(&mut self, run: &Run, epoch: EpochLosses) -> impl Future<Output = ()> {
        let _ = (run, epoch);
        std::future::ready(())
    }
}

/// Hooks that only train.
pub struct Quiet;
impl Hooks for Quiet {}

/// How training ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trained {
    /// Every epoch asked for is done.
    Done,
    /// [`Hooks::before_batch`] said stop.
    Stopped,
}

/// The analysis `settings` ask for on `n_genes` genes.
pub fn analysis_config(settings: &TrainSettings, n_genes: usize) -> AnalysisConfig {
    AnalysisConfig::seeded(settings.seed)
        .with_k(settings.k.clamp(1, n_genes.max(1)))
        .with_latent(Recipe::for_settings(settings).latent)
}

/// What the gene selection left out, in one sentence (None when every gene is used).
pub fn selection_notice(s: &Selection, n_file: usize, settings: &TrainSettings) -> Option<String> {
    let mut parts = Vec::new();
    let n = s.dataset.n_genes() - s.kept_of_interest.len();
    match settings.selection {
        GeneSelection::Variance if s.not_variable_enough > 0 => parts.push(format!(
            "training on the {n} most variable of {n_file} genes (set \"Genes\", or --genes, to change)"
        )),
        GeneSelection::Variance => {}
        GeneSelection::Change => parts.push(format!(
            "training on the {n} genes that change most over time: {} of {n_file} genes change (q < {}, effect above {})",
            s.eligible,
            settings.fdr,
            defaults::MIN_EFFECT
        )),
    }
    if !s.kept_of_interest.is_empty() {
        parts.push(format!(
            "kept as genes of interest: {}",
            s.kept_of_interest.join(", ")
        ));
    }
    if !s.constant.is_empty() {
        let shown: Vec<&str> = s.constant.iter().take(10).map(String::as_str).collect();
        let more = s.constant.len().saturating_sub(10);
        parts.push(format!(
            "{} gene(s) never vary and were left out: {}{}",
            s.constant.len(),
            shown.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        ));
    }
    let mut m = parts.join("; ");
    if let Some(first) = m.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    (!m.is_empty()).then(|| m + ".")
}

/// One training run and its results.
pub struct Run {
    /// What was asked for; `epochs` is the run's target.
    pub settings: TrainSettings,
    pub source: Source,
    pub backend: Backend,
    /// The genes it trains on (after the selection).
    pub dataset: Dataset,
    pub inputs: Prepared,
    pub trainer: Trainer,
    pub history: Vec<EpochLosses>,
    /// Every gene of the data set as read, with its change test (`genes.csv`).
    pub gene_stats: Vec<GeneStat>,
    /// Set once [`Run::analyse`] has run.
    pub analysis: Option<Analysis>,
    recipe: Recipe,
    /// Where it trains, before it is made an autodiff device (the stability's extra
    /// trainings start from it).
    device: Device,
    clock: Clock,
    /// Training seconds so far, over every stretch.
    train_s: f64,
    /// Where the trainer's own seconds went in batches handed out in parts.
    coordinator: CoordinatorTimes,
}

/// Seconds the trainer spent on its own side of batches handed out in parts
/// ([`Hooks::pooled`]), summed over the run: what the benchmark reports as the training
/// worker's share, split so that the part worth cutting shows.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CoordinatorTimes {
    /// Making batches: the noise, each part's slices, the weights read.
    pub batch_s: f64,
    /// Summing the parts' gradients, clipping, Adam and the new model.
    pub step_s: f64,
    /// The test genes' parts made and their losses summed, and the epoch's losses read.
    pub close_s: f64,
    /// Making the next training batch ahead, while helpers computed the one before
    /// ([`Hooks::parts`]'s `meanwhile`): inside the wait for them, not added to the others.
    pub ahead_s: f64,
}

impl Run {
    /// Selects the genes of `dataset` that `settings` ask for and prepares a run on `device`
    /// (burn's CPU backend or WebGPU; made an autodiff device here). Also returns what the
    /// selection left out, for the user.
    pub fn new(
        dataset: &Dataset,
        source: Source,
        settings: TrainSettings,
        device: Device,
        backend: Backend,
        clock: Clock,
    ) -> Result<(Run, Option<String>), RunError> {
        let recipe = Recipe::for_settings(&settings);
        Run::with_recipe(dataset, source, settings, recipe, device, backend, clock)
    }

    /// [`Run::new`] with a recipe of one's own (a preset with one lever changed, for the
    /// evaluation's ablations).
    pub fn with_recipe(
        dataset: &Dataset,
        source: Source,
        mut settings: TrainSettings,
        recipe: Recipe,
        device: Device,
        backend: Backend,
        clock: Clock,
    ) -> Result<(Run, Option<String>), RunError> {
        let mut stats = gene_stats(dataset);
        let mut fallback = None;
        let selection = match settings.selection {
            GeneSelection::Variance => dataset.select(settings.genes, &settings.keep),
            GeneSelection::Change => {
                let ranked = changing_genes(&stats, settings.fdr, defaults::MIN_EFFECT);
                if ranked.len() < settings.k.max(2) {
                    // Too little evidence of change to cluster (few cells, few time points):
                    // the run goes on with the variance, and says so.
                    fallback = Some(format!(
                        "Only {} genes change over time at FDR {} (effect above {}), fewer than the {} clusters asked for: training on the most variable genes instead (raise \"FDR\", or --fdr, to keep the rule).",
                        ranked.len(),
                        settings.fdr,
                        defaults::MIN_EFFECT,
                        settings.k
                    ));
                    settings.selection = GeneSelection::Variance;
                    dataset.select(settings.genes, &settings.keep)
                } else {
                    dataset.select_ranked(&ranked, settings.genes, &settings.keep)
                }
            }
        };
        let notice = match (
            fallback,
            selection_notice(&selection, dataset.n_genes(), &settings),
        ) {
            (Some(f), Some(n)) => Some(format!("{f} {n}")),
            (f, n) => f.or(n),
        };
        let dataset = selection.dataset;
        if dataset.n_genes() < settings.k.max(2) {
            return Err(RunError::TooFewGenes {
                left: dataset.n_genes(),
                k: settings.k,
            });
        }
        mark_analysed(&mut stats, &dataset.genes);
        // Parts spread a batch over CPU cores; on a GPU they only multiply its dispatches
        // (5,375 kernel launches per batch of 400 at 8 parts against 767 in one,
        // tests/dispatches.rs), so a WebGPU run trains each batch in one part, and its
        // run.json says so. A resumed session keeps the parts it began with.
        if backend == Backend::WebGpu {
            settings.parts = 1;
        }
        let config = recipe.train_config_for(&settings);
        let mut run = Run::build(
            dataset, source, settings, recipe, config, device, backend, clock,
        );
        run.gene_stats = stats;
        Ok((run, notice))
    }

    #[allow(clippy::too_many_arguments)]
    fn build(
        dataset: Dataset,
        source: Source,
        settings: TrainSettings,
        recipe: Recipe,
        config: TrainConfig,
        device: Device,
        backend: Backend,
        clock: Clock,
    ) -> Run {
        let inputs = recipe.prepare(&dataset);
        let training = backend::training_device(device.clone(), settings.seed);
        let mut trainer = Trainer::new(
            config,
            &inputs.values,
            dataset.n_genes(),
            dataset.n_times(),
            &training,
        );
        if let Some(w) = &inputs.inverse_variance {
            trainer = trainer.with_inverse_variance(w);
        }
        Run {
            settings,
            source,
            backend,
            dataset,
            inputs,
            trainer,
            history: Vec::new(),
            gene_stats: Vec::new(),
            analysis: None,
            recipe,
            device,
            clock,
            train_s: 0.0,
            coordinator: CoordinatorTimes::default(),
        }
    }

    /// Goes on training a session from its weights up to `epochs` in all (at least the epochs
    /// already done), on `device`. Its analysis, if any, is recomputed once training ends.
    pub fn resume(
        session: Session,
        epochs: usize,
        device: Device,
        backend: Backend,
        clock: Clock,
    ) -> Result<Run, RunError> {
        let done = session.epochs_done();
        let mut settings = session.settings;
        settings.epochs = epochs.max(done);
        let recipe = Recipe::for_settings(&settings);
        let config = recipe.train_config_for(&settings);
        let mut run = Run::build(
            session.dataset,
            session.source,
            settings,
            recipe,
            config,
            device,
            backend,
            clock,
        );
        run.trainer = run
            .trainer
            .resume(&session.weights, done)
            .map_err(RunError::Resume)?;
        run.history = session.history;
        run.gene_stats = session.gene_stats;
        run.train_s = session.train_s;
        Ok(run)
    }

    /// Computes each batch's parts on up to `threads` threads: natively only, and the speed
    /// only (the numbers follow from the settings' `parts`).
    pub fn set_threads(&mut self, threads: usize) {
        self.trainer.set_threads(threads);
    }

    pub fn threads(&self) -> usize {
        self.trainer.threads()
    }

    /// Trains until every epoch is done or the hooks say stop.
    pub async fn train(&mut self, hooks: &mut impl Hooks) -> Trained {
        let mut t0 = (self.clock)();
        while !self.trainer.is_done() {
            if !hooks.before_batch().await {
                self.train_s += (self.clock)() - t0;
                return Trained::Stopped;
            }
            if self.train_batch(hooks).await {
                let e = self.finish_epoch(hooks).await;
                self.history.push(e);
                self.train_s += (self.clock)() - t0;
                hooks.after_epoch(self, e).await;
                // Time spent in the hooks (a checkpoint's write) is not training time.
                t0 = (self.clock)();
            }
        }
        self.train_s += (self.clock)() - t0;
        Trained::Done
    }

    /// Trains on the next batch, through [`Hooks::parts`] when the hooks are [`Hooks::pooled`]
    /// (the same step whoever computes the parts). Returns `true` when it was the epoch's last.
    pub async fn train_batch(&mut self, hooks: &mut impl Hooks) -> bool {
        if !hooks.pooled() {
            return self.trainer.train_batch();
        }
        let t0 = (self.clock)();
        let batch = self.trainer.next_parts().await;
        self.coordinator.batch_s += (self.clock)() - t0;
        let (trainer, clock, times) = (&mut self.trainer, self.clock, &mut self.coordinator);
        let mut ahead = || {
            let t0 = clock();
            trainer.make_ahead();
            times.ahead_s += clock() - t0;
        };
        if let Some(outputs) = hooks.parts(&batch, &mut ahead).await {
            let t0 = (self.clock)();
            let applied = self.trainer.apply_parts(&batch, outputs);
            self.coordinator.step_s += (self.clock)() - t0;
            if let Ok(last) = applied {
                return last;
            }
        }
        // Parts computed here by the same code as a helper's give the same step.
        let outputs = self.trainer.parts_here(&batch).await;
        match outputs.and_then(|o| self.trainer.apply_parts(&batch, o)) {
            Ok(last) => last,
            Err(e) => unreachable!("the parts of a batch computed here fit it: {e}"),
        }
    }

    /// Closes the epoch (the test genes' loss, both losses read back), through
    /// [`Hooks::parts`] when the hooks are [`Hooks::pooled`], as [`Run::train_batch`] does.
    pub async fn finish_epoch(&mut self, hooks: &mut impl Hooks) -> EpochLosses {
        if !hooks.pooled() {
            return self.trainer.finish_epoch().await;
        }
        let t0 = (self.clock)();
        let test = self.trainer.test_parts().await;
        self.coordinator.close_s += (self.clock)() - t0;
        if !test.parts.is_empty() {
            if let Some(outputs) = hooks.parts(&test, &mut || {}).await {
                let t0 = (self.clock)();
                let closed = self.trainer.close_epoch(&test, outputs).await;
                self.coordinator.close_s += (self.clock)() - t0;
                if let Ok(e) = closed {
                    return e;
                }
            }
        }
        let outputs = self.trainer.parts_here(&test).await;
        let closed = match outputs {
            Ok(outputs) => self.trainer.close_epoch(&test, outputs).await,
            Err(e) => Err(e),
        };
        match closed {
            Ok(e) => e,
            Err(e) => unreachable!("the test parts computed here fit them: {e}"),
        }
    }

    /// Seconds per epoch of this run's training steps on its device, estimated from `warm`
    /// untimed batches (compilation, allocation, caches) and then timed ones: at least one, at
    /// most `most`, fewer once `budget_s` seconds have passed. `Auto` times a throwaway copy of
    /// a run this way on each device, so the estimate is of the user's own data and settings
    /// (the test genes' evaluation at each epoch's end is left out). `None` when the hooks
    /// stop it.
    pub async fn time_batches(
        &mut self,
        hooks: &mut impl Hooks,
        warm: usize,
        most: usize,
        budget_s: f64,
    ) -> Option<f64> {
        for _ in 0..warm {
            if !hooks.before_batch().await {
                return None;
            }
            self.train_batch(hooks).await;
        }
        self.trainer.settle().await;
        let t0 = (self.clock)();
        let mut timed = 0;
        while timed < most.max(1) {
            if !hooks.before_batch().await {
                return None;
            }
            self.train_batch(hooks).await;
            timed += 1;
            if (self.clock)() - t0 >= budget_s {
                break;
            }
        }
        self.trainer.settle().await;
        let per_batch = ((self.clock)() - t0) / timed as f64;
        Some(per_batch * self.trainer.batches_per_epoch() as f64)
    }

    /// Training seconds so far.
    pub fn train_seconds(&self) -> f64 {
        self.train_s
    }

    /// The trainer's own seconds in batches handed out in parts, so far.
    pub fn coordinator_times(&self) -> CoordinatorTimes {
        self.coordinator
    }

    /// Epochs trained so far.
    pub fn epochs_done(&self) -> usize {
        self.trainer.epochs_done()
    }

    /// The analysis the settings ask for, of the model as trained so far. `progress` is
    /// awaited between steps; returning `false` cancels.
    pub async fn analyse<F, Fut>(&mut self, progress: F) -> Result<&Analysis, RunError>
    where
        F: FnMut(Progress) -> Fut,
        Fut: Future<Output = bool>,
    {
        let (model, device) = self.trainer.inference_model();
        let config = analysis_config(&self.settings, self.dataset.n_genes());
        let analysis = analyse(
            &model,
            &device,
            &self.dataset,
            &self.inputs,
            config,
            &self.clock,
            progress,
        )
        .await?;
        Ok(self.analysis.insert(analysis))
    }

    /// Trains `settings.stability_runs` more models with the seeds after the run's, on the
    /// same genes and settings, and adds their latent summaries to the analysis's stability.
    /// `progress` is awaited before every batch; returning `false` cancels (the analysis
    /// keeps the stability it had).
    pub async fn train_replicates<F, Fut>(&mut self, mut progress: F) -> Result<(), RunError>
    where
        F: FnMut(Progress) -> Fut,
        Fut: Future<Output = bool>,
    {
        let runs = self.settings.stability_runs;
        if runs == 0 || self.analysis.is_none() {
            return Ok(());
        }
        let mut replicates = Vec::with_capacity(runs);
        for i in 1..=runs {
            let mut settings = self.settings.clone();
            settings.seed = self.settings.seed.wrapping_add(i as u64);
            let config = self.recipe.train_config_for(&settings);
            let epochs = config.epochs.max(1);
            let mut other = Run::build(
                self.dataset.clone(),
                self.source.clone(),
                settings,
                self.recipe.clone(),
                config,
                self.device.clone(),
                self.backend,
                self.clock,
            );
            other.set_threads(self.threads());
            while !other.trainer.is_done() {
                let done = other.trainer.epochs_done();
                let label = format!(
                    "Stability: training {i} of {runs} (seed {}), epoch {} of {epochs}",
                    other.settings.seed,
                    done + 1
                );
                let fraction = ((i - 1) as f64 + done as f64 / epochs as f64) / runs as f64;
                if !progress(Progress { label, fraction }).await {
                    return Err(RunError::Analysis(AnalysisError::Cancelled));
                }
                if other.trainer.train_batch() {
                    other.trainer.finish_epoch().await;
                }
            }
            replicates.push(other.latent_summary().await.values);
        }
        if let Some(a) = self.analysis.as_mut() {
            a.set_replicates(replicates);
        }
        Ok(())
    }

    /// Only the clustering of the latent summary into `k` clusters, without the rest of the
    /// analysis (UMAP, k-choice): what the evaluation scores.
    pub async fn cluster_labels(&self, k: usize) -> Vec<usize> {
        let config = AnalysisConfig::seeded(self.settings.seed).with_k(k);
        let latents = self.latent_summary().await;
        KMeans::fit(Points::new(&latents.values, latents.dim), k, &config.kmeans).labels
    }

    /// The recipe's latent summary of every gene, from the model as trained so far.
    async fn latent_summary(&self) -> Latents {
        let (model, device) = self.trainer.inference_model();
        summarise(
            &model,
            &self.inputs.values,
            self.dataset.n_genes(),
            self.dataset.n_times(),
            self.recipe.latent,
            self.settings.seed,
            &device,
        )
        .await
    }

    /// The run as a session file: everything needed to show it again or go on training. The
    /// weights are read back asynchronously, so this is safe on WebGPU.
    pub async fn session(&self) -> Session {
        Session::new(
            self.source.clone(),
            self.settings.clone(),
            self.backend,
            self.train_s,
            self.dataset.clone(),
            self.history.clone(),
            self.trainer.weights().await,
            self.analysis.clone(),
        )
        .with_gene_stats(self.gene_stats.clone())
        .with_threads(self.threads())
    }
}
