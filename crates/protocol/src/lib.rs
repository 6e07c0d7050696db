//! The one message protocol between the page (Leptos, main thread) and its analysis worker.
//!
//! Messages travel as JSON strings through `postMessage`, so both sides stay typed and the
//! page never sees a tensor. A file to load travels beside the JSON as the browser's own `File`
//! object (structured clone), so the page never copies its bytes.

use serde::{Deserialize, Serialize};

/// Formats a time value as users write it: `0`, `3`, `24`, `0.5` (no spurious `.0`). Shared by
/// the page, the worker and the exports so every view labels times identically.
pub fn time_label(t: f64) -> String {
    if t.fract() == 0.0 && t.abs() < 1e15 {
        format!("{}", t as i64)
    } else {
        format!("{t}")
    }
}

/// Which compute backend the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Compute {
    /// WebGPU when an adapter exists, else CPU.
    #[default]
    Auto,
    WebGpu,
    Cpu,
}

impl Compute {
    pub const ALL: [Compute; 3] = [Compute::Auto, Compute::WebGpu, Compute::Cpu];

    pub fn label(self) -> &'static str {
        match self {
            Compute::Auto => "Auto",
            Compute::WebGpu => "WebGPU",
            Compute::Cpu => "CPU",
        }
    }

    /// Parses a label or a URL value (`cpu`, `webgpu`, `auto`), case-insensitively.
    pub fn parse(s: &str) -> Option<Compute> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Some(Compute::Auto),
            "webgpu" | "wgpu" | "gpu" => Some(Compute::WebGpu),
            "cpu" => Some(Compute::Cpu),
            _ => None,
        }
    }
}

/// What represents a gene in latent space (spec section 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum LatentSummary {
    /// The posterior mean `mu_q` averaged over time: deterministic (this project's default).
    #[default]
    PosteriorMean,
    /// A sampled `z_t` averaged over time, as the reference does (noisy; seeded here).
    SampledZ,
    /// The posterior means of every time step, concatenated: keeps the order in time that an
    /// average throws away.
    Sequence,
    /// [`LatentSummary::Sequence`] with each coordinate divided by its posterior standard
    /// deviation: a coordinate the model is sure of counts more than one it barely knows, as
    /// the input's signal-to-noise damping does for time points (the Dynamics preset's choice).
    StandardisedSequence,
}

impl LatentSummary {
    pub const ALL: [LatentSummary; 4] = [
        LatentSummary::PosteriorMean,
        LatentSummary::Sequence,
        LatentSummary::StandardisedSequence,
        LatentSummary::SampledZ,
    ];

    pub fn label(self) -> &'static str {
        match self {
            LatentSummary::PosteriorMean => "Posterior mean",
            LatentSummary::Sequence => "Posterior mean per time",
            LatentSummary::StandardisedSequence => "Standardised posterior mean per time",
            LatentSummary::SampledZ => "Sampled z (reference)",
        }
    }

    /// Parses a label or a CLI value (`mean`, `sequence`, `standardised`, `sampled`),
    /// case-insensitively.
    pub fn parse(s: &str) -> Option<LatentSummary> {
        let s = s.to_ascii_lowercase();
        if s.starts_with("standardi") {
            Some(LatentSummary::StandardisedSequence)
        } else if s == "posterior mean per time" || s == "sequence" {
            Some(LatentSummary::Sequence)
        } else if s.starts_with("posterior") || s == "mean" {
            Some(LatentSummary::PosteriorMean)
        } else if s.starts_with("sampled") {
            Some(LatentSummary::SampledZ)
        } else {
            None
        }
    }
}

/// A complete recipe: what the model trains on, the model, and what is clustered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Preset {
    /// Clusters by the shape of the response (this project's design; the default).
    #[default]
    Dynamics,
    /// The published pipeline, exactly.
    Reference,
}

