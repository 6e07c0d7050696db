//! Everything the page shows or remembers, in one [`AppState`] of signals: where the page is
//! in its life cycle, the data set, the settings, and the current run with its analysis.
//!
//! The worker's responses change it ([`super::reducer`]), the controls change the settings, and
//! [`super::commands`] reads it to build requests. It is `Copy`, so every component and closure
//! takes it by value.

use leptos::prelude::*;
use vrnn_protocol::{
    defaults, AnalysisView, Backend, BenchmarkReport, Compute, DatasetSummary, EpochReport,
    GeneSelection, LatentSummary, LoadOptions, Preset, Request, SavedRun, SimilarGene, TimeValue,
    TrainSettings,
};

use crate::genes;

/// Where the page is in its life cycle; drives the status line and which buttons work.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    Starting,
    Idle,
    Loading(String),
    /// Training, on this backend once the worker has said which (`None` while it starts).
    Training {
        backend: Option<Backend>,
    },
    Analysing,
    Done,
}

/// The latest copy of the current run kept in the browser's storage.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRun {
    pub id: String,
    /// The epochs it holds.
    pub epochs: usize,
    /// Trained and analysed; otherwise a checkpoint.
    pub finished: bool,
}

/// The genes nearest to a queried gene in latent space.
#[derive(Debug, Clone, PartialEq)]
pub struct SimilarList {
    pub query: String,
    pub genes: Vec<SimilarGene>,
}

/// The user's gene-set file as the worker last reported it: kept apart from the analysis, as
/// the worker keeps the sets for every later run too.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GeneSets {
    /// The file being read, until the worker answers.
    pub reading: Option<String>,
    /// The file read last: its name, its sets and its distinct genes.
    pub loaded: Option<(String, usize, usize)>,
    /// Why the last file could not be used (shown beside the `Gene sets` input, not as the
    /// page's alert: the analysis is unaffected).
    pub error: Option<String>,
}

/// What the page's URL asks for (`?backend=cpu|webgpu&epochs=N`, `?inject-panic=N`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UrlSettings {
    pub compute: Option<Compute>,
    /// `?workers=N`: training helpers (0: train in the analysis worker alone).
    pub workers: Option<usize>,
    pub epochs: Option<usize>,
    /// Testing aids sent to the worker once it is ready.
    pub aids: Vec<Request>,
}

/// [`defaults::workers`] for this browser's logical cores. The page's native unit tests have
/// no browser: two cores.
pub fn default_workers() -> usize {
    #[cfg(target_arch = "wasm32")]
    let cores = web_sys::window()
        .map(|w| w.navigator().hardware_concurrency())
        .unwrap_or(1.0) as usize;
    #[cfg(not(target_arch = "wasm32"))]
    let cores = 2;
    defaults::workers(cores)
}

/// The most stability runs the page asks for: each one trains the model again.
pub const MAX_STABILITY_RUNS: usize = 10;
/// The smallest FDR the page sends (0 would keep no gene at all).
pub const MIN_FDR: f64 = 1e-4;

/// An FDR the worker can use: within `MIN_FDR..=1`, the default for text that is no number.
pub fn clamp_fdr(fdr: f64) -> f64 {
    if fdr.is_finite() {
        fdr.clamp(MIN_FDR, 1.0)
    } else {
        defaults::FDR
    }
}

/// The page's state: signals and stored values, created once by [`AppState::new`].
#[derive(Clone, Copy)]
pub struct AppState {
    // The page's life cycle and what it tells the user.
    pub phase: RwSignal<Phase>,
    /// The status line (`role=status`).
    pub status: RwSignal<String>,
    /// The alert (`role=alert`).
    pub error: RwSignal<Option<String>>,
    pub notice: RwSignal<Option<String>>,
    /// Keeps the alert over the `Loaded` that follows (a crash's alert while a new worker
    /// reopens the run).
    pub keep_alert: StoredValue<bool>,
    /// A testing aid from the URL, sent once when the worker is ready.
    pub aids: StoredValue<Vec<Request>>,

