//! `simulate`: a time course with planted modules, and its truth.

use std::fs::{self, File};
use std::io::Write;
use std::path::PathBuf;

use vrnn_types::defaults;

use crate::args::SimArgs;

#[derive(clap::Args)]
pub struct SimulateArgs {
    #[arg(long)]
    out: PathBuf,
    #[arg(long)]
    truth_out: PathBuf,
    #[arg(long, default_value_t = defaults::SEED)]
    seed: u64,
    #[command(flatten)]
    sim: SimArgs,
}

pub fn simulate(args: SimulateArgs) -> Result<(), String> {
    let config = args.sim.config(args.seed);
    let out = args.out.display();
    let file = File::create(&args.out).map_err(|e| format!("{out}: {e}"))?;
    let mut w = std::io::BufWriter::new(file);
    let sim =
        vrnn_engine::simulate::simulate(&config, &mut w).map_err(|e| format!("{out}: {e}"))?;
    w.flush().map_err(|e| format!("{out}: {e}"))?;
    fs::write(&args.truth_out, sim.truth_csv())
        .map_err(|e| format!("{}: {e}", args.truth_out.display()))?;
    let (n, what) = match config.replicates {
        0 => (config.cells_per_time, "cells"),
        r => (r, "bulk samples"),
    };
    eprintln!(
        "wrote {out} ({} genes, {} {what}) and {}",
        config.genes,
        n * config.times.len(),
        args.truth_out.display()
    );
    Ok(())
}
