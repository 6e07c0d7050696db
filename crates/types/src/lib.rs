//! The vocabulary the engine, the worker, the page and the command line share: presets and
//! settings with their defaults, the names of the files a run writes, and the analysis as it is
//! shown. Owned by the engine (it produces these values) but kept free of burn, so the page's
//! WebAssembly build and the wire protocol can use them without compiling any tensor code.
//!
//! One place for each default and each name: the page's initial settings, the CLI's
//! `default_value`s and the worker's fallbacks all read [`defaults`], and every export is named
//! from [`files`].

pub mod defaults;
pub mod files;
mod input;
mod measured;
mod settings;
mod view;

pub use input::{InputFormat, Normalization, Normalize, ReadInfo, TimeValue};
pub use measured::{seconds, MeasuredSpeeds};
pub use settings::{Backend, Compute, GeneSelection, LatentSummary, Preset, TrainSettings};
pub use view::{
    AnalysisTimings, AnalysisView, ClusterView, DatasetShape, EnrichedTerm, EnrichmentView,
    KChoicePoint, SimilarGene, StabilityView,
};

/// Formats a time value as users write it: `0`, `3`, `24`, `0.5` (no spurious `.0`). Shared by
/// the page, the worker and the exports so every view labels times identically.
pub fn time_label(t: f64) -> String {
    if t.fract() == 0.0 && t.abs() < 1e15 {
        format!("{}", t as i64)
    } else {
        format!("{t}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_labels() {
        assert_eq!(time_label(24.0), "24");
        assert_eq!(time_label(0.5), "0.5");
        assert_eq!(time_label(-3.0), "-3");
    }
}
