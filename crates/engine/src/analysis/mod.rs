//! One analysis per run (spec section 7, first defect): the latent summary, its clustering, the
//! k-choice curve and the UMAP are computed once and every plot, table and export reads this
//! one [`Analysis`], so they can never disagree. The worker and the CLI both run [`analyse`].

pub mod change;
pub mod cluster;
pub mod embed;
pub mod enrich;
pub mod latent;
pub mod stability;

use std::future::Future;

use burn::config::Config;
use burn::tensor::Device;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use vrnn_kernels::rng::Rng as ChaChaRng;
use vrnn_types::{
    defaults, AnalysisView, ClusterView, EnrichmentView, KChoicePoint, SimilarGene, StabilityView,
};

use crate::cluster::{k_choice, DistanceMatrix, KChoice, KMeans, KMeansConfig, Points};
use crate::embed::{Umap, UmapConfig};
use crate::enrich::{enrichment, GeneSets};
use crate::ingest::Dataset;
use crate::latent::{summarise, LatentSummary, Latents};
use crate::model::Vrnn;
use crate::preset::Prepared;
use crate::stability::{stability, Stability};

#[derive(Config, Debug, PartialEq)]
pub struct AnalysisConfig {
    /// Number of clusters.
    #[config(default = 6)]
    pub k: usize,
    #[config(default = "LatentSummary::PosteriorMean")]
    pub latent: LatentSummary,
    /// Range of k for the k-choice curve.
    #[config(default = 2)]
    pub k_min: usize,
    #[config(default = 12)]
    pub k_max: usize,
    #[config(default = "KMeansConfig::new()")]
    pub kmeans: KMeansConfig,
    #[config(default = "UmapConfig::new()")]
    pub umap: UmapConfig,
    /// Silhouettes use at most this many genes (a seeded sample beyond).
    #[config(default = 2000)]
    pub silhouette_sample: usize,
    /// Genes drawn per cluster in the trajectory panels.
    #[config(default = 10)]
    pub trajectories_per_cluster: usize,
    #[config(default = 42)]
    pub seed: u64,
}

impl AnalysisConfig {
    /// The defaults with every random choice (sampled z, k-means starts, UMAP) seeded by `seed`.
    pub fn seeded(seed: u64) -> Self {
        AnalysisConfig::new()
            .with_seed(seed)
            .with_kmeans(KMeansConfig::new().with_seed(seed))
            .with_umap(UmapConfig::new().with_seed(seed))
    }
}

#[derive(Debug, Error, Clone, PartialEq)]
pub enum AnalysisError {
    #[error("the analysis was cancelled")]
    Cancelled,
    #[error("training diverged: the latent summary of gene \"{gene}\" is not a finite number; try a smaller learning rate")]
    NotFinite { gene: String },
    #[error("no gene named \"{0}\" in this data set")]
    UnknownGene(String),
}

pub use vrnn_types::AnalysisTimings;

/// Where a running analysis is, for progress displays.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub label: String,
    /// 0 to 1 over the whole analysis.
    pub fraction: f64,
}

/// Everything computed after training.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    pub genes: Vec<String>,
    pub times: Vec<f64>,
    /// Observed per-time means, `genes × T`.
    pub means: Vec<f32>,
    pub latents: Latents,
    pub clustering: KMeans,
    /// `genes × k`, rows sum to 1.
    pub memberships: Vec<f64>,
    pub k_choice: Vec<KChoice>,
    pub umap: Vec<[f32; 2]>,
    /// Per cluster, the genes drawn for its trajectory panel.
    pub shown: Vec<Vec<usize>>,
    pub timings: AnalysisTimings,
    pub config: AnalysisConfig,
    /// Membership core: genes whose soft membership in their cluster is at least this.
    #[serde(default = "default_core_threshold")]
    pub core_threshold: f64,
    /// The latent summaries of the extra trainings (other seeds) that stability compares.
    #[serde(default)]
    pub replicates: Vec<Vec<f32>>,
    #[serde(default)]
    pub stability: Stability,
    /// The user's gene sets, kept so that every new clustering is tested again.
    #[serde(default)]
    pub gene_sets: Option<GeneSets>,
    #[serde(default)]
    pub enrichment: Option<EnrichmentView>,
}

