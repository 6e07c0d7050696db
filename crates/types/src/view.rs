//! The analysis as the page draws it: what the engine's analysis hands to every front.

use serde::{Deserialize, Serialize};

/// The shape of a data set as read: what the page's summary and `run.json` both report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DatasetShape {
    pub n_cells: u64,
    pub n_genes: usize,
    pub time_column: String,
    pub metadata_columns: Vec<String>,
    pub times: Vec<f64>,
    pub cells_per_time: Vec<u64>,
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
