//! The one message protocol between the page (Leptos, main thread) and its analysis worker.
//!
//! Messages travel as JSON strings through `postMessage`, so both sides stay typed and the
//! page never sees a tensor. A file to load travels beside the JSON as the browser's own `File`
//! object (structured clone), so the page never copies its bytes.

use serde::{Deserialize, Serialize};

pub use vrnn_types::{
    defaults, files, time_label, AnalysisTimings, AnalysisView, Backend, ClusterView, Compute,
    DatasetShape, EnrichedTerm, EnrichmentView, GeneSelection, InputFormat, KChoicePoint,
    LatentSummary, MeasuredSpeeds, Normalization, Normalize, Preset, ReadInfo, SimilarGene,
    StabilityView, TimeValue, TrainSettings,
};

/// Page → worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Request {
    /// Read the files sent alongside this message (in the order of `files`): one table, one
    /// `.h5ad`, or several 10x samples, with a sample sheet among them where there is one.
    Load {
        /// What the page calls the files together (a file name, or "3 files").
        file_name: String,
        /// Each file's path: its name, or its place in a dropped folder
        /// (`t3h/filtered_feature_bc_matrix/matrix.mtx.gz`).
        #[serde(default)]
        files: Vec<String>,
        #[serde(default)]
        options: LoadOptions,
    },
    /// Load the built-in simulated data set (the project's default simulation).
    LoadDemo,
    /// Train on the last dataset that loaded.
    Train(TrainSettings),
    /// Stop whatever is in progress (reading a file, training, analysis) at its next step.
    Cancel,
    /// Keep only the cells of one type (`None`: all cells), from the sums already read.
    FilterCellType { cell_type: Option<String> },
    /// Cluster the finished analysis again with another k and membership-core threshold (no
    /// retraining); the answer is [`Response::Reclustered`].
    Recluster {
        k: usize,
        #[serde(default = "default_core_threshold")]
        core_threshold: f64,
    },
    /// Read the gene-set file (GMT, or a `gene,set` table) sent alongside this message; the
    /// analysis, now and after every run, then tests each cluster for enrichment in them.
    GeneSets { file_name: String },
    /// The `n` genes nearest to `gene` in latent space.
    Similar { gene: String, n: usize },
    /// Send one of the run's files (names as in [`Response::File`]).
    Export { name: String },
    /// Go on training the current run (finished, cancelled, or reopened from a session or a
    /// checkpoint) from its last weights, up to `epochs` in all, then analyse it again (the
    /// page's `Resume`).
    Resume { epochs: usize, compute: Compute },
    /// List the runs kept in this browser's storage ([`Response::SavedRuns`]).
    ListSaved,
    /// Reopen a kept run; with `resume`, go on training it at once on that compute.
    OpenSaved {
        id: String,
        #[serde(default)]
        resume: Option<Compute>,
    },
    /// Delete a kept run.
    DeleteSaved { id: String },
    /// `Benchmark this machine`: train a few epochs on each compute path of this browser and
    /// answer with [`Response::Benchmarked`]. Cancel stops it.
    Benchmark,
    /// A testing aid (the page's `?inject-panic=N` and `?inject-gpu-loss=N`): panic at the end of
    /// epoch `at_epoch` (with `only_on_webgpu`, only when training on WebGPU, as a lost device
    /// would), to prove that a crash costs only the epochs since the last checkpoint.
    InjectPanic {
        at_epoch: usize,
        only_on_webgpu: bool,
    },
    /// How many training helpers (Web Workers, one per core) compute a CPU run's batches: the
    /// page's `Workers` setting or `?workers=N`; 0 computes them in the analysis worker
    /// itself. Changes the speed, never the numbers. Applies from the next run.
    Workers { count: usize },
    /// A testing aid (the page's `?inject-helper-crash=N`): a training helper crashes on its
    /// first part after epoch `at_epoch`; the run must go on with the same numbers.
    InjectHelperCrash { at_epoch: usize },
    /// A testing aid (the page's `?inject-helper-hang=N`): a training helper stops answering on
    /// its first part after epoch `at_epoch`; the pool must stop and replace it, and the run go
    /// on with the same numbers.
    InjectHelperHang { at_epoch: usize },
    /// A testing aid (the page's `?software-adapter-as-hardware`): `Auto` times a software
    /// WebGPU adapter as it would a GPU instead of refusing it, so that the timing, the choice
    /// and the remembered measurement can be tested in a browser without a GPU.
    SoftwareAdapterAsHardware,
}

