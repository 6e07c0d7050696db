//! What `run` and `open` share: the device, CPU threads, and writing a session's result files.

use std::fs::{self, File};
use std::io::Write;
use std::path::Path;

use vrnn_engine::backend::{self, Backend};
use vrnn_engine::burn::tensor::Device;
use vrnn_engine::run::Hooks;
use vrnn_engine::{EpochLosses, Run, Session};
use vrnn_types::{files, SimilarGene};

use crate::args::BackendArg;

pub fn write_file(dir: &Path, name: &str, contents: &[u8]) -> Result<(), String> {
    let path = dir.join(name);
    File::create(&path)
        .and_then(|mut f| f.write_all(contents))
        .map_err(|e| format!("{}: {e}", path.display()))
}

pub fn create_dir(dir: &Path) -> Result<(), String> {
    fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))
}

/// Every result file of a session: the analysis's files, `means.csv`, `loss.csv`, `run.json`,
/// `similar_genes.csv` of the queries given, and the session itself.
pub fn write_results(
    dir: &Path,
    session: &Session,
    similar: &[(String, Vec<SimilarGene>)],
) -> Result<(), String> {
    let mut names = vec![
        files::LOSS_CSV.to_string(),
        files::RUN_JSON.to_string(),
        files::GENES_CSV.to_string(),
    ];
    if let Some(a) = &session.analysis {
        names.extend(vrnn_engine::export::analysis_file_names(a));
    }
    if !similar.is_empty() {
        names.push(files::SIMILAR_GENES_CSV.into());
    }
    for name in names {
        if let Some(f) = session.file(&name, similar) {
            write_file(dir, &f.name, f.contents.as_bytes())?;
        }
    }
    write_file(dir, files::SESSION, &session.to_bytes())
}

pub fn device_for(arg: BackendArg) -> Result<(Device, Backend), String> {
    Ok(match arg {
        BackendArg::Cpu => (backend::cpu_device(), Backend::Cpu),
        BackendArg::Wgpu => (
            backend::wgpu_device().map_err(|e| format!("wgpu backend: {e}"))?,
            Backend::WebGpu,
        ),
    })
}

/// The number of CPU threads: `--threads`, else `RAYON_NUM_THREADS`, else every core. Sizes
/// rayon's pool (burn's CPU backend, k-means) to match.
pub fn cpu_threads(arg: Option<usize>) -> Result<usize, String> {
    let env = std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let n = arg.or(env).unwrap_or(cores);
    if n < 1 {
        return Err("--threads must be at least 1".into());
    }
    // Fails only if the pool was built already, which nothing here does first.
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build_global();
    Ok(n)
}

/// Prints a line per epoch to standard error.
pub struct EpochLines;

impl Hooks for EpochLines {
    async fn after_epoch(&mut self, run: &Run, e: EpochLosses) {
        eprintln!(
            "epoch {}/{}: train {:.6} test {:.6} ({:.3} s/epoch)",
            e.epoch,
            run.settings.epochs,
            e.train,
            e.test,
            run.train_seconds() / e.epoch.max(1) as f64
        );
    }
}

/// Trains `run` to the end, then analyses it, printing one line per phase.
pub fn train_and_analyse(run: &mut Run) -> Result<(), String> {
    pollster::block_on(run.train(&mut EpochLines));
    let mut last_phase = String::new();
    pollster::block_on(run.analyse(|p| {
        // One line per phase, not per UMAP chunk.
        let phase = p.label.split(':').next().unwrap_or_default().to_string();
        if phase != last_phase {
            eprintln!("{}", p.label);
            last_phase = phase;
        }
        std::future::ready(true)
    }))
    .map_err(|e| e.to_string())?;
    if run.settings.stability_runs > 0 {
        let mut last = String::new();
        pollster::block_on(run.train_replicates(|p| {
            // One line per extra training, not per batch.
            let training = p.label.split(", epoch").next().unwrap_or_default();
            if training != last {
                eprintln!("{training}");
                last = training.to_string();
            }
            std::future::ready(true)
        }))
        .map_err(|e| e.to_string())?;
        if let Some(a) = &run.analysis {
            eprintln!(
                "stability over {} k-means restarts and {} trainings: {:?}",
                a.stability.restarts,
                a.stability.trainings,
                a.stability
                    .clusters
                    .iter()
                    .map(|c| (c * 1000.0).round() / 1000.0)
                    .collect::<Vec<_>>()
            );
        }
    }
    Ok(())
}
