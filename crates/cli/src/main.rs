//! `vrnn-clustering`: the command-line front of the engine, for scripted and large runs.
//! It makes the same engine calls as the browser worker; results go to files, progress to
//! standard error.

use std::fs::{self, File};
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand, ValueEnum};
use vrnn_engine::backend::{self, Backend};
use vrnn_engine::export;
use vrnn_engine::latent::LatentSummary;
use vrnn_engine::{analyse, read_csv, AnalysisConfig, IngestOptions, TrainConfig, Trainer};

#[derive(Parser)]
#[command(
    name = "vrnn-clustering",
    version,
    about = "Cluster genes by their expression dynamics with a VRNN"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum BackendArg {
    Cpu,
    Wgpu,
}

#[derive(Clone, Copy, ValueEnum)]
enum LatentArg {
    /// Posterior mean averaged over time (deterministic).
    Mean,
    /// Sampled z averaged over time, as the reference.
    Sampled,
}

/// Genes of interest of the seed study, queried for similar dynamics when present.
const DEFAULT_GENES_OF_INTEREST: [&str; 3] = ["IRF1", "CXCL9", "CXCL10"];

#[derive(Subcommand)]
enum Command {
    /// Read a cells × genes CSV, train the VRNN and write the results into a folder.
    Run {
        #[arg(long)]
        input: PathBuf,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 2000)]
        epochs: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        #[arg(long, default_value_t = 400)]
        batch_size: usize,
        #[arg(long, default_value_t = 1e-6)]
        beta: f64,
        #[arg(long, default_value_t = 1e-4)]
        lr: f64,
        /// Column holding the time of each cell (default: detected).
        #[arg(long)]
        time_column: Option<String>,
        #[arg(long, value_enum, default_value_t = BackendArg::Cpu)]
        backend: BackendArg,
        /// Number of clusters.
        #[arg(long, default_value_t = 6)]
        k: usize,
        /// Latent summary that is clustered and embedded.
        #[arg(long, value_enum, default_value_t = LatentArg::Mean)]
        latent: LatentArg,
        /// Genes whose nearest genes in latent space go to similar_genes.csv (repeatable;
        /// default: IRF1, CXCL9 and CXCL10 where present).
        #[arg(long = "similar-to")]
        similar_to: Vec<String>,
        /// How many similar genes per query.
        #[arg(long, default_value_t = 20)]
        similar_n: usize,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn write_file(dir: &Path, name: &str, contents: &str) -> Result<(), String> {
    let path = dir.join(name);
    File::create(&path)
        .and_then(|mut f| f.write_all(contents.as_bytes()))
        .map_err(|e| format!("{}: {e}", path.display()))
}