    // The data set.
    pub summary: RwSignal<Option<DatasetSummary>>,
    /// Columns the user may name as time.
    pub time_options: RwSignal<Vec<String>>,
    /// The last files loaded (path, file), to read them again with other options.
    pub last_files: StoredValue<Vec<(String, web_sys::File)>, LocalStorage>,
    /// How to read them: time column, time values, matrix, gene names, counts rule.
    pub load_options: RwSignal<LoadOptions>,
    /// The `Time values` table: each label (or sample) and the time typed or read for it.
    pub time_values: RwSignal<Vec<TimeValue>>,

    // The settings of the next run.
    pub preset: RwSignal<Preset>,
    pub epochs: RwSignal<usize>,
    /// Epochs given in the URL: a preset change keeps them.
    pub url_epochs: Option<usize>,
    pub seed: RwSignal<u64>,
    pub compute: RwSignal<Compute>,
    /// Training helpers for CPU runs (`Workers`): one per core but the page's by default.
    pub workers: RwSignal<usize>,
    pub k: RwSignal<usize>,
    pub genes: RwSignal<usize>,
    pub batch_size: RwSignal<usize>,
    /// `None`: the preset's own latent summary.
    pub latent: RwSignal<Option<LatentSummary>>,
    pub selection: RwSignal<GeneSelection>,
    /// The false-discovery rate of `Changing over time`.
    pub fdr: RwSignal<f64>,
    /// Extra trainings with other seeds that measure the clusters' stability.
    pub stability_runs: RwSignal<usize>,
    /// The membership-core threshold of the clustering shown (not a training setting: a
    /// change re-clusters the analysis without retraining).
    pub core_threshold: RwSignal<f64>,
    /// The genes of interest as typed.
    pub goi_text: RwSignal<String>,
    /// Genes listed per similar-genes query.
    pub similar_n: RwSignal<usize>,

    // The current run.
    /// The backend the run trains (or trained) on.
    pub backend: RwSignal<Option<Backend>>,
    /// Why `Auto` chose it (None for an explicit choice).
    pub backend_reason: RwSignal<Option<String>>,
    /// Training helpers of the run in use (0: the analysis worker alone).
    pub backend_workers: RwSignal<usize>,
    pub history: RwSignal<Vec<EpochReport>>,
    /// How the run was trained, for the final status line.
    pub trained: RwSignal<String>,
    pub analysis: RwSignal<Option<AnalysisView>>,
    /// The gene chosen in the search or on the UMAP (its row in the analysis).
    pub selected: RwSignal<Option<usize>>,
    pub similar: RwSignal<Option<SimilarList>>,
    pub gene_sets: RwSignal<GeneSets>,
    /// The latest copy of this run in the browser's storage.
    pub stored: RwSignal<Option<StoredRun>>,
    /// Every run kept in this browser.
    pub saved: RwSignal<Vec<SavedRun>>,

    // `Benchmark this machine`.
    /// The worker is timing the compute paths (no training meanwhile).
    pub benchmarking: RwSignal<bool>,
    /// The last report, to show and download.
    pub benchmark: RwSignal<Option<BenchmarkReport>>,
}