fn default_core_threshold() -> f64 {
    defaults::CORE_THRESHOLD
}

/// Runs the whole analysis of a trained model. `progress` is awaited between steps (the worker
/// yields to its event loop there); returning `false` cancels. `now` is a clock in seconds,
/// since `std::time::Instant` does not exist in a browser.
pub async fn analyse<F, Fut>(
    model: &Vrnn,
    device: &Device,
    dataset: &Dataset,
    inputs: &Prepared,
    config: AnalysisConfig,
    now: &dyn Fn() -> f64,
    mut progress: F,
) -> Result<Analysis, AnalysisError>
where
    F: FnMut(Progress) -> Fut,
    Fut: Future<Output = bool>,
{
    let mut step = |label: String, fraction: f64| {
        progress(Progress {
            label,
            fraction: fraction.clamp(0.0, 1.0),
        })
    };
    if !step("Computing the latent summary".into(), 0.0).await {
        return Err(AnalysisError::Cancelled);
    }
    let mut timings = AnalysisTimings::default();
    let t = now();
    let mut latents = summarise(
        model,
        &inputs.values,
        dataset.n_genes(),
        dataset.n_times(),
        config.latent,
        config.seed,
        device,
    )
    .await;
    latents.recon = inputs.unscale(&latents.recon);
    timings.latent_s = now() - t;
    if let Some(bad) = latents
        .values
        .chunks(latents.dim.max(1))
        .position(|r| r.iter().any(|v| !v.is_finite()))
    {
        return Err(AnalysisError::NotFinite {
            gene: dataset.genes[bad].clone(),
        });
    }
    let points = Points::new(&latents.values, latents.dim);

    // The k-choice curve: 40 % of the progress bar, one step per k.
    let t = now();
    let distances = DistanceMatrix::new(points, config.silhouette_sample, config.seed);
    let ks: Vec<usize> = (config.k_min..=config.k_max).collect();
    let mut curve = Vec::new();
    for (i, &k) in ks.iter().enumerate() {
        let label = format!("Clustering: k = {k} ({} of {})", i + 1, ks.len());
        if !step(label, 0.05 + 0.35 * i as f64 / ks.len() as f64).await {
            return Err(AnalysisError::Cancelled);
        }
        curve.extend(k_choice(points, k..=k, &config.kmeans, &distances, |_| {}));
    }
    timings.k_choice_s = now() - t;

    let t = now();
    let clustering = KMeans::fit(points, config.k, &config.kmeans);
    let memberships = clustering.memberships(points);
    timings.cluster_s = now() - t;

    let t = now();
    let mut umap = Umap::new(points, &config.umap);
    while !umap.is_done() {
        let label = format!("UMAP: epoch {} of {}", umap.epochs_done(), umap.n_epochs());
        let f = 0.4 + 0.6 * umap.epochs_done() as f64 / umap.n_epochs().max(1) as f64;
        if !step(label, f).await {
            return Err(AnalysisError::Cancelled);
        }
        umap.run(25);
    }
    timings.umap_s = now() - t;
    if !step("Stability: k-means restarts".into(), 1.0).await {
        return Err(AnalysisError::Cancelled);
    }

    let mut analysis = Analysis {
        genes: dataset.genes.clone(),
        times: dataset.times.clone(),
        means: dataset.means.clone(),
        latents,
        clustering,
        memberships,
        k_choice: curve,
        umap: umap.embedding(),
        shown: Vec::new(),
        timings,
        config,
        core_threshold: defaults::CORE_THRESHOLD,
        replicates: Vec::new(),
        stability: Stability::default(),
        gene_sets: None,
        enrichment: None,
    };
    let t = now();
    analysis.refresh();
    analysis.timings.stability_s = now() - t;
    Ok(analysis)
}

