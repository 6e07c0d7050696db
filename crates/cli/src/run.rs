//! `run`: read a table, train, analyse, and write every result file and the session.

use std::path::PathBuf;

use vrnn_engine::run::native_clock;
use vrnn_engine::{export, Run, RunError, Source};
use vrnn_types::{defaults, files, Backend, Compute, TrainSettings};

use crate::args::{AfterArgs, BackendArg, LatentArg, PresetArg, SelectArg};
use crate::input::InputArgs;
use crate::output::{self, create_dir, write_file};

#[derive(clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    input: InputArgs,
    #[arg(long)]
    out: PathBuf,
    /// Training epochs (default: the preset's, 2000 for reference as the spec's pipeline,
    /// 150 for dynamics, which clusters worse when trained much longer).
    #[arg(long)]
    epochs: Option<usize>,
    #[arg(long, default_value_t = defaults::SEED)]
    seed: u64,
    #[arg(long, default_value_t = defaults::BATCH_SIZE)]
    batch_size: usize,
    /// KL weight (default: the preset's, 1e-6 for reference).
    #[arg(long)]
    beta: Option<f64>,
    /// Learning rate (default: the preset's, 1e-4 for reference).
    #[arg(long)]
    lr: Option<f64>,
    #[arg(long, value_enum, default_value_t = PresetArg::Dynamics)]
    preset: PresetArg,
    /// Keep only the cells of this type (from a column such as Cell_Type; see `inspect`).
    #[arg(long)]
    cell_type: Option<String>,
    #[arg(long, value_enum, default_value_t = BackendArg::Cpu)]
    backend: BackendArg,
    /// Number of clusters.
    #[arg(long, default_value_t = defaults::K)]
    k: usize,
    /// Keep at most N genes, the first N by --select; genes of interest (IRF1, CXCL9, CXCL10
    /// and --similar-to) are kept too. Default: all genes the rule keeps.
    #[arg(long)]
    genes: Option<usize>,
    /// How genes are chosen: the most variable, or those that change over time (default: the
    /// preset's, change for dynamics and variance for reference).
    #[arg(long, value_enum)]
    select: Option<SelectArg>,
    /// False-discovery rate of --select change.
    #[arg(long, default_value_t = defaults::FDR)]
    fdr: f64,
    /// Train this many more models with the next seeds and measure how stable the clusters
    /// are over them (stability.csv; k-means restarts are always compared).
    #[arg(long, default_value_t = 0)]
    stability_runs: usize,
    #[command(flatten)]
    after: AfterArgs,
    /// Latent summary that is clustered and embedded (default: the preset's).
    #[arg(long, value_enum)]
    latent: Option<LatentArg>,
    /// Genes whose nearest genes in latent space go to similar_genes.csv (repeatable;
    /// default: IRF1, CXCL9 and CXCL10 where present).
    #[arg(long = "similar-to")]
    similar_to: Vec<String>,
    /// How many similar genes per query.
    #[arg(long, default_value_t = defaults::SIMILAR_N)]
    similar_n: usize,
    /// CPU threads (default: RAYON_NUM_THREADS if set, else every core): how many of the
    /// batch's parts are computed at once. The speed only: the results are the same for any
    /// number.
    #[arg(long)]
    threads: Option<usize>,
    /// Parts each training batch is split into (run.json's `config.parts`). The results
    /// depend on this, and are reproducible for a given value. CPU only: a wgpu run trains
    /// each batch in one part, since on a GPU parts only add dispatches.
    #[arg(long, default_value_t = defaults::PARTS)]
    parts: usize,
}

