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
    }

    pub fn shape_set(&self) -> ShapeSet {
        match self.shapes {
            ShapesArg::Ifn => ShapeSet::Ifn,
            ShapesArg::Alternative => ShapeSet::Alternative,
        }
    }
}
