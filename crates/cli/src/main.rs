//! `vrnn-clustering`: the command-line front of the engine, for scripted and large runs. Each
//! subcommand is a module with its own typed arguments; all of them call the engine's one run
//! pipeline (`vrnn_engine::run`). Results go to files, progress to standard error.

mod args;
mod evaluate;
mod evaluate_data;
mod input;
mod inspect;
mod open;
mod output;
mod run;
mod simulate;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Training allocates and frees tensors of a few hundred kilobytes thousands of times a
/// second; glibc's malloc hands blocks that size to `mmap`, so every one cost page faults and
/// zeroing (about 6 % of a training epoch in `perf`). mimalloc keeps them in its own pages.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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

#[derive(Subcommand)]
enum Command {
    /// Read the data (a cells × genes table, an .h5ad, 10x samples or a bulk table), train
    /// the VRNN and write the results into a folder.
    Run(Box<run::RunArgs>),
    /// Open a session file (saved by the app's `Download session`, or `session.vrnn` of `run`)
    /// and write every result file of that analysis into a folder, without the CSV. A
    /// checkpoint (saved while training ran), or `--epochs` above the epochs done, first goes
    /// on training from the saved weights.
    Open(open::OpenArgs),
    /// Read the data once and describe it (format, time points and their labels, cell types,
    /// counts or values) and how fast it was read, without training: a check before a long run, and the ingest benchmark.
    Inspect(inspect::InspectArgs),
    /// Write a simulated time course with planted modules, and its truth (`gene,module`).
    Simulate(simulate::SimulateArgs),
    /// Simulate several seeds, run both presets and the classical baselines, and print ARI and
    /// NMI against the planted modules (a Markdown table on standard output).
    Evaluate(evaluate::EvaluateArgs),
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Run(a) => run::run(*a),
        Command::Open(a) => open::open(a),
        Command::Inspect(a) => inspect::inspect(a),
        Command::Simulate(a) => simulate::simulate(a),
        Command::Evaluate(a) => evaluate::evaluate(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}
