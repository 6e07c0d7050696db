//! A finished analysis as one file that opens again without the CSV: the data set's per-time
//! summary, the run's settings and losses, and the whole analysis (latents, clustering,
//! memberships, UMAP). Gzip-compressed JSON behind a magic line, so that a dropped file is
//! recognised from its first bytes and a newer format is named, not misread.

use std::io::Read;

use serde::{Deserialize, Serialize};

use crate::analysis::Analysis;
use crate::export::RunInfo;
use crate::ingest::Dataset;
use crate::train::EpochLosses;

/// The first bytes of every session file.
pub const MAGIC: &[u8] = b"VRNN-SESSION\n";
/// The format this build writes and reads.
pub const VERSION: u32 = 1;
/// The file name extension the app offers.
pub const EXTENSION: &str = "vrnn";

/// Everything needed to show an analysis again.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub version: u32,
    /// The name of the file the data came from.
    pub source: String,
    /// The cell type the data set was restricted to, if any.
    pub cell_type: Option<String>,
    pub dataset: Dataset,
    pub run: RunInfo,
    pub history: Vec<EpochLosses>,
    pub analysis: Analysis,
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
        let mut out = MAGIC.to_vec();
        let mut gz = flate2::write::GzEncoder::new(&mut out, flate2::Compression::default());
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
