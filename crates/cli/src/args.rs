//! Argument types more than one subcommand takes.

use clap::ValueEnum;
use vrnn_engine::latent::LatentSummary;
use vrnn_engine::preset::Preset;
use vrnn_engine::simulate::{ShapeSet, SimulationConfig};

#[derive(Clone, Copy, ValueEnum)]
pub enum BackendArg {
    Cpu,
    Wgpu,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum LatentArg {
    /// Posterior mean averaged over time (deterministic).
    Mean,
    /// Posterior means of every time step, concatenated.
    Sequence,
    /// The same, each divided by its posterior standard deviation (the Dynamics preset's
    /// default).
    Standardised,
    /// Sampled z averaged over time, as the reference.
    Sampled,
}

impl LatentArg {
    pub fn summary(self) -> LatentSummary {
        match self {
            LatentArg::Mean => LatentSummary::PosteriorMean,
            LatentArg::Sequence => LatentSummary::Sequence,
            LatentArg::Standardised => LatentSummary::StandardisedSequence,
            LatentArg::Sampled => LatentSummary::SampledZ,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub enum SelectArg {
    /// The most variable genes (variance over all cells).
    Variance,
    /// Genes whose mean changes over time (F-test, q below --fdr), strongest first.
    Change,
}

impl SelectArg {
    pub fn selection(self) -> vrnn_types::GeneSelection {
        match self {
            SelectArg::Variance => vrnn_types::GeneSelection::Variance,
            SelectArg::Change => vrnn_types::GeneSelection::Change,
        }
    }
}

/// What follows the clustering: membership cores and enrichment (`run` and `open`).
#[derive(clap::Args, Clone)]
pub struct AfterArgs {
    /// Membership core: genes whose soft membership in their cluster is at least this are its
    /// core (clusters.csv's `core` column, clusters_core.gmt). Default: 0.5 for `run`, the
    /// session's own for `open`.
    #[arg(long)]
    pub core_threshold: Option<f64>,
    /// A GMT file (or a two-column gene,set table): each cluster is tested for enrichment in
    /// its sets against the analysed genes (enrichment.csv).
    #[arg(long)]
    pub gene_sets: Option<std::path::PathBuf>,
}

impl AfterArgs {
    /// Checks the options and reads the gene sets, before any training.
    pub fn read(&self) -> Result<Option<vrnn_engine::enrich::GeneSets>, String> {
        if let Some(a) = self.core_threshold.filter(|a| !(0.0..=1.0).contains(a)) {
            return Err(format!("--core-threshold {a}: must be between 0 and 1"));
        }
        let Some(path) = &self.gene_sets else {
            return Ok(None);
        };
        let name = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| format!("--gene-sets {name}: {e}"))?;
        vrnn_engine::enrich::GeneSets::parse(&name, &bytes)
            .map(Some)
            .map_err(|e| format!("--gene-sets: {e}"))
    }

    /// Applies the cores and the gene sets to an analysed session.
    pub fn apply(
        &self,
        session: &mut vrnn_engine::Session,
        sets: Option<vrnn_engine::enrich::GeneSets>,
    ) {
        if let Some(a) = session.analysis.as_mut() {
            if let Some(alpha) = self.core_threshold {
                a.set_core_threshold(alpha);
            }
            if sets.is_some() {
                a.set_gene_sets(sets);
            }
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub enum PresetArg {
    /// Clusters by the shape of the response (default).
    Dynamics,
    /// The published pipeline, exactly.
    Reference,
}

impl PresetArg {
    pub fn preset(self) -> Preset {
        match self {
            PresetArg::Dynamics => Preset::Dynamics,
            PresetArg::Reference => Preset::Reference,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ShapesArg {
    /// IFN-gamma-like modules (the default simulation).
    Ifn,
    /// Other module shapes, to check a method was not tuned to the default.
    Alternative,
}

/// Options shared by `simulate` and `evaluate`.
#[derive(clap::Args, Clone)]
pub struct SimArgs {
    #[arg(long, default_value_t = 2000)]
    pub genes: usize,
    #[arg(long, default_value_t = 300)]
    pub cells_per_time: usize,
    /// Time points in hours, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "0,3,6,12,24")]
    pub times: Vec<f64>,
    #[arg(long, value_enum, default_value_t = ShapesArg::Ifn)]
    pub shapes: ShapesArg,
    /// Scales every response's log-fold amplitude (smaller is harder).
    #[arg(long, default_value_t = 1.0)]
    pub amplitude: f64,
    /// Scales the counts per cell (smaller is sparser and noisier).
    #[arg(long, default_value_t = 1.0)]
    pub depth: f64,
    /// Bulk instead of single cells: a genes × samples table with this many replicate
    /// samples per time point (`6h_rep1`, ...; 1 gives one sample per time, `6h`).
    #[arg(long, default_value_t = 0)]
    pub replicates: usize,
}

impl SimArgs {
    pub fn config(&self, seed: u64) -> SimulationConfig {
        SimulationConfig::new()
            .with_genes(self.genes)
            .with_cells_per_time(self.cells_per_time)
            .with_times(self.times.clone())
            .with_seed(seed)
            .with_shapes(self.shape_set())
            .with_amplitude(self.amplitude)
            .with_depth(self.depth)
            .with_replicates(self.replicates)
    }

    pub fn shape_set(&self) -> ShapeSet {
        match self.shapes {
            ShapesArg::Ifn => ShapeSet::Ifn,
            ShapesArg::Alternative => ShapeSet::Alternative,
        }
    }
}