impl RunArgs {
    /// The settings of this run, as the page would send them.
    fn settings(&self, backend: Backend) -> TrainSettings {
        let preset = self.preset.preset();
        TrainSettings {
            epochs: self.epochs.unwrap_or(preset.default_epochs()),
            seed: self.seed,
            compute: match backend {
                Backend::Cpu => Compute::Cpu,
                Backend::WebGpu => Compute::WebGpu,
            },
            k: self.k,
            preset,
            latent: self.latent.map(LatentArg::summary),
            genes: self.genes,
            keep: defaults::GENES_OF_INTEREST
                .iter()
                .map(|g| g.to_string())
                .chain(self.similar_to.iter().cloned())
                .collect(),
            batch_size: Some(self.batch_size),
            beta: self.beta,
            lr: self.lr,
            parts: self.parts,
            selection: self
                .select
                .map_or(preset.default_selection(), SelectArg::selection),
            fdr: self.fdr,
            stability_runs: self.stability_runs,
        }
    }
}

pub fn run(args: RunArgs) -> Result<(), String> {
    let threads = output::cpu_threads(args.threads)?;
    if args.k < 1 {
        return Err("--k must be at least 1".into());
    }
    if args.parts < 1 {
        return Err("--parts must be at least 1".into());
    }
    if !(args.fdr > 0.0 && args.fdr <= 1.0) {
        return Err(format!("--fdr {}: must be above 0 and at most 1", args.fdr));
    }
    let gene_sets = args.after.read()?;
    let opts = args.input.options(args.cell_type.clone())?;
    let read = args.input.read(&opts)?;
    let input = read.name.clone();
    let dataset = read
        .tally
        .dataset(args.cell_type.as_deref())
        .map_err(|e| format!("{input}: {e}"))?;
    let info = read.tally.read_info();
    let source = Source {
        name: input.clone(),
        cell_type: args.cell_type.clone(),
        ingest_s: read.seconds,
        read: info.clone(),
    };
    eprintln!(
        "read {input}: {}; {} {}, {} genes, times from {} with values {:?}; {}",
        info.format.describe(),
        dataset.n_cells,
        info.format.unit(),
        dataset.n_genes(),
        info.time_source,
        dataset.times,
        info.normalization.rule
    );
    for n in &info.notices {
        eprintln!("notice: {n}");
    }
    let (device, backend) = output::device_for(args.backend)?;
    let settings = args.settings(backend);
    let (mut run, notice) = Run::new(&dataset, source, settings, device, backend, native_clock)
        .map_err(|e| match e {
            RunError::TooFewGenes { .. } => format!("--k {}: {e} (in {input})", args.k),
            e => e.to_string(),
        })?;
    if let Some(n) = notice {
        eprintln!("{n}");
    }
    if backend == Backend::Cpu {
        run.set_threads(threads);
    } else if args.parts != 1 {
        eprintln!(
            "wgpu: each batch is trained in one part (--parts {} spreads a batch over CPU cores; on a GPU it would only add dispatches)",
            args.parts
        );
    }
    create_dir(&args.out)?;
    write_file(
        &args.out,
        files::MEANS_CSV,
        export::means_csv(&run.dataset).as_bytes(),
    )?;
    output::train_and_analyse(&mut run)?;
    let mut session = pollster::block_on(run.session());
    args.after.apply(&mut session, gene_sets);
    let analysis = session.analysis.as_ref().expect("analysed above");
    let queries: Vec<String> = if args.similar_to.is_empty() {
        defaults::GENES_OF_INTEREST
            .iter()
            .filter(|g| analysis.gene_index(g).is_some())
            .map(|g| g.to_string())
            .collect()
    } else {
        args.similar_to.clone()
    };
    let mut similar = Vec::new();
    for q in queries {
        let genes = analysis
            .similar_named(&q, args.similar_n)
            .map_err(|e| format!("--similar-to: {e}"))?;
        similar.push((q, genes));
    }
    output::write_results(&args.out, &session, &similar)?;
    let t = &analysis.timings;
    eprintln!(
        "clusters: {:?} genes; latent summary {:.2} s, k choice {:.2} s, clustering {:.2} s, UMAP {:.2} s, stability {:.2} s",
        analysis.clustering.sizes(),
        t.latent_s,
        t.k_choice_s,
        t.cluster_s,
        t.umap_s,
        t.stability_s
    );
    eprintln!("wrote the results to {}", args.out.display());
    Ok(())
}
