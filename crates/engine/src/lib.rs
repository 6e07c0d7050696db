//! The VRNN gene-clustering engine: everything that computes, nothing that knows about the
//! browser. The web worker and the command-line tool are thin fronts over [`run`], the one
//! pipeline. Its stages, each a folder:
//!
//! - [`recipe`]: what a preset trains on (scaling, the compositional correction);
//! - [`model`]: the VRNN and its loss, and [`parts`], a batch's parts for training helpers;
//! - [`train`]: the training loop and the devices;
//! - [`cpu`]: fused kernels for burn's CPU backend, with their own backward passes;
//! - [`analysis`]: the latent summary, k-means, the k-choice curve and UMAP;
//! - [`io`]: the exported files and the session file;
//! - [`simulation`]: simulated data with planted modules, and the evaluation against them.
//!
//! Data come in through [`ingest`] (its own crate, no burn); the names, defaults and views
//! every front shares are in `vrnn-types`.

pub mod analysis;
pub mod io;
pub mod recipe;
pub mod run;
pub mod simulation;
pub mod train;

// The modules by their own names, wherever their folder: the paths the fronts use.
pub use analysis::{change, cluster, embed, enrich, latent, stability};
pub use io::{export, session};
pub use recipe::{composition, preset};
pub use simulation::{evaluate, simulate};
pub use train::backend;
/// The model, its CPU kernels and one part's gradients live in their own crate (no wgpu), which
/// the browser's training helpers are built from alone.
pub use vrnn_model::{cpu, model, parts};

pub use analysis::{analyse, Analysis, AnalysisConfig, AnalysisError};
pub use burn;
pub use ingest::{read_table, Dataset, IngestError, IngestOptions};
pub use model::{Vrnn, VrnnConfig};
pub use run::{CoordinatorTimes, Hooks, Run, RunError, Trained};
pub use session::{Session, Source};
pub use train::{EpochLosses, TrainConfig, Trainer};
/// The streaming reader lives in its own crate (no burn) so it can be fuzzed quickly.
pub use vrnn_ingest as ingest;