impl Preset {
    pub const ALL: [Preset; 2] = [Preset::Dynamics, Preset::Reference];

    pub fn label(self) -> &'static str {
        match self {
            Preset::Dynamics => "Dynamics",
            Preset::Reference => "Reference",
        }
    }

    /// One sentence for the page.
    pub fn description(self) -> &'static str {
        match self {
            Preset::Dynamics => "Dynamics: a shift that normalisation puts on every gene alike is undone, each gene is scaled to its own range and damped where its changes are within noise, the model must encode every time point, and genes are clustered on the whole latent path, each coordinate weighed by the model's certainty, so clusters follow the shape of the response rather than expression level.",
            Preset::Reference => "Reference: the published pipeline exactly (raw means, unit-variance likelihood, latent averaged over time); its clusters mostly follow expression level.",
        }
    }

    /// Epochs a run of this preset needs by default. Dynamics: 150, measured against 300 and
    /// 600 in docs/dynamics.md (longer training fits the noise of each gene's means: with 50
    /// cells per time point or 10,000 genes it clustered worse).
    pub fn default_epochs(self) -> usize {
        match self {
            Preset::Dynamics => 150,
            Preset::Reference => 2000,
        }
    }

    pub fn parse(s: &str) -> Option<Preset> {
        match s.to_ascii_lowercase().as_str() {
            "dynamics" => Some(Preset::Dynamics),
            "reference" => Some(Preset::Reference),
            _ => None,
        }
    }
}

/// The settings of one training run, as chosen on the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainSettings {
    pub epochs: usize,
    pub seed: u64,
    pub compute: Compute,
    /// Clusters of the analysis that follows training.
    pub k: usize,
    pub preset: Preset,
    /// Overrides the preset's latent summary.
    pub latent: Option<LatentSummary>,
    /// Train on the N most variable genes (None: all genes up to 2000, else the top 2000).
    pub genes: Option<usize>,
    /// Genes of interest kept even when they are not among the most variable.
    pub keep: Vec<String>,
    /// Genes per training step (None: the reference's 400). Larger batches take fewer, bigger
    /// steps: faster per epoch, above all on a GPU, and a different optimisation.
    #[serde(default)]
    pub batch_size: Option<usize>,
}

/// The default number of genes a run keeps: all of them up to 2000, else the 2000 most variable.
pub fn default_gene_count(n_genes: usize) -> usize {
    n_genes.min(2000)
}

/// Page → worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Request {
    /// Parse the `File` sent alongside this message.
    Load {
        file_name: String,
        time_column: Option<String>,
    },
    /// Load the built-in simulated data set (the project's default simulation).
    LoadDemo,
    /// Train on the last dataset that loaded.
    Train(TrainSettings),
    /// Stop whatever is in progress (reading a file, training, analysis) at its next step.
    Cancel,
    /// Keep only the cells of one type (`None`: all cells), from the sums already read.
    FilterCellType { cell_type: Option<String> },
    /// Cluster the finished analysis again with another k (no retraining).
    Recluster { k: usize },
    /// The `n` genes nearest to `gene` in latent space.
    Similar { gene: String, n: usize },
    /// Send one of the run's files (names as in [`Response::File`]).
    Export { name: String },
    /// Go on training the current run (finished, cancelled, or reopened from a session or a
    /// checkpoint) from its last weights, up to `epochs` in all, then analyse it again.
    Continue { epochs: usize, compute: Compute },
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
    /// A testing aid (the page's `?inject-panic=N` and `?inject-gpu-loss=N`): panic at the end of
    /// epoch `at_epoch` (with `only_on_webgpu`, only when training on WebGPU, as a lost device
    /// would), to prove that a crash costs only the epochs since the last checkpoint.
    InjectPanic {
        at_epoch: usize,
        only_on_webgpu: bool,
    },
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
    pub n_cells: u64,
    pub n_genes: usize,
    pub time_column: String,
    pub metadata_columns: Vec<String>,
    pub times: Vec<f64>,
    pub cells_per_time: Vec<u64>,
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

