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

/// A clustering as shown: clusters numbered 1..=k everywhere (plots, tables, files). Everything
/// that depends on the clustering travels in it, so a new k updates every view at once.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClusterView {
    pub k: usize,
    /// 1-based cluster of each gene.
    pub labels: Vec<usize>,
    /// Per cluster (index 0 = cluster 1), the seeded sample of genes drawn in its panel.
    pub shown: Vec<Vec<usize>>,
    /// Each gene's soft membership in its own cluster (0 to 1).
    #[serde(default)]
    pub membership: Vec<f32>,
    /// Genes with `membership >= core_threshold` are their cluster's core.
    #[serde(default)]
    pub core_threshold: f64,
    /// Whether each gene is in its cluster's core, as the engine decided it (the files use the
    /// same flags; comparing the single-precision `membership` could differ at the boundary).
    #[serde(default)]
    pub core: Vec<bool>,
    /// Rows of the heatmap, top to bottom: cluster 1's genes first, each cluster's genes by
    /// the time of their peak (z-scored mean), ties by gene order.
    #[serde(default)]
    pub heatmap_order: Vec<usize>,
    #[serde(default)]
    pub stability: StabilityView,
    /// Present once the user has given gene sets.
    #[serde(default)]
    pub enrichment: Option<EnrichmentView>,
}

impl ClusterView {
    /// Whether gene `g` is in its cluster's membership core.
    pub fn is_core(&self, g: usize) -> bool {
        match self.core.get(g) {
            Some(&c) => c,
            None => self
                .membership
                .get(g)
                .is_none_or(|&m| f64::from(m) >= self.core_threshold),
        }
    }
}

/// How reproducible a clustering is: how often each gene lands with the other members of its
/// cluster when the clustering is done again (seeded k-means restarts, and the latents of
/// trainings with other seeds when asked for).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StabilityView {
    /// Seeded k-means restarts compared.
    pub restarts: usize,
    /// Extra trainings with other seeds compared.
    pub trainings: usize,
    /// Per gene, 0 to 1.
    pub confidence: Vec<f32>,
    /// Per cluster (index 0 = cluster 1): its members' mean confidence.
    pub clusters: Vec<f64>,
    /// Clusters below this are flagged as not reproducing.
    pub threshold: f64,
}

/// Enrichment of every cluster in the user's gene sets.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EnrichmentView {
    /// The gene-set file's name.
    pub source: String,
    /// Sets in the file, and how many were tested: those with at least
    /// `MIN_SET_SIZE` (2) genes among the analysed genes.
    pub sets: usize,
    pub sets_tested: usize,
    /// Distinct genes named in the file, and how many of them are among the analysed genes.
    pub genes_in_file: usize,
    pub genes_found: usize,
    /// Per cluster (index 0 = cluster 1), its most enriched terms, smallest p first.
    pub clusters: Vec<Vec<EnrichedTerm>>,
}

/// One gene set tested against one cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnrichedTerm {
    pub set: String,
    /// Genes of the set in the cluster.
    pub overlap: usize,
    /// Genes of the set among the analysed genes (the background).
    pub set_size: usize,
    /// (overlap / cluster size) / (set size / background size).
    pub fold: f64,
    /// Hypergeometric P(overlap or more).
    pub p: f64,
    /// Benjamini–Hochberg across the sets tested for this cluster.
    pub q: f64,
    /// The overlapping genes, in analysis order.
    pub genes: Vec<String>,
}

/// Seconds spent in each phase of the analysis after training.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AnalysisTimings {
    pub latent_s: f64,
    pub k_choice_s: f64,
    pub cluster_s: f64,
    pub umap_s: f64,
    /// The stability's k-means restarts (and the enrichment, when there are gene sets).
    #[serde(default)]
    pub stability_s: f64,
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