impl Analysis {
    pub fn n_genes(&self) -> usize {
        self.genes.len()
    }

    pub fn n_times(&self) -> usize {
        self.times.len()
    }

    fn points(&self) -> Points<'_> {
        Points::new(&self.latents.values, self.latents.dim)
    }

    /// Clusters again with another k, keeping the latents and the UMAP: no retraining.
    pub fn recluster(&mut self, k: usize) {
        let clustering = KMeans::fit(self.points(), k, &self.config.kmeans);
        self.memberships = clustering.memberships(self.points());
        self.clustering = clustering;
        self.config.k = self.clustering.k;
        self.refresh();
    }

    /// Everything that follows from the clustering: the genes drawn, the stability and the
    /// enrichment.
    fn refresh(&mut self) {
        self.shown = self.draw_shown();
        self.measure_stability();
        self.test_enrichment();
    }

    fn measure_stability(&mut self) {
        self.stability = stability(
            self.points(),
            &self.clustering,
            &self.config.kmeans,
            defaults::STABILITY_RESTARTS,
            &self.replicates,
        );
    }

    fn test_enrichment(&mut self) {
        self.enrichment = self
            .gene_sets
            .as_ref()
            .map(|s| enrichment(s, &self.genes, &self.clustering.labels, self.clustering.k));
    }

    /// Measures the stability of an analysis saved before it was measured (older sessions).
    pub fn ensure_stability(&mut self) {
        if self.stability.confidence.len() != self.n_genes() {
            self.measure_stability();
        }
    }

    /// Sets the membership-core threshold (clamped to 0..=1).
    pub fn set_core_threshold(&mut self, alpha: f64) {
        if alpha.is_finite() {
            self.core_threshold = alpha.clamp(0.0, 1.0);
        }
    }

    /// Tests every cluster for enrichment in `sets` from now on (`None`: no enrichment).
    pub fn set_gene_sets(&mut self, sets: Option<GeneSets>) {
        self.gene_sets = sets;
        self.test_enrichment();
    }

    /// Adds the latent summaries of trainings with other seeds to the stability.
    pub fn set_replicates(&mut self, replicates: Vec<Vec<f32>>) {
        self.replicates = replicates;
        self.refresh();
    }

    /// Each gene's soft membership in its own cluster.
    pub fn own_membership(&self) -> Vec<f64> {
        let k = self.clustering.k;
        self.clustering
            .labels
            .iter()
            .enumerate()
            .map(|(g, &c)| self.memberships[g * k + c])
            .collect()
    }

    /// Whether each gene is in its cluster's membership core.
    pub fn cores(&self) -> Vec<bool> {
        self.own_membership()
            .iter()
            .map(|&m| m >= self.core_threshold)
            .collect()
    }

    /// Heatmap rows: clusters in order, within each the genes by the time point of their
    /// largest mean (their peak once z-scored), ties by gene order.
    pub fn heatmap_order(&self) -> Vec<usize> {
        let t = self.n_times();
        let peak = |g: usize| {
            let row = &self.means[g * t..(g + 1) * t];
            (0..t).fold(0, |best, i| if row[i] > row[best] { i } else { best })
        };
        let mut order: Vec<usize> = (0..self.n_genes()).collect();
        order.sort_by_key(|&g| (self.clustering.labels[g], peak(g), g));
        order
    }

    /// A seeded draw of up to `trajectories_per_cluster` genes of each cluster, in gene order.
    fn draw_shown(&self) -> Vec<Vec<usize>> {
        let mut rng = ChaChaRng::seed_from_u64(self.config.seed);
        let mut members = vec![Vec::new(); self.clustering.k];
        for (g, &c) in self.clustering.labels.iter().enumerate() {
            members[c].push(g);
        }
        members
            .into_iter()
            .map(|m| {
                let n = self.config.trajectories_per_cluster.min(m.len());
                let mut picked: Vec<usize> = rand::seq::index::sample(&mut rng, m.len(), n)
                    .into_iter()
                    .map(|i| m[i])
                    .collect();
                picked.sort_unstable();
                picked
            })
            .collect()
    }

    /// Exact name first, then case-insensitive.
    pub fn gene_index(&self, name: &str) -> Option<usize> {
        self.genes.iter().position(|g| g == name).or_else(|| {
            self.genes
                .iter()
                .position(|g| g.eq_ignore_ascii_case(name.trim()))
        })
    }

    /// The `n` genes nearest to `gene` in latent space (Euclidean), nearest first, ties by
    /// gene order; the gene itself is left out.
    pub fn similar(&self, gene: usize, n: usize) -> Vec<(usize, f64)> {
        let points = self.points();
        let q = points.row(gene);
        let mut all: Vec<(f64, usize)> = (0..points.len())
            .filter(|&j| j != gene)
            .map(|j| (crate::cluster::dist2(q, points.row(j)).sqrt(), j))
            .collect();
        let n = n.min(all.len());
        let cmp = |a: &(f64, usize), b: &(f64, usize)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
        if n > 0 && n < all.len() {
            all.select_nth_unstable_by(n - 1, cmp);
        }
        all.truncate(n);
        all.sort_by(cmp);
        all.into_iter().map(|(d, j)| (j, d)).collect()
    }

    /// [`Analysis::similar`] by name, for the page and the CLI.
    pub fn similar_named(&self, name: &str, n: usize) -> Result<Vec<SimilarGene>, AnalysisError> {
        let g = self
            .gene_index(name)
            .ok_or_else(|| AnalysisError::UnknownGene(name.to_string()))?;
        Ok(self
            .similar(g, n)
            .into_iter()
            .map(|(j, d)| SimilarGene {
                gene: self.genes[j].clone(),
                index: j,
                distance: d,
                cluster: self.clustering.labels[j] + 1,
            })
            .collect())
    }

    /// The clustering as the page shows it (1-based clusters).
    pub fn cluster_view(&self) -> ClusterView {
        ClusterView {
            k: self.clustering.k,
            labels: self.clustering.labels.iter().map(|&l| l + 1).collect(),
            shown: self.shown.clone(),
            membership: self.own_membership().iter().map(|&m| m as f32).collect(),
            core_threshold: self.core_threshold,
            core: self.cores(),
            heatmap_order: self.heatmap_order(),
            stability: StabilityView {
                restarts: self.stability.restarts,
                trainings: self.stability.trainings,
                confidence: self
                    .stability
                    .confidence
                    .iter()
                    .map(|&c| c as f32)
                    .collect(),
                clusters: self.stability.clusters.clone(),
                threshold: defaults::STABLE_CLUSTER,
            },
            enrichment: self.enrichment.as_ref().map(|e| EnrichmentView {
                clusters: e
                    .clusters
                    .iter()
                    .map(|terms| {
                        terms
                            .iter()
                            .take(defaults::ENRICHMENT_SHOWN)
                            .cloned()
                            .collect()
                    })
                    .collect(),
                ..e.clone()
            }),
        }
    }

    /// Everything the page draws; no latents (it never needs them).
    pub fn view(&self) -> AnalysisView {
        AnalysisView {
            genes: self.genes.clone(),
            times: self.times.clone(),
            means: self.means.clone(),
            recon: self.latents.recon.clone(),
            latent_summary: self.latents.kind.label().into(),
            latent_dim: self.latents.dim,
            clusters: self.cluster_view(),
            k_choice: self
                .k_choice
                .iter()
                .map(|c| KChoicePoint {
                    k: c.k,
                    inertia: c.inertia,
                    silhouette: c.silhouette,
                })
                .collect(),
            umap: self.umap.clone(),
            timings: self.timings.clone(),
        }
    }
}

#[cfg(test)]
mod tests;
