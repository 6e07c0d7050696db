//! The VRNN gene-clustering engine: everything that computes, nothing that knows about the
//! browser. The web worker and the command-line tool are thin fronts over these calls.

pub mod analysis;
pub mod backend;
pub mod chacha;
pub mod cluster;
pub mod composition;
pub mod embed;
pub mod evaluate;
pub mod export;
pub mod kernels;
pub mod latent;
pub mod matmul;
pub mod model;
pub mod preset;
pub mod session;
pub mod simulate;
pub mod train;

pub use analysis::{analyse, Analysis, AnalysisConfig, AnalysisError};
pub use burn;
pub use ingest::{read_table, Dataset, IngestError, IngestOptions};
pub use model::{Vrnn, VrnnConfig};
pub use train::{EpochLosses, TrainConfig, Trainer};
/// The streaming reader lives in its own crate (no burn) so it can be fuzzed quickly.
pub use vrnn_ingest as ingest;