/// How to read the data: what the page's `Time column`, `Time values`, `Matrix`, `Gene names`
/// and `Normalise counts` say (each empty: detected).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LoadOptions {
    #[serde(default)]
    pub time_column: Option<String>,
    /// Label (or sample) → time, typed in the `Time values` table.
    #[serde(default)]
    pub time_values: Vec<(String, f64)>,
    #[serde(default)]
    pub normalize: Normalize,
    #[serde(default)]
    pub matrix: Option<String>,
    #[serde(default)]
    pub gene_names: Option<String>,
}

/// The `.h5ad` choices the page offers once one is read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct H5adChoices {
    /// `X`, `raw`, `layers/NAME`.
    pub matrices: Vec<String>,
    /// `index`, then the var columns of text.
    pub gene_names: Vec<String>,
}

fn default_core_threshold() -> f64 {
    vrnn_types::defaults::CORE_THRESHOLD
}

/// A run kept in the browser's storage, as listed on the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedRun {
    pub id: String,
    /// The file the data came from.
    pub source: String,
    pub cell_type: Option<String>,
    pub preset: String,
    pub epochs_done: usize,
    pub epochs_total: usize,
    /// Trained and analysed; otherwise a checkpoint taken while training ran.
    pub finished: bool,
    /// Milliseconds since 1970, when it was saved.
    pub saved_at: f64,
    /// Size of the stored session.
    pub bytes: f64,
}

/// What was read from a file, for the page's summary.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DatasetSummary {
    pub file_name: String,
    #[serde(flatten)]
    pub shape: DatasetShape,
    /// The column cell types come from, when one was recognised.
    #[serde(default)]
    pub cell_type_column: Option<String>,
    /// Every cell type of the file with its number of cells, alphabetically.
    #[serde(default)]
    pub cell_types: Vec<CellTypeCount>,
    /// The cell type the data set is restricted to, if any.
    #[serde(default)]
    pub cell_type: Option<String>,
    /// How the file was read: size, rows, seconds, and the worker's memory afterwards.
    #[serde(default)]
    pub read: ReadStats,
    /// The format, the counts rule, and the time each label stands for.
    #[serde(default)]
    pub info: ReadInfo,
    /// Every column that can be chosen as time (the `.h5ad` obs columns; a table's columns).
    #[serde(default)]
    pub time_columns: Vec<String>,
    /// The `.h5ad`'s matrices and gene-name columns, for `Matrix` and `Gene names`.
    #[serde(default)]
    pub h5ad: Option<H5adChoices>,
}

/// One cell type of a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellTypeCount {
    pub name: String,
    pub cells: u64,
}

/// How a file was read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReadStats {
    pub bytes: f64,
    pub rows: u64,
    pub seconds: f64,
    /// The worker's WebAssembly memory after reading: its high-water mark, since a wasm
    /// memory never shrinks.
    pub memory_bytes: f64,
}

/// `Benchmark this machine`'s report, for users to send in: what the machine is and how fast
/// each compute path trains the same workload here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchmarkReport {
    /// The app's version.
    pub version: String,
    pub user_agent: String,
    /// `navigator.hardwareConcurrency`: the logical cores the browser reports.
    pub cores: usize,
    /// The browser's WebGPU adapter as it describes itself (None: no WebGPU).
    pub adapter: Option<String>,
    /// A software renderer (SwiftShader, llvmpipe): no GPU behind WebGPU.
    pub adapter_is_software: bool,
    /// What every path trained: data, batch, parts, preset.
    pub workload: String,
    pub paths: Vec<PathTiming>,
}

