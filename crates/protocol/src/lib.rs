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

/// The settings of one training run, as chosen on the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainSettings {
    pub epochs: usize,
    pub seed: u64,
    pub compute: Compute,
}

/// Page → worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Request {
    /// Parse the `File` sent alongside this message.
    Load {
        file_name: String,
        time_column: Option<String>,
    },
    /// Train on the last dataset that loaded.
    Train(TrainSettings),
    /// Stop the current run between two batches.
    Cancel,
}

/// What was read from a file, for the page's summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetSummary {
    pub file_name: String,
    pub n_cells: u64,
    pub n_genes: usize,
    pub time_column: String,
    pub metadata_columns: Vec<String>,
    pub times: Vec<f64>,
    pub cells_per_time: Vec<u64>,
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
    Loaded(DatasetSummary),
    /// The file could not be used; the message names the line and column.
    LoadFailed {
        file_name: String,
        message: String,
    },
    /// Training began on this backend (e.g. "WebGPU" or "CPU"), with why when it fell back.
    Started {
        backend: String,
        note: Option<String>,
    },
    Epoch(EpochReport),
    Finished {
        epochs: usize,
        seconds: f64,
    },
    Cancelled {
        epochs: usize,
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
            }),
            Request::Cancel,
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
}
