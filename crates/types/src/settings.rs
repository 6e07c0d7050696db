//! What a run is asked for: the preset, the compute backend, the latent summary and the
//! settings of one training run.

use serde::{Deserialize, Serialize};

use crate::defaults;

/// Where a run trains. Serialised as its label (`"CPU"`, `"WebGPU"`), as `run.json` has always
/// written it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Backend {
    #[serde(rename = "CPU")]
    Cpu,
    #[serde(rename = "WebGPU")]
    WebGpu,
}

impl Backend {
    pub fn label(self) -> &'static str {
        match self {
            Backend::Cpu => "CPU",
            Backend::WebGpu => "WebGPU",
        }
    }

    /// The compute as the page and `Auto`'s reason name it: "CPU, 2 workers" when training
    /// helpers share the batches (0: the analysis worker alone, and always on WebGPU).
    pub fn with_workers(self, workers: usize) -> String {
        match (self, workers) {
            (Backend::Cpu, 1) => "CPU, 1 worker".into(),
            (Backend::Cpu, n) if n > 1 => format!("CPU, {n} workers"),
            (b, _) => b.label().into(),
        }
    }
}

/// Which compute backend the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Compute {
    /// The faster of WebGPU on a hardware adapter and the CPU with its training helpers, as
    /// timed on this machine (never a software adapter); the CPU where there is no WebGPU.
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

/// What represents a gene in latent space (spec section 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum LatentSummary {
    /// The posterior mean `mu_q` averaged over time: deterministic (this project's default).
    #[default]
    PosteriorMean,
    /// A sampled `z_t` averaged over time, as the reference does (noisy; seeded here).
    SampledZ,
    /// The posterior means of every time step, concatenated: keeps the order in time that an
    /// average throws away.
    Sequence,
    /// [`LatentSummary::Sequence`] with each coordinate divided by its posterior standard
    /// deviation: a coordinate the model is sure of counts more than one it barely knows, as
    /// the input's signal-to-noise damping does for time points (the Dynamics preset's choice).
    StandardisedSequence,
}

impl LatentSummary {
    pub const ALL: [LatentSummary; 4] = [
        LatentSummary::PosteriorMean,
        LatentSummary::Sequence,
        LatentSummary::StandardisedSequence,
        LatentSummary::SampledZ,
    ];

    pub fn label(self) -> &'static str {
        match self {
            LatentSummary::PosteriorMean => "Posterior mean",
            LatentSummary::Sequence => "Posterior mean per time",
            LatentSummary::StandardisedSequence => "Standardised posterior mean per time",
            LatentSummary::SampledZ => "Sampled z (reference)",
        }
    }

    /// Parses a label or a CLI value (`mean`, `sequence`, `standardised`, `sampled`),
    /// case-insensitively.
    pub fn parse(s: &str) -> Option<LatentSummary> {
        let s = s.to_ascii_lowercase();
        if s.starts_with("standardi") {
            Some(LatentSummary::StandardisedSequence)
        } else if s == "posterior mean per time" || s == "sequence" {
            Some(LatentSummary::Sequence)
        } else if s.starts_with("posterior") || s == "mean" {
            Some(LatentSummary::PosteriorMean)
        } else if s.starts_with("sampled") {
            Some(LatentSummary::SampledZ)
        } else {
            None
        }
    }
}

/// A complete recipe: what the model trains on, the model, and what is clustered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Preset {
    /// Clusters by the shape of the response (this project's design; the default).
    #[default]
    Dynamics,
    /// The published pipeline, exactly.
    Reference,
}

impl Preset {
    pub const ALL: [Preset; 2] = [Preset::Dynamics, Preset::Reference];