fn run(command: Command) -> Result<(), String> {
    let Command::Run {
        input,
        out,
        epochs,
        seed,
        batch_size,
        beta,
        lr,
        time_column,
        backend: backend_arg,
        k,
        latent,
        similar_to,
        similar_n,
    } = command;
    if k < 1 {
        return Err("--k must be at least 1".into());
    }
    let t0 = Instant::now();
    let file = File::open(&input).map_err(|e| format!("{}: {e}", input.display()))?;
    let opts = IngestOptions { time_column };
    let dataset =
        read_csv(BufReader::new(file), &opts).map_err(|e| format!("{}: {e}", input.display()))?;
    let ingest_s = t0.elapsed().as_secs_f64();
    eprintln!(
        "read {}: {} cells, {} genes, time column \"{}\" with values {:?}",
        input.display(),
        dataset.n_cells,
        dataset.n_genes(),
        dataset.time_column,
        dataset.times
    );
    fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    write_file(&out, "means.csv", &export::means_csv(&dataset))?;

    let (device, used) = match backend_arg {
        BackendArg::Cpu => (backend::cpu_device(), Backend::Cpu),
        BackendArg::Wgpu => (
            backend::wgpu_device().map_err(|e| format!("wgpu backend: {e}"))?,
            Backend::Wgpu,
        ),
    };
    let config = TrainConfig::new()
        .with_epochs(epochs)
        .with_seed(seed)
        .with_batch_size(batch_size)
        .with_beta(beta)
        .with_lr(lr);
    let t1 = Instant::now();
    let mut trainer = Trainer::new(
        config.clone(),
        &dataset.means,
        dataset.n_genes(),
        dataset.n_times(),
        &backend::training_device(device, seed),
    );
    let mut history = Vec::with_capacity(epochs);
    while !trainer.is_done() {
        let e = pollster::block_on(trainer.epoch());
        eprintln!(
            "epoch {}/{}: train {:.6} test {:.6} ({:.3} s/epoch)",
            e.epoch,
            epochs,
            e.train,
            e.test,
            t1.elapsed().as_secs_f64() / e.epoch as f64
        );
        history.push(e);
    }
    let train_s = t1.elapsed().as_secs_f64();
    write_file(&out, "loss.csv", &export::loss_csv(&history))?;

    if k > dataset.n_genes() {
        return Err(format!(
            "--k {k} asks for more clusters than the {} genes of {}",
            dataset.n_genes(),
            input.display()
        ));
    }
    let (model, inference_device) = trainer.inference_model();
    let analysis_config = AnalysisConfig::seeded(seed)
        .with_k(k)
        .with_latent(match latent {
            LatentArg::Mean => LatentSummary::PosteriorMean,
            LatentArg::Sampled => LatentSummary::SampledZ,
        });
    let clock = Instant::now();
    let now = move || clock.elapsed().as_secs_f64();
    let mut last_label = String::new();
    let analysis = pollster::block_on(analyse(
        &model,
        &inference_device,
        &dataset,
        analysis_config,
        &now,
        |p| {
            // One line per phase, not per UMAP chunk.
            let phase = p.label.split(':').next().unwrap_or_default().to_string();
            if phase != last_label {
                eprintln!("{}", p.label);
                last_label = phase;
            }
            std::future::ready(true)
        },
    ))
    .map_err(|e| e.to_string())?;
    for name in export::analysis_file_names(&analysis) {
        if let Some(f) = export::analysis_file(&analysis, &name) {
            write_file(&out, &f.name, &f.contents)?;
        }
    }
    let queries: Vec<String> = if similar_to.is_empty() {
        DEFAULT_GENES_OF_INTEREST
            .iter()
            .filter(|g| analysis.gene_index(g).is_some())
            .map(|g| g.to_string())
            .collect()
    } else {
        similar_to
    };
    let mut similar = Vec::new();
    for q in queries {
        let genes = analysis
            .similar_named(&q, similar_n)
            .map_err(|e| format!("--similar-to: {e}"))?;
        similar.push((q, genes));
    }
    if !similar.is_empty() {
        write_file(&out, "similar_genes.csv", &export::similar_csv(&similar))?;
    }
    let run = export::RunInfo {
        input: input.display().to_string(),
        preset: "reference".into(),
        backend: used.label().into(),
        config,
        dataset: export::DatasetInfo::of(&dataset),
        n_train_genes: trainer.n_train(),
        n_test_genes: trainer.n_test(),
        timings: export::Timings {
            ingest_s,
            train_s,
            seconds_per_epoch: train_s / epochs.max(1) as f64,
        },
        analysis: Some(export::AnalysisInfo::of(&analysis)),
        version: env!("CARGO_PKG_VERSION").into(),
    };
    write_file(&out, "run.json", &run.to_json())?;
    let t = &analysis.timings;
    eprintln!(
        "clusters: {:?} genes; latent summary {:.2} s, k choice {:.2} s, clustering {:.2} s, UMAP {:.2} s",
        analysis.clustering.sizes(),
        t.latent_s,
        t.k_choice_s,
        t.cluster_s,
        t.umap_s
    );
    eprintln!("wrote the results to {}", out.display());
    Ok(())
}