/// One compute path of a [`BenchmarkReport`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathTiming {
    /// For example "CPU, 1 worker" or "WebGPU".
    pub path: String,
    /// Mean seconds of the timed epochs (after a warm-up epoch); None when not timed.
    pub seconds_per_epoch: Option<f64>,
    pub epochs_timed: usize,
    /// Why it was not timed (no adapter, a software adapter, cancelled, an error).
    pub note: Option<String>,
    /// Where the time of a path with training helpers went, per timed epoch: the numbers of
    /// the model of time against helpers in docs/benchmarks.md.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<PoolTiming>,
}

/// A path with training helpers, per timed epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoolTiming {
    pub helpers: usize,
    /// Parts computed, by the helpers or the training worker.
    pub parts: usize,
    /// Mean seconds a helper computes one part (its own clock).
    pub part_s: f64,
    /// Of [`PoolTiming::parts`], those the training worker computed itself while it waited
    /// for the helpers (a mean over the timed epochs).
    #[serde(default)]
    pub parts_here: f64,
    /// Mean seconds the training worker took for one of them.
    #[serde(default)]
    pub part_here_s: f64,
    /// Mean seconds from a part's coming to the front of its helper's queue to its result
    /// arriving, less the computing: the messages (copies, structured clones, the event
    /// loops) that the next part queued behind it does not wait for.
    pub message_s: f64,
    /// Seconds the training worker spends outside the batches' parts (neither waiting for
    /// the helpers nor computing its own): the noise, the sums of the parts, clipping, Adam.
    pub coordinator_s: f64,
    /// Of [`PoolTiming::coordinator_s`]: making the training batches (the noise, each part's
    /// slices, the weights read once per batch).
    #[serde(default)]
    pub batch_s: f64,
    /// Of it: summing the parts' gradients, clipping, Adam and the model's new weights.
    #[serde(default)]
    pub step_s: f64,
    /// Of it: the test genes' parts made and summed, the epoch's losses read. The rest of
    /// `coordinator_s` is the event loop between batches (messages, Cancel).
    #[serde(default)]
    pub close_s: f64,
    /// Making the next training batch while the helpers computed one: inside the wait for
    /// them (not in `coordinator_s`), where it used to hold them up.
    #[serde(default)]
    pub ahead_s: f64,
}

/// One finished epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochReport {
    /// 1-based.
    pub epoch: usize,
    pub epochs: usize,
    pub train_loss: f64,
    pub test_loss: f64,
    /// Seconds since training started.
    pub elapsed: f64,
}