    pub fn label(self) -> &'static str {
        match self {
            Preset::Dynamics => "Dynamics",
            Preset::Reference => "Reference",
        }
    }

    /// One sentence for the page.
    pub fn description(self) -> &'static str {
        match self {
            Preset::Dynamics => "Dynamics: a shift that normalisation puts on every gene alike is undone, each gene is scaled to its own range and damped where its changes are within noise, the model must encode every time point, and genes are clustered on the whole latent path, each coordinate weighed by the model's certainty, so clusters follow the shape of the response rather than expression level.",
            Preset::Reference => "Reference: the published pipeline exactly (raw means, unit-variance likelihood, latent averaged over time); its clusters mostly follow expression level.",
        }
    }

    /// Epochs a run of this preset needs by default. Dynamics: 150, measured against 300 and
    /// 600 in docs/dynamics.md (longer training fits the noise of each gene's means: with 50
    /// cells per time point or 10,000 genes it clustered worse).
    pub fn default_epochs(self) -> usize {
        match self {
            Preset::Dynamics => 150,
            Preset::Reference => 2000,
        }
    }

    /// How a run of this preset chooses its genes by default. Dynamics: the genes that change
    /// over time, which on the simulator keep every planted responder that fits while the most
    /// variable keep a quarter of flat genes (docs/dynamics.md). Reference: the variance, as
    /// the published pipeline.
    pub fn default_selection(self) -> GeneSelection {
        match self {
            Preset::Dynamics => GeneSelection::Change,
            Preset::Reference => GeneSelection::Variance,
        }
    }

    pub fn parse(s: &str) -> Option<Preset> {
        match s.to_ascii_lowercase().as_str() {
            "dynamics" => Some(Preset::Dynamics),
            "reference" => Some(Preset::Reference),
            _ => None,
        }
    }
}

/// How a run chooses the genes it trains on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum GeneSelection {
    /// The genes with the largest variance over all cells (the reference's rule): mostly
    /// highly expressed genes, whether or not they change over time.
    #[default]
    Variance,
    /// Genes whose mean differs across time points (a one-way F-test per gene, q below the
    /// FDR, effect above [`defaults::MIN_EFFECT`]), strongest effect first.
    Change,
}

impl GeneSelection {
    pub const ALL: [GeneSelection; 2] = [GeneSelection::Variance, GeneSelection::Change];

