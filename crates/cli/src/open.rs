//! `open`: a session file's results, written again without the CSV; a checkpoint (or a higher
//! `--epochs`) trains on first.

use std::fs;
use std::path::PathBuf;

use vrnn_engine::run::native_clock;
use vrnn_engine::{Run, Session};
use vrnn_types::Backend;

use crate::args::{AfterArgs, BackendArg};
use crate::output;

#[derive(clap::Args)]
pub struct OpenArgs {
    #[arg(long)]
    session: PathBuf,
    #[arg(long)]
    out: PathBuf,
    /// Train on to this many epochs in all (default: the epochs the run asked for).
    #[arg(long)]
    epochs: Option<usize>,
    #[arg(long, value_enum, default_value_t = BackendArg::Cpu)]
    backend: BackendArg,
    /// CPU threads for training on (default: RAYON_NUM_THREADS if set, else every core): the
    /// speed only, as in `run`.
    #[arg(long)]
    threads: Option<usize>,
    #[command(flatten)]
    after: AfterArgs,
}

pub fn open(args: OpenArgs) -> Result<(), String> {
    let threads = output::cpu_threads(args.threads)?;
    let gene_sets = args.after.read()?;
    let path = args.session.display().to_string();
    let bytes = fs::read(&args.session).map_err(|e| format!("{path}: {e}"))?;
    let mut s = Session::from_bytes(&bytes).map_err(|e| format!("{path}: {e}"))?;
    output::create_dir(&args.out)?;
    let target = args
        .epochs
        .unwrap_or(s.settings.epochs)
        .max(s.epochs_done());
    if s.analysis.is_none() || target > s.epochs_done() {
        eprintln!(
            "going on training from epoch {} to {target}",
            s.epochs_done()
        );
        let (device, backend) = output::device_for(args.backend)?;
        let mut run = Run::resume(s, target, device, backend, native_clock)
            .map_err(|e| format!("{path}: {e}"))?;
        if backend == Backend::Cpu {
            run.set_threads(threads);
        }
        output::train_and_analyse(&mut run)?;
        s = pollster::block_on(run.session());
    }
    args.after.apply(&mut s, gene_sets);
    output::write_results(&args.out, &s, &[])?;
    let analysis = s.analysis.as_ref().expect("analysed above when missing");
    eprintln!(
        "opened {path} ({} genes, {} clusters, {} epochs) and wrote its results to {}",
        analysis.genes.len(),
        analysis.clustering.sizes().len(),
        s.history.len(),
        args.out.display()
    );
    Ok(())
}