/// Worker → page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Response {
    /// The worker has started and listens.
    Ready,
    /// Progress while a file is read: bytes read of the total, rows (cells) so far, seconds.
    Reading {
        file_name: String,
        bytes: f64,
        total: f64,
        #[serde(default)]
        rows: u64,
        seconds: f64,
    },
    /// Reading a file was cancelled; the previous data set and results are kept.
    LoadCancelled {
        file_name: String,
    },
    Loaded(DatasetSummary),
    /// The file could not be used; the message names the line and column.
    LoadFailed {
        file_name: String,
        message: String,
        /// When no time column was found: the columns that could be one.
        #[serde(default)]
        time_candidates: Vec<String>,
        /// Labels (or samples) that need a time, for the `Time values` table.
        #[serde(default)]
        time_values: Vec<TimeValue>,
    },
    /// A gene-set file was read: its sets and distinct genes (how many of them are in the
    /// analysis comes with the enrichment, [`ClusterView::enrichment`]).
    GeneSetsLoaded {
        file_name: String,
        sets: usize,
        genes: usize,
    },
    /// A gene-set file could not be used; the message names the line. Nothing else changes.
    GeneSetsFailed {
        file_name: String,
        message: String,
    },
    /// Something the user should know that is not an error (e.g. genes left out).
    Notice {
        message: String,
    },
    /// Training began on this backend, with why when it fell back.
    Started {
        backend: Backend,
        note: Option<String>,
        /// Why `Auto` chose `backend` (None for an explicit choice).
        #[serde(default)]
        reason: Option<String>,
        /// The epochs already trained when a run goes on from saved weights (empty for a new
        /// run).
        #[serde(default)]
        history: Vec<EpochReport>,
        /// Training helpers computing the batches (0: the analysis worker alone, and always on
        /// WebGPU).
        #[serde(default)]
        workers: usize,
    },
    /// Before a run starts: what `Auto` is timing to choose between WebGPU and the CPU.
    Measuring {
        label: String,
    },
    Epoch(EpochReport),
    Finished {
        epochs: usize,
        seconds: f64,
    },
    Cancelled {
        epochs: usize,
    },
    /// Analysis after training: what it is doing and how far along (0 to 1).
    Progress {
        label: String,
        fraction: f64,
    },
    /// The finished analysis (boxed: it is by far the largest message).
    Analysed(Box<AnalysisView>),
    Reclustered(ClusterView),
    Similar {
        query: String,
        genes: Vec<SimilarGene>,
    },
    /// A file to save, in exactly the CLI's format.
    File {
        name: String,
        mime: String,
        contents: String,
    },
    /// A binary file to save (a session). Its bytes travel beside the JSON, as a file does
    /// from the page; the page's client puts them here.
    BinaryFile {
        name: String,
        mime: String,
        #[serde(skip)]
        bytes: Vec<u8>,
    },
    /// A session file was opened: the run's losses, before its data set (`Loaded`) and its
    /// analysis (`Analysed`, absent for a checkpoint, which can go on training).
    Restored {
        file_name: String,
        history: Vec<EpochReport>,
        backend: Backend,
        seconds: f64,
        /// The epochs the run was asked for.
        #[serde(default)]
        epochs_total: usize,
        /// Whether an analysis follows; a checkpoint has none yet.
        #[serde(default)]
        analysed: bool,
    },
    /// The runs kept in this browser, newest first.
    SavedRuns(Vec<SavedRun>),
    /// The current run was kept in the browser's storage (a checkpoint or, once analysed, the
    /// whole session) under this id.
    Stored {
        id: String,
        epochs: usize,
        finished: bool,
    },
    /// `Benchmark this machine` at work: what it is timing now.
    Benchmarking {
        label: String,
    },
    /// `Benchmark this machine` finished (or was cancelled: the paths not timed say so).
    Benchmarked(BenchmarkReport),
    /// The worker panicked: its message. The page restarts the worker.
    Crashed {
        message: String,
    },
    /// Training could not run or stopped with an error.
    Failed {
        message: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_json() {
        let msgs = vec![
            Request::Load {
                file_name: "a.csv".into(),
                files: vec!["a.csv".into()],
                options: LoadOptions {
                    time_values: vec![("6h".into(), 6.0)],
                    normalize: Normalize::No,
                    ..LoadOptions::default()
                },
            },
            Request::Train(TrainSettings {
                epochs: 3,
                seed: 42,
                compute: Compute::WebGpu,
                k: 6,
                preset: Preset::Reference,
                latent: Some(LatentSummary::SampledZ),
                genes: Some(100),
                keep: vec!["IRF1".into()],
                batch_size: Some(200),
                ..TrainSettings::default()
            }),
            Request::Cancel,
            Request::Recluster {
                k: 4,
                core_threshold: 0.5,
            },
            Request::GeneSets {
                file_name: "h.gmt".into(),
            },
            Request::Similar {
                gene: "IRF1".into(),
                n: 20,
            },
            Request::Benchmark,
            Request::Workers { count: 3 },
            Request::InjectHelperCrash { at_epoch: 2 },
            Request::InjectHelperHang { at_epoch: 2 },
            Request::SoftwareAdapterAsHardware,
        ];
        for m in msgs {
            let s = serde_json::to_string(&m).unwrap();
            assert_eq!(serde_json::from_str::<Request>(&s).unwrap(), m);
        }
        let report = Response::Benchmarked(BenchmarkReport {
            version: "0.1.0".into(),
            user_agent: "test".into(),
            cores: 8,
            adapter: None,
            adapter_is_software: false,
            workload: "w".into(),
            paths: vec![PathTiming {
                path: "CPU, 1 worker".into(),
                seconds_per_epoch: Some(0.25),
                epochs_timed: 3,
                note: None,
                pool: None,
            }],
        });
        let s = serde_json::to_string(&report).unwrap();
        assert_eq!(serde_json::from_str::<Response>(&s).unwrap(), report);
    }
}