impl AppState {
    /// A new page: the shared defaults, overridden by the URL.
    pub fn new(url: UrlSettings) -> Self {
        let d = TrainSettings::default();
        Self {
            phase: RwSignal::new(Phase::Starting),
            status: RwSignal::new("Starting the analysis worker…".into()),
            error: RwSignal::new(None),
            notice: RwSignal::new(None),
            keep_alert: StoredValue::new(false),
            aids: StoredValue::new(url.aids),
            summary: RwSignal::new(None),
            time_options: RwSignal::new(Vec::new()),
            last_files: StoredValue::new_local(Vec::new()),
            load_options: RwSignal::new(LoadOptions::default()),
            time_values: RwSignal::new(Vec::new()),
            preset: RwSignal::new(d.preset),
            epochs: RwSignal::new(url.epochs.unwrap_or(d.epochs)),
            url_epochs: url.epochs,
            seed: RwSignal::new(d.seed),
            compute: RwSignal::new(url.compute.unwrap_or(d.compute)),
            workers: RwSignal::new(url.workers.unwrap_or_else(default_workers)),
            k: RwSignal::new(d.k),
            genes: RwSignal::new(defaults::MAX_GENES),
            batch_size: RwSignal::new(d.batch_size()),
            latent: RwSignal::new(d.latent),
            selection: RwSignal::new(d.selection),
            fdr: RwSignal::new(d.fdr),
            stability_runs: RwSignal::new(d.stability_runs),
            core_threshold: RwSignal::new(defaults::CORE_THRESHOLD),
            goi_text: RwSignal::new(defaults::genes_of_interest_text()),
            similar_n: RwSignal::new(defaults::SIMILAR_N),
            backend: RwSignal::new(None),
            backend_reason: RwSignal::new(None),
            backend_workers: RwSignal::new(0),
            history: RwSignal::new(Vec::new()),
            trained: RwSignal::new(String::new()),
            analysis: RwSignal::new(None),
            selected: RwSignal::new(None),
            similar: RwSignal::new(None),
            gene_sets: RwSignal::new(GeneSets::default()),
            stored: RwSignal::new(None),
            saved: RwSignal::new(Vec::new()),
            benchmarking: RwSignal::new(false),
            benchmark: RwSignal::new(None),
        }
    }

    /// The settings of a new run, as the controls show them.
    pub fn train_settings(&self) -> TrainSettings {
        TrainSettings {
            epochs: self.epochs.get_untracked().max(1),
            seed: self.seed.get_untracked(),
            compute: self.compute.get_untracked(),
            k: self.k.get_untracked().max(1),
            preset: self.preset.get_untracked(),
            latent: self.latent.get_untracked(),
            genes: Some(self.genes.get_untracked().max(1)),
            keep: self
                .goi_text
                .with_untracked(|t| genes::split_list(t).map(String::from).collect()),
            batch_size: Some(self.batch_size.get_untracked().max(1)),
            selection: self.selection.get_untracked(),
            fdr: clamp_fdr(self.fdr.get_untracked()),
            stability_runs: self.stability_runs.get_untracked().min(MAX_STABILITY_RUNS),
            ..TrainSettings::default()
        }
    }

    /// Chooses a preset: its default epochs follow, unless the URL gave epochs, and its default
    /// gene selection.
    pub fn choose_preset(&self, preset: Preset) {
        self.preset.set(preset);
        self.selection.set(preset.default_selection());
        if self.url_epochs.is_none() {
            self.epochs.set(preset.default_epochs());
        }
    }

    /// Where the page is after a load that did not happen: back to where it was.
    pub fn settled_phase(&self) -> Phase {
        if self.history.with_untracked(|h| h.is_empty()) {
            Phase::Idle
        } else {
            Phase::Done
        }
    }

    /// Forgets the analysis and everything chosen in it.
    pub fn clear_analysis(&self) {
        self.analysis.set(None);
        self.selected.set(None);
        self.similar.set(None);
    }

    /// Reading a file, training or analysing (tracked).
    pub fn busy(&self) -> bool {
        matches!(
            self.phase.get(),
            Phase::Loading(_) | Phase::Training { .. } | Phase::Analysing
        ) || self.benchmarking.get()
    }

    /// `Train` works: a data set is loaded and nothing runs (tracked).
    pub fn can_train(&self) -> bool {
        self.summary.with(|s| s.is_some())
            && matches!(self.phase.get(), Phase::Idle | Phase::Done)
            && !self.benchmarking.get()
    }

    /// `Resume` works: a run with trained epochs is at rest (tracked).
    pub fn can_resume(&self) -> bool {
        self.phase.get() == Phase::Done
            && self.history.with(|h| !h.is_empty())
            && !self.benchmarking.get()
    }

    /// The title of every time axis: the data set's time column (tracked).
    pub fn time_title(&self) -> String {
        self.summary.with(|s| {
            s.as_ref()
                .map(|s| s.shape.time_column.clone())
                .unwrap_or_else(|| "time".into())
        })
    }
}

#[cfg(test)]
mod tests;