    pub fn label(self) -> &'static str {
        match self {
            GeneSelection::Variance => "Most variable",
            GeneSelection::Change => "Changing over time",
        }
    }

    /// Parses a label or a CLI value (`variance`, `change`), case-insensitively.
    pub fn parse(s: &str) -> Option<GeneSelection> {
        match s.trim().to_ascii_lowercase().as_str() {
            "variance" | "most variable" | "variable" => Some(GeneSelection::Variance),
            "change" | "changing over time" | "changing" => Some(GeneSelection::Change),
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
    /// Clusters of the analysis that follows training.
    pub k: usize,
    pub preset: Preset,
    /// Overrides the preset's latent summary.
    pub latent: Option<LatentSummary>,
    /// Train on the N most variable genes (None: every gene). The page always sends its
    /// `Genes` field, which starts at [`defaults::gene_count`] of the data set.
    pub genes: Option<usize>,
    /// Genes of interest kept even when they are not among the most variable.
    pub keep: Vec<String>,
    /// Genes per training step (None: the reference's 400). Larger batches take fewer, bigger
    /// steps: faster per epoch, above all on a GPU, and a different optimisation.
    #[serde(default)]
    pub batch_size: Option<usize>,
    /// Overrides the preset's KL weight (the CLI's `--beta`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beta: Option<f64>,
    /// Overrides the preset's learning rate (the CLI's `--lr`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lr: Option<f64>,
    /// Parts each training batch is split into ([`defaults::PARTS`]): the run's numbers
    /// depend on this, never on how many threads or workers compute the parts. Sessions saved
    /// before it existed split a batch into as many parts as their `threads`, or none (what a
    /// missing field reads as: one part), so they go on training as they began.
    #[serde(default = "one_part", alias = "threads")]
    pub parts: usize,
    /// How the genes are chosen (by default the preset's; sessions saved before this existed
    /// used the variance, which is what a missing field reads as).
    #[serde(default)]
    pub selection: GeneSelection,
    /// The false-discovery rate of [`GeneSelection::Change`].
    #[serde(default = "default_fdr")]
    pub fdr: f64,
    /// Extra trainings with other seeds whose clusterings measure stability (0: only k-means
    /// restarts, which need no training).
    #[serde(default)]
    pub stability_runs: usize,
}

fn default_fdr() -> f64 {
    defaults::FDR
}

fn one_part() -> usize {
    1
}

impl Default for TrainSettings {
    /// What a new page and a bare `vrnn-clustering run` start from.
    fn default() -> Self {
        let preset = Preset::default();
        TrainSettings {
            epochs: preset.default_epochs(),
            seed: defaults::SEED,
            compute: Compute::default(),
            k: defaults::K,
            preset,
            latent: None,
            genes: None,
            keep: defaults::GENES_OF_INTEREST.map(String::from).to_vec(),
            batch_size: None,
            beta: None,
            lr: None,
            parts: defaults::PARTS,
            selection: preset.default_selection(),
            fdr: defaults::FDR,
            stability_runs: 0,
        }
    }
}

impl TrainSettings {
    /// Genes per training step.
    pub fn batch_size(&self) -> usize {
        self.batch_size.unwrap_or(defaults::BATCH_SIZE).max(1)
    }

    /// Parts per training batch, at least one.
    pub fn parts(&self) -> usize {
        self.parts.max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backends_are_named_with_their_helpers() {
        assert_eq!(Backend::Cpu.with_workers(0), "CPU");
        assert_eq!(Backend::Cpu.with_workers(1), "CPU, 1 worker");
        assert_eq!(Backend::Cpu.with_workers(4), "CPU, 4 workers");
        assert_eq!(Backend::WebGpu.with_workers(4), "WebGPU");
    }

    #[test]
    fn compute_parses_url_values() {
        assert_eq!(Compute::parse("cpu"), Some(Compute::Cpu));
        assert_eq!(Compute::parse("WebGPU"), Some(Compute::WebGpu));
        assert_eq!(Compute::parse("tpu"), None);
    }

    #[test]
    fn backends_serialise_as_run_json_has_always_written_them() {
        assert_eq!(
            serde_json::to_string(&Backend::WebGpu).unwrap(),
            "\"WebGPU\""
        );
        assert_eq!(
            serde_json::from_str::<Backend>("\"CPU\"").unwrap(),
            Backend::Cpu
        );
    }

    #[test]
    fn settings_of_version_1_sessions_still_read() {
        // As the first session files wrote them: no beta, lr or threads.
        let v1 = r#"{"epochs":3,"seed":42,"compute":"Cpu","k":6,"preset":"Dynamics","latent":null,"genes":null,"keep":["IRF1"],"batch_size":400}"#;
        let s: TrainSettings = serde_json::from_str(v1).unwrap();
        assert_eq!(s.batch_size(), 400);
        assert_eq!((s.beta, s.lr, s.parts), (None, None, 1));
    }

    #[test]
    fn settings_that_split_batches_over_threads_keep_their_parts() {
        // Before `parts`, a CLI run on 4 threads split each batch into 4 parts.
        let old = r#"{"epochs":3,"seed":42,"compute":"Cpu","k":6,"preset":"Dynamics","latent":null,"genes":null,"keep":[],"batch_size":400,"threads":4}"#;
        let s: TrainSettings = serde_json::from_str(old).unwrap();
        assert_eq!(s.parts, 4);
        let new = serde_json::to_string(&TrainSettings::default()).unwrap();
        assert!(
            new.contains(&format!("\"parts\":{}", defaults::PARTS)),
            "{new}"
        );
    }

    #[test]
    fn latent_summaries_parse_their_labels_and_cli_values() {
        // The app's select sends labels back: each must parse to itself, not to a neighbour
        // whose label it starts like.
        for l in LatentSummary::ALL {
            assert_eq!(LatentSummary::parse(l.label()), Some(l), "{}", l.label());
        }
        for (arg, want) in [
            ("mean", LatentSummary::PosteriorMean),
            ("sequence", LatentSummary::Sequence),
            ("standardised", LatentSummary::StandardisedSequence),
            ("Standardized", LatentSummary::StandardisedSequence),
            ("sampled", LatentSummary::SampledZ),
        ] {
            assert_eq!(LatentSummary::parse(arg), Some(want), "{arg}");
        }
        assert_eq!(LatentSummary::parse("median"), None);
    }
}