/// One point of the k-choice plot.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct KChoicePoint {
    pub k: usize,
    pub inertia: f64,
    pub silhouette: f64,
}

/// A clustering as shown: clusters numbered 1..=k everywhere (plots, tables, files).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterView {
    pub k: usize,
    /// 1-based cluster of each gene.
    pub labels: Vec<usize>,
    /// Per cluster (index 0 = cluster 1), the seeded sample of genes drawn in its panel.
    pub shown: Vec<Vec<usize>>,
}

/// Seconds spent in each phase of the analysis after training.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AnalysisTimings {
    pub latent_s: f64,
    pub k_choice_s: f64,
    pub cluster_s: f64,
    pub umap_s: f64,
}

/// Everything the page draws after a run, computed once by the worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnalysisView {
    pub genes: Vec<String>,
    pub times: Vec<f64>,
    /// Observed per-time means, `genes × T` row-major.
    pub means: Vec<f32>,
    /// The model's reconstruction, same layout.
    pub recon: Vec<f32>,
    pub latent_summary: String,
    pub latent_dim: usize,
    pub clusters: ClusterView,
    pub k_choice: Vec<KChoicePoint>,
    /// 2-D layout of every gene.
    pub umap: Vec<[f32; 2]>,
    pub timings: AnalysisTimings,
}

/// One gene of a similar-dynamics query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimilarGene {
    pub gene: String,
    /// Row of the gene in [`AnalysisView::genes`].
    pub index: usize,
    /// Euclidean distance in latent space.
    pub distance: f64,
    /// 1-based.
    pub cluster: usize,
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
    },
    /// Something the user should know that is not an error (e.g. genes left out).
    Notice {
        message: String,
    },
    /// Training began on this backend (e.g. "WebGPU" or "CPU"), with why when it fell back.
    Started {
        backend: String,
        note: Option<String>,
        /// The epochs already trained when a run goes on from saved weights (empty for a new
        /// run).
        #[serde(default)]
        history: Vec<EpochReport>,
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
    /// The finished analysis.
    Analysed(AnalysisView),
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
        backend: String,
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
                time_column: None,
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
            }),
            Request::Cancel,
            Request::Recluster { k: 4 },
            Request::Similar {
                gene: "IRF1".into(),
                n: 20,
            },
        ];
        for m in msgs {
            let s = serde_json::to_string(&m).unwrap();
            assert_eq!(serde_json::from_str::<Request>(&s).unwrap(), m);
        }
    }

    #[test]
    fn time_labels() {
        assert_eq!(time_label(24.0), "24");
        assert_eq!(time_label(0.5), "0.5");
        assert_eq!(time_label(-3.0), "-3");
    }

    #[test]
    fn compute_parses_url_values() {
        assert_eq!(Compute::parse("cpu"), Some(Compute::Cpu));
        assert_eq!(Compute::parse("WebGPU"), Some(Compute::WebGpu));
        assert_eq!(Compute::parse("tpu"), None);
    }

    #[test]
    fn latent_summaries_parse_their_labels_and_cli_values() {
        // The app's select sends labels back: each must parse to itself, not to a neighbour
        // whose label it starts like.
        for l in LatentSummary::ALL {
            assert_eq!(LatentSummary::parse(l.label()), Some(l), "{}", l.label());
        }
        for (arg, want) in [
            ("mean", LatentSummary::PosteriorMean),
            ("sequence", LatentSummary::Sequence),
            ("standardised", LatentSummary::StandardisedSequence),
            ("Standardized", LatentSummary::StandardisedSequence),
            ("sampled", LatentSummary::SampledZ),
        ] {
            assert_eq!(LatentSummary::parse(arg), Some(want), "{arg}");
        }
        assert_eq!(LatentSummary::parse("median"), None);
    }
}
