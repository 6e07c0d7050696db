//! The files a run produces, in the formats of interfaces.md. The browser and the CLI both
//! write them from here, so a download and a CLI output never differ.

use serde::{Deserialize, Serialize};

use vrnn_protocol::time_label;

use crate::ingest::Dataset;
use crate::train::{EpochLosses, TrainConfig};

/// Quotes a CSV field when it needs it (gene names may contain commas or quotes).
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// `gene,<t1>,<t2>,...`: the per-time mean matrix with the real time values.
pub fn means_csv(d: &Dataset) -> String {
    let mut s = String::from("gene");
    for &t in &d.times {
        s.push(',');
        s.push_str(&time_label(t));
    }
    s.push('\n');
    for (g, name) in d.genes.iter().enumerate() {
        s.push_str(&field(name));
        for v in d.gene_means(g) {
            s.push(',');
            s.push_str(&v.to_string());
        }
        s.push('\n');
    }
    s
}

/// `epoch,train_loss,test_loss`.
pub fn loss_csv(history: &[EpochLosses]) -> String {
    let mut s = String::from("epoch,train_loss,test_loss\n");
    for e in history {
        s.push_str(&format!("{},{},{}\n", e.epoch, e.train, e.test));
    }
    s
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DatasetInfo {
    pub n_cells: u64,
    pub n_genes: usize,
    pub time_column: String,
    pub metadata_columns: Vec<String>,
    pub times: Vec<f64>,
    pub cells_per_time: Vec<u64>,
}

impl DatasetInfo {
    pub fn of(d: &Dataset) -> Self {
        Self {
            n_cells: d.n_cells,
            n_genes: d.n_genes(),
            time_column: d.time_column.clone(),
            metadata_columns: d.metadata_columns.clone(),
            times: d.times.clone(),
            cells_per_time: d.cells_per_time.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Timings {
    pub ingest_s: f64,
    pub train_s: f64,
    pub seconds_per_epoch: f64,
}

/// `run.json`: every setting used, the data's shape, versions and timings.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunInfo {
    pub input: String,
    pub preset: String,
    pub backend: String,
    pub config: TrainConfig,
    pub dataset: DatasetInfo,
    pub n_train_genes: usize,
    pub n_test_genes: usize,
    pub timings: Timings,
    pub version: String,
}

impl RunInfo {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("plain data serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn means_csv_uses_real_times_and_quotes_names() {
        let d = Dataset {
            time_column: "Time".into(),
            metadata_columns: vec![],
            times: vec![0.0, 3.0, 0.5],
            genes: vec!["IRF1".into(), "A,B".into()],
            n_cells: 6,
            cells_per_time: vec![2, 2, 2],
            means: vec![1.0, 2.0, 3.0, 4.0, 5.5, 6.0],
            std_errors: vec![0.0; 6],
        };
        assert_eq!(means_csv(&d), "gene,0,3,0.5\nIRF1,1,2,3\n\"A,B\",4,5.5,6\n");
    }

    #[test]
    fn loss_csv_has_the_contract_header() {
        let h = [EpochLosses {
            epoch: 1,
            train: 0.5,
            test: 0.25,
        }];
        assert_eq!(loss_csv(&h), "epoch,train_loss,test_loss\n1,0.5,0.25\n");
    }
}
