//! A run as one file that opens again without the CSV: the per-time summary of the genes it
//! trained on, its settings and losses, the model's weights, and (once training has finished)
//! the whole analysis: latents, clustering, memberships, UMAP. The same file is a checkpoint
//! while training runs (no analysis yet), so a closed tab or a lost GPU costs only the epochs
//! since the last save. Gzip-compressed JSON behind a magic line, so that a dropped file is
//! recognised from its first bytes and a newer format is named, not misread. JSON rather than a
//! binary format because the floats round-trip exactly (serde_json's `float_roundtrip`) and the
//! file stays readable with `zcat`; gzip takes it to about a third.
//!
//! The schema is the engine's own ([`Session`]), not the page's messages or the export files:
//! each fact is stored once, and `run.json` is derived from it ([`Session::run_info`]).
//!
//! # Versions
//! - 1: the first format (settings as the page sent them, `run.json`'s record beside them,
//!   so epochs, seed, source and cell type were stored twice). Read through [`v1`] and
//!   migrated; `tests/fixtures/session-v1.vrnn` keeps one such file.
//! - 2: this schema, with the random generator named ([`Session::generator`]). Fields added
//!   to it since read with defaults: `settings.parts` (a missing one reads as the single pass
//!   those runs trained with, an old `settings.threads` as that many parts) and `threads`.
//!
//! # Weights
//! `weights` maps PyTorch `state_dict` names to `(shape, values)`, values row-major `f32`, in
//! the reference's layout, so weights move between the two implementations:
//! `enc1`, `enc2`, `enc_mean`, `enc_logvar`, `prior1`, `prior2`, `prior_mean`,
//! `prior_logvar`, `dec1`, `dec2` each have `NAME.weight` `[out, in]` and `NAME.bias` `[out]`;
//! the LSTM cell has `lstm.weight_ih` `[4h, x + z]`, `lstm.weight_hh` `[4h, h]`, `lstm.bias_ih`
//! and `lstm.bias_hh` `[4h]`, gates stacked `i, f, g, o` as `torch.nn.LSTMCell` does.

use std::io::Read;

use serde::{Deserialize, Serialize};
use vrnn_types::{files, Backend, SimilarGene, TrainSettings};

use crate::analysis::Analysis;
use crate::change::GeneStat;
use crate::export::{self, AnalysisInfo, DatasetInfo, ExportFile, RunInfo, Timings};
use crate::ingest::Dataset;
use crate::model::TorchTensors;
use crate::train::{test_size, EpochLosses};

/// The first bytes of every session file.
pub const MAGIC: &[u8] = b"VRNN-SESSION\n";
/// The format this build writes; it reads this one and every older one.
pub const VERSION: u32 = 2;
/// The file name extension the app offers.
pub const EXTENSION: &str = vrnn_types::files::SESSION_EXTENSION;

/// Where a run's data came from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Source {
    /// The name of the file the data came from.
    pub name: String,
    /// The cell type the data set was restricted to, if any.
    pub cell_type: Option<String>,
    /// Seconds it took to read.
    pub ingest_s: f64,
    /// The format, the counts rule and the time labels (default in older sessions).
    #[serde(default)]
    pub read: vrnn_types::ReadInfo,
}

/// Everything needed to show an analysis again, or to go on training.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub version: u32,
    /// The random generator the seed drives ([`vrnn_kernels::rng::GENERATOR`]): the same seed
    /// reproduces the run only with the same generator.
    pub generator: String,
    pub source: Source,
    /// What the run was asked for; `epochs` is the run's target.
    pub settings: TrainSettings,
    /// Where it last trained.
    pub backend: Backend,
    /// Training seconds over every stretch.
    pub train_s: f64,
    /// Threads that computed the batches' parts in the last stretch: what `train_s` was
    /// measured on (one in the browser, and in sessions from before it was recorded).
    #[serde(default = "export::one")]
    pub threads: usize,
    /// The genes the model trained on (after the gene selection), per time point.
    pub dataset: Dataset,
    /// One entry per epoch trained so far.
    pub history: Vec<EpochLosses>,
    /// The model's weights after the last epoch of `history` (layout in the module doc).
    pub weights: TorchTensors,
    /// The analysis of the trained model; `None` in a checkpoint taken while training ran.
    pub analysis: Option<Analysis>,
    /// Every gene of the data set as read, with its change test (`genes.csv`); empty in
    /// sessions saved before it existed.
    #[serde(default)]
    pub gene_stats: Vec<GeneStat>,
}

