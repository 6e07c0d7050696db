//! A run as one file that opens again without the CSV: the per-time summary of the genes it
//! trained on, its settings and losses, the model's weights, and (once training has finished)
//! the whole analysis: latents, clustering, memberships, UMAP. The same file is a checkpoint
//! while training runs (no analysis yet), so a closed tab or a lost GPU costs only the epochs
//! since the last save. Gzip-compressed JSON behind a magic line, so that a dropped file is
//! recognised from its first bytes and a newer format is named, not misread. JSON rather than a
//! binary format because the floats round-trip exactly (serde_json's `float_roundtrip`) and the
//! file stays readable with `zcat`; gzip takes it to about a third.

use std::io::Read;

use serde::{Deserialize, Serialize};

use crate::analysis::Analysis;
use crate::export::RunInfo;
use crate::ingest::Dataset;
use crate::model::TorchTensors;
use crate::preset;
use crate::train::{EpochLosses, Trainer};
use burn::tensor::Device;
use vrnn_protocol::TrainSettings;

/// The first bytes of every session file.
pub const MAGIC: &[u8] = b"VRNN-SESSION\n";
/// The format this build writes and reads.
pub const VERSION: u32 = 1;
/// The file name extension the app offers.
pub const EXTENSION: &str = "vrnn";

/// Everything needed to show an analysis again, or to go on training.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub version: u32,
    /// The name of the file the data came from.
    pub source: String,
    /// The cell type the data set was restricted to, if any.
    pub cell_type: Option<String>,
    /// The genes the model trained on (after the gene selection), per time point.
    pub dataset: Dataset,
    /// What the run was asked for (preset, epochs, seed, k, ...).
    pub settings: TrainSettings,
    /// Its settings and timings as `run.json` reports them.
    pub run: RunInfo,
    /// One entry per epoch trained so far.
    pub history: Vec<EpochLosses>,
    /// The model's weights after the last epoch of `history`, in PyTorch's layout.
    pub weights: TorchTensors,
    /// The analysis of the trained model; `None` in a checkpoint taken while training ran.
    pub analysis: Option<Analysis>,
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
        let v: Version =
            serde_json::from_slice(&json).map_err(|e| SessionError::Damaged(e.to_string()))?;
        if v.version > VERSION {
            return Err(SessionError::Newer(v.version));
        }
        serde_json::from_slice(&json).map_err(|e| SessionError::Damaged(e.to_string()))
    }
}

impl Session {
    /// Epochs trained so far.
    pub fn epochs_done(&self) -> usize {
        self.history.len()
    }

    /// Whether training stopped before the epochs it was asked for.
    pub fn is_checkpoint(&self) -> bool {
        self.analysis.is_none()
    }

    /// The analysis settings the run asked for.
    pub fn analysis_config(&self) -> crate::AnalysisConfig {
        analysis_config(&self.settings, self.dataset.n_genes())
    }

    /// A trainer that goes on from this session's weights up to `epochs` in all (at least the
    /// epochs already done), on `device` (an autodiff device), with the preset's inputs.
    pub fn resume(
        &self,
        epochs: usize,
        device: &Device,
    ) -> Result<(Trainer, preset::Prepared), String> {
        let config = self
            .run
            .config
            .clone()
            .with_epochs(epochs.max(self.epochs_done()));
        let inputs = preset::prepare(&self.dataset, self.settings.preset);
        let mut trainer = Trainer::new(
            config,
            &inputs.values,
            self.dataset.n_genes(),
            self.dataset.n_times(),
            device,
        );
        if let Some(w) = &inputs.inverse_variance {
            trainer = trainer.with_inverse_variance(w);
        }
        let trainer = trainer.resume(&self.weights, self.epochs_done())?;
        Ok((trainer, inputs))
    }
}

/// The analysis a run's settings ask for, on `n_genes` genes.
pub fn analysis_config(settings: &TrainSettings, n_genes: usize) -> crate::AnalysisConfig {
    let k = settings.k.clamp(1, n_genes.max(1));
    let mut config = preset::analysis_config(settings.preset, settings.seed, k);
    if let Some(l) = settings.latent {
        config.latent = l;
    }
    config
}