/// Why a file could not be opened as a session.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SessionError {
    #[error("this is not a session file of this app")]
    NotASession,
    #[error(
        "this session file has format version {0}, newer than this app reads ({VERSION}); open it with a newer version of the app"
    )]
    Newer(u32),
    #[error("the session file is damaged: {0}")]
    Damaged(String),
}

/// Whether a file starts like a session file.
pub fn is_session(start: &[u8]) -> bool {
    start.starts_with(MAGIC)
}

impl Session {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        source: Source,
        settings: TrainSettings,
        backend: Backend,
        train_s: f64,
        dataset: Dataset,
        history: Vec<EpochLosses>,
        weights: TorchTensors,
        analysis: Option<Analysis>,
    ) -> Session {
        Session {
            version: VERSION,
            generator: vrnn_kernels::rng::GENERATOR.into(),
            source,
            settings,
            backend,
            train_s,
            threads: 1,
            dataset,
            history,
            weights,
            analysis,
            gene_stats: Vec::new(),
        }
    }

    /// The same session, trained last on `threads` threads.
    pub fn with_threads(mut self, threads: usize) -> Session {
        self.threads = threads.max(1);
        self
    }

    /// The same session with its gene table.
    pub fn with_gene_stats(mut self, gene_stats: Vec<GeneStat>) -> Session {
        self.gene_stats = gene_stats;
        self
    }

    /// The file's bytes: the magic line, then the session as gzip-compressed JSON.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.to_bytes_with(flate2::Compression::default())
    }

    /// The same with the fastest compression, for checkpoints taken every few seconds.
    pub fn to_bytes_fast(&self) -> Vec<u8> {
        self.to_bytes_with(flate2::Compression::fast())
    }

    fn to_bytes_with(&self, level: flate2::Compression) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        let mut gz = flate2::write::GzEncoder::new(&mut out, level);
        // Writing into a Vec cannot fail, and every field serialises.
        let _ = serde_json::to_writer(&mut gz, self);
        let _ = gz.finish();
        out
    }

    /// Reads a session of this version or any older one (migrated).
    pub fn from_bytes(bytes: &[u8]) -> Result<Session, SessionError> {
        let body = bytes.strip_prefix(MAGIC).ok_or(SessionError::NotASession)?;
        let mut json = Vec::new();
        flate2::read::GzDecoder::new(body)
            .read_to_end(&mut json)
            .map_err(|e| SessionError::Damaged(e.to_string()))?;
        #[derive(Deserialize)]
        struct Version {
            version: u32,
        }
        let damaged = |e: serde_json::Error| SessionError::Damaged(e.to_string());
        let v: Version = serde_json::from_slice(&json).map_err(damaged)?;
        let mut session: Session = match v.version {
            1 => serde_json::from_slice::<v1::Session>(&json)
                .map_err(damaged)?
                .migrate(),
            VERSION => serde_json::from_slice(&json).map_err(damaged)?,
            n if n > VERSION => return Err(SessionError::Newer(n)),
            n => return Err(SessionError::Damaged(format!("unknown version {n}"))),
        };
        // Sessions saved before the stability existed get it now (no training needed).
        if let Some(a) = session.analysis.as_mut() {
            a.ensure_stability();
        }
        Ok(session)
    }

    /// Epochs trained so far.
    pub fn epochs_done(&self) -> usize {
        self.history.len()
    }

    /// Whether training stopped before the epochs it was asked for.
    pub fn is_checkpoint(&self) -> bool {
        self.analysis.is_none()
    }

    /// Clusters the analysis again into `k` clusters with membership cores at `core_threshold`;
    /// the settings follow, so a reopened session shows this clustering.
    pub fn recluster(&mut self, k: usize, core_threshold: f64) {
        if let Some(a) = self.analysis.as_mut() {
            a.set_core_threshold(core_threshold);
            if k != a.clustering.k {
                a.recluster(k);
            }
            self.settings.k = a.clustering.k;
        }
    }

    /// Any file of the run by name: the analysis's files ([`crate::export::analysis_file`]),
    /// `loss.csv`, `run.json`, and `similar_genes.csv` of the queries given. `None` when the
    /// run has no such file (yet).
    pub fn file(&self, name: &str, similar: &[(String, Vec<SimilarGene>)]) -> Option<ExportFile> {
        let contents = match name {
            files::LOSS_CSV => export::loss_csv(&self.history),
            files::RUN_JSON => self.run_info().to_json(),
            files::SIMILAR_GENES_CSV if !similar.is_empty() => export::similar_csv(similar),
            files::GENES_CSV if !self.gene_stats.is_empty() => export::genes_csv(&self.gene_stats),
            _ => return export::analysis_file(self.analysis.as_ref()?, name),
        };
        Some(ExportFile::new(name, contents))
    }

    /// `run.json`: every setting used, the data's shape, versions and timings.
    pub fn run_info(&self) -> RunInfo {
        let recipe = crate::preset::Recipe::for_settings(&self.settings);
        let config = recipe.train_config_for(&self.settings);
        let n = self.dataset.n_genes();
        let n_test = test_size(n, config.test_fraction);
        let log_factors = recipe
            .composition
            .then(|| crate::composition::log_factors(&self.dataset))
            .flatten();
        RunInfo {
            input: self.source.name.clone(),
            read: self.source.read.clone(),
            preset: self.settings.preset.label().to_lowercase(),
            backend: self.backend,
            config,
            dataset: DatasetInfo::of(&self.dataset, self.source.cell_type.as_deref())
                .with_composition(log_factors),
            n_train_genes: n - n_test,
            n_test_genes: n_test,
            gene_selection: export::GeneSelectionInfo {
                rule: self.settings.selection,
                top: self.settings.genes,
                fdr: self.settings.fdr,
                min_effect: vrnn_types::defaults::MIN_EFFECT,
            },
            stability_runs: self.settings.stability_runs,
            timings: Timings {
                ingest_s: self.source.ingest_s,
                train_s: self.train_s,
                seconds_per_epoch: self.train_s / self.epochs_done().max(1) as f64,
                threads: self.threads,
            },
            analysis: self.analysis.as_ref().map(AnalysisInfo::of),
            generator: self.generator.clone(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

/// Version 1 of the format, read only to be migrated.
mod v1 {
    use serde::Deserialize;
    use vrnn_types::{Backend, TrainSettings};

    use crate::analysis::Analysis;
    use crate::ingest::Dataset;
    use crate::model::TorchTensors;
    use crate::train::EpochLosses;

    #[derive(Deserialize)]
    pub struct Session {
        source: String,
        cell_type: Option<String>,
        dataset: Dataset,
        settings: TrainSettings,
        run: Run,
        history: Vec<EpochLosses>,
        weights: TorchTensors,
        analysis: Option<Analysis>,
    }

    /// The parts of version 1's `run.json` record that the settings did not hold.
    #[derive(Deserialize)]
    struct Run {
        backend: Backend,
        config: Config,
        timings: Timings,
    }

    #[derive(Deserialize)]
    struct Config {
        epochs: usize,
        batch_size: usize,
        lr: f64,
        beta: f64,
        #[serde(default)]
        threads: Option<usize>,
    }

    #[derive(Deserialize)]
    struct Timings {
        ingest_s: f64,
        train_s: f64,
    }

    impl Session {
        /// Version 1 kept the target epochs, beta, learning rate and threads in the run's
        /// training configuration; they move into the settings, stated only where they differ
        /// from the preset's.
        pub fn migrate(self) -> super::Session {
            let mut settings = self.settings;
            let c = self.run.config;
            let preset = crate::preset::Recipe::of(settings.preset);
            settings.epochs = c.epochs;
            settings.batch_size = Some(c.batch_size);
            settings.lr = (c.lr != preset.lr).then_some(c.lr);
            settings.beta = (c.beta != preset.beta).then_some(c.beta);
            settings.parts = c.threads.unwrap_or(1).max(1);
            super::Session::new(
                super::Source {
                    name: self.source,
                    cell_type: self.cell_type,
                    ingest_s: self.run.timings.ingest_s,
                    read: Default::default(),
                },
                settings,
                self.run.backend,
                self.run.timings.train_s,
                self.dataset,
                self.history,
                self.weights,
                self.analysis,
            )
        }
    }
}
