//! `vrnn-clustering`: the command-line front of the engine, for scripted and large runs.
//! It makes the same engine calls as the browser worker; results go to files, progress to
//! standard error.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand, ValueEnum};
use vrnn_engine::backend::{self, Backend};
use vrnn_engine::evaluate;
use vrnn_engine::export;
use vrnn_engine::ingest::ingest;
use vrnn_engine::latent::LatentSummary;
use vrnn_engine::preset::{self, Preset};
use vrnn_engine::session::{self, Session};
use vrnn_engine::simulate::{self, ShapeSet, SimulationConfig};
use vrnn_engine::{analyse, read_table, IngestOptions, Trainer};

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

#[derive(Clone, Copy, ValueEnum)]
enum BackendArg {
    Cpu,
    Wgpu,
}

#[derive(Clone, Copy, ValueEnum)]
enum LatentArg {
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
    fn summary(self) -> LatentSummary {
        match self {
            LatentArg::Mean => LatentSummary::PosteriorMean,
            LatentArg::Sequence => LatentSummary::Sequence,
            LatentArg::Standardised => LatentSummary::StandardisedSequence,
            LatentArg::Sampled => LatentSummary::SampledZ,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum PresetArg {
    /// Clusters by the shape of the response (default).
    Dynamics,
    /// The published pipeline, exactly.
    Reference,
}

impl PresetArg {
    fn preset(self) -> Preset {
        match self {
            PresetArg::Dynamics => Preset::Dynamics,
            PresetArg::Reference => Preset::Reference,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum ShapesArg {
    /// IFN-gamma-like modules (the default simulation).
    Ifn,
    /// Other module shapes, to check a method was not tuned to the default.
    Alternative,
}

/// Options shared by `simulate` and `evaluate`.
#[derive(clap::Args, Clone)]
struct SimArgs {
    #[arg(long, default_value_t = 2000)]
    genes: usize,
    #[arg(long, default_value_t = 300)]
    cells_per_time: usize,
    /// Time points in hours, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "0,3,6,12,24")]
    times: Vec<f64>,
    #[arg(long, value_enum, default_value_t = ShapesArg::Ifn)]
    shapes: ShapesArg,
    /// Scales every response's log-fold amplitude (smaller is harder).
    #[arg(long, default_value_t = 1.0)]
    amplitude: f64,
    /// Scales the counts per cell (smaller is sparser and noisier).
    #[arg(long, default_value_t = 1.0)]
    depth: f64,
}

impl SimArgs {
    fn config(&self, seed: u64) -> SimulationConfig {
        SimulationConfig::new()
            .with_genes(self.genes)
            .with_cells_per_time(self.cells_per_time)
            .with_times(self.times.clone())
            .with_seed(seed)
            .with_shapes(match self.shapes {
                ShapesArg::Ifn => ShapeSet::Ifn,
                ShapesArg::Alternative => ShapeSet::Alternative,
            })
            .with_amplitude(self.amplitude)
            .with_depth(self.depth)
    }
}

/// Genes of interest of the seed study, queried for similar dynamics when present.
const DEFAULT_GENES_OF_INTEREST: [&str; 3] = ["IRF1", "CXCL9", "CXCL10"];

#[derive(Subcommand)]
enum Command {
    /// Open a session file (saved by the app's `Download session`, or `session.vrnn` of `run`)
    /// and write every result file of that analysis into a folder, without the CSV. A
    /// checkpoint (saved while training ran), or `--epochs` above the epochs done, first goes
    /// on training from the saved weights.
    Open {
        #[arg(long)]
        session: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// Train on to this many epochs in all (default: the epochs the run asked for).
        #[arg(long)]
        epochs: Option<usize>,
        #[arg(long, value_enum, default_value_t = BackendArg::Cpu)]
        backend: BackendArg,
    },
    /// Read a file once and describe it (columns, time points, cell types) and how fast it was
    /// read, without training: a check before a long run, and the ingest benchmark.
    Inspect {
        #[arg(long)]
        input: PathBuf,
        /// Column holding the time of each cell (default: detected).
        #[arg(long)]
        time_column: Option<String>,
    },
    /// Read a cells × genes CSV, train the VRNN and write the results into a folder.
    Run {
        #[arg(long)]
        input: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// Training epochs (default: the preset's, 2000 for reference as the spec's pipeline,
        /// 150 for dynamics, which clusters worse when trained much longer).
        #[arg(long)]
        epochs: Option<usize>,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        #[arg(long, default_value_t = 400)]
        batch_size: usize,
        /// KL weight (default: the preset's, 1e-6 for reference).
        #[arg(long)]
        beta: Option<f64>,
        /// Learning rate (default: the preset's, 1e-4 for reference).
        #[arg(long)]
        lr: Option<f64>,
        #[arg(long, value_enum, default_value_t = PresetArg::Dynamics)]
        preset: PresetArg,
        /// Column holding the time of each cell (default: detected).
        #[arg(long)]
        time_column: Option<String>,
        /// Keep only the cells of this type (from a column such as Cell_Type; see `inspect`).
        #[arg(long)]
        cell_type: Option<String>,
        #[arg(long, value_enum, default_value_t = BackendArg::Cpu)]
        backend: BackendArg,
        /// Number of clusters.
        #[arg(long, default_value_t = 6)]
        k: usize,
        /// Keep the N most variable genes (variance over all cells); genes of interest
        /// (IRF1, CXCL9, CXCL10 and --similar-to) are kept too. Default: all genes.
        #[arg(long)]
        genes: Option<usize>,
        /// Latent summary that is clustered and embedded (default: the preset's).
        #[arg(long, value_enum)]
        latent: Option<LatentArg>,
        /// Genes whose nearest genes in latent space go to similar_genes.csv (repeatable;
        /// default: IRF1, CXCL9 and CXCL10 where present).
        #[arg(long = "similar-to")]
        similar_to: Vec<String>,
        /// How many similar genes per query.
        #[arg(long, default_value_t = 20)]
        similar_n: usize,
        /// CPU threads (default: RAYON_NUM_THREADS if set, else every core). On the CPU backend
        /// each batch is split into this many parts trained in parallel; results are
        /// reproducible for a given number, which run.json records (`threads`).
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Write a simulated time course with planted modules, and its truth (`gene,module`).
    Simulate {
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        truth_out: PathBuf,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        #[command(flatten)]
        sim: SimArgs,
    },
    /// Simulate several seeds, run both presets and the classical baselines, and print ARI and
    /// NMI against the planted modules (a Markdown table on standard output).
    Evaluate {
        /// Seeds 1..=N.
        #[arg(long, default_value_t = 3)]
        seeds: u64,
        #[arg(long, default_value_t = 6)]
        k: usize,
        /// Epochs for the Dynamics preset (default: its default).
        #[arg(long)]
        epochs_dynamics: Option<usize>,
        /// Epochs for the Reference preset (default: its default, 2000).
        #[arg(long)]
        epochs_reference: Option<usize>,
        /// Which presets to train (comma-separated; the baselines always run).
        #[arg(long, value_delimiter = ',', default_value = "dynamics,reference")]
        presets: Vec<String>,
        /// Also train the Dynamics preset with one lever changed, for each name given:
        /// zscore, unit-variance, decoder-h-t, latent-mean, latent-unstandardised, beta-1e-6, z64,
        /// lr-1e-4.
        #[arg(long, value_delimiter = ',')]
        ablations: Vec<String>,
        #[command(flatten)]
        sim: SimArgs,
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
    match command {
        Command::Inspect { input, time_column } => inspect_cmd(&input, time_column),
        Command::Open {
            session,
            out,
            epochs,
            backend,
        } => open_cmd(&session, &out, epochs, backend),
        Command::Simulate {
            out,
            truth_out,
            seed,
            sim,
        } => simulate_cmd(&out, &truth_out, &sim.config(seed)),
        Command::Evaluate {
            seeds,
            k,
            epochs_dynamics,
            epochs_reference,
            presets,
            ablations,
            sim,
        } => {
            let mut chosen = Vec::new();
            for p in &presets {
                let preset =
                    Preset::parse(p).ok_or_else(|| format!("--presets: unknown preset \"{p}\""))?;
                let epochs = match preset {
                    Preset::Dynamics => epochs_dynamics,
                    Preset::Reference => epochs_reference,
                }
                .unwrap_or(preset::default_epochs(preset));
                chosen.push((preset, epochs));
            }
            let mut recipes = Vec::new();
            for (preset, epochs) in chosen {
                recipes.push((
                    format!("VRNN {} ({epochs} epochs)", preset.label()),
                    preset::Recipe::of(preset),
                    epochs,
                ));
            }
            let epochs = epochs_dynamics.unwrap_or(preset::default_epochs(Preset::Dynamics));
            for a in &ablations {
                let recipe = preset::Recipe::ablation(a)
                    .ok_or_else(|| format!("--ablations: unknown lever \"{a}\""))?;
                recipes.push((
                    format!("VRNN Dynamics, {a} ({epochs} epochs)"),
                    recipe,
                    epochs,
                ));
            }
            evaluate_cmd(seeds, k, &recipes, &sim)
        }
        run @ Command::Run { .. } => run_cmd(run),
    }
}

fn simulate_cmd(out: &Path, truth_out: &Path, config: &SimulationConfig) -> Result<(), String> {
    let file = File::create(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut w = std::io::BufWriter::new(file);
    let sim = simulate::simulate(config, &mut w).map_err(|e| format!("{}: {e}", out.display()))?;
    w.flush().map_err(|e| format!("{}: {e}", out.display()))?;
    fs::write(truth_out, sim.truth_csv()).map_err(|e| format!("{}: {e}", truth_out.display()))?;
    eprintln!(
        "wrote {} ({} genes, {} cells) and {}",
        out.display(),
        config.genes,
        config.cells_per_time * config.times.len(),
        truth_out.display()
    );
    Ok(())
}

/// ARI, NMI and seconds of one method on one seed.
type Score = (f64, f64, f64);

fn evaluate_cmd(
    seeds: u64,
    k: usize,
    recipes: &[(String, preset::Recipe, usize)],
    sim: &SimArgs,
) -> Result<(), String> {
    let clock = Instant::now();
    let now = move || clock.elapsed().as_secs_f64();
    // Rows: method name -> per-seed scores.
    let mut rows: Vec<(String, Vec<Score>)> = Vec::new();
    let mut record = |name: String, v: (f64, f64, f64)| match rows.iter_mut().find(|r| r.0 == name)
    {
        Some(r) => r.1.push(v),
        None => rows.push((name, vec![v])),
    };
    for seed in 1..=seeds {
        let config = sim.config(seed);
        let mut csv = Vec::new();
        let truth = simulate::simulate(&config, &mut csv).map_err(|e| e.to_string())?;
        let d = read_table(&csv[..], &IngestOptions::default()).map_err(|e| e.to_string())?;
        let score = |labels: &[usize]| {
            (
                evaluate::adjusted_rand_index(labels, &truth.modules),
                evaluate::normalized_mutual_information(labels, &truth.modules),
            )
        };
        for (name, scaling, composition) in evaluate::BASELINES {
            let t = now();
            let labels = evaluate::baseline(&d, scaling, composition, k, seed);
            let (ari, nmi) = score(&labels);
            eprintln!("seed {seed}: {name}: ARI {ari:.3} NMI {nmi:.3}");
            eprintln!("{}", confusion(&labels, &truth.modules, k));
            record(name.to_string(), (ari, nmi, now() - t));
        }
        for (name, recipe, epochs) in recipes {
            let (labels, seconds) = evaluate::run_recipe(&d, recipe, *epochs, seed, k, &now);
            let (ari, nmi) = score(&labels);
            let name = name.clone();
            eprintln!("seed {seed}: {name}: ARI {ari:.3} NMI {nmi:.3} ({seconds:.1} s training)");
            eprintln!("{}", confusion(&labels, &truth.modules, k));
            record(name, (ari, nmi, seconds));
        }
    }
    println!(
        "Simulation: {} genes, {} cells per time, times {:?} h, shapes {}, amplitude {}, depth {}; k = {k}; seeds 1..={seeds}\n",
        sim.genes,
        sim.cells_per_time,
        sim.times,
        match sim.shapes {
            ShapesArg::Ifn => "ifn",
            ShapesArg::Alternative => "alternative",
        },
        sim.amplitude,
        sim.depth
    );
    println!("| method | mean ARI | mean NMI | ARI per seed | seconds (mean) |");
    println!("|---|---|---|---|---|");
    for (name, v) in &rows {
        let n = v.len() as f64;
        let ari = v.iter().map(|x| x.0).sum::<f64>() / n;
        let nmi = v.iter().map(|x| x.1).sum::<f64>() / n;
        let secs = v.iter().map(|x| x.2).sum::<f64>() / n;
        let per: Vec<String> = v.iter().map(|x| format!("{:.3}", x.0)).collect();
        println!(
            "| {name} | {ari:.3} | {nmi:.3} | {} | {secs:.1} |",
            per.join(", ")
        );
    }
    Ok(())
}

/// Genes per (planted module, cluster), for seeing which modules a method mixes up.
fn confusion(labels: &[usize], truth: &[usize], k: usize) -> String {
    let mut s = String::from("  module \\ cluster:");
    for c in 1..=k {
        s.push_str(&format!("{c:>6}"));
    }
    for (m, name) in simulate::MODULES.iter().enumerate() {
        s.push_str(&format!("\n  {name:>16}:"));
        for c in 0..k {
            let n = labels
                .iter()
                .zip(truth)
                .filter(|&(&l, &t)| l == c && t == m)
                .count();
            s.push_str(&format!("{n:>6}"));
        }
    }
    s
}

fn open_cmd(
    path: &Path,
    out: &Path,
    epochs: Option<usize>,
    backend_arg: BackendArg,
) -> Result<(), String> {
    let bytes = fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut s = Session::from_bytes(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let target = epochs.unwrap_or(s.run.config.epochs).max(s.epochs_done());
    if s.analysis.is_none() || target > s.epochs_done() {
        eprintln!(
            "going on training from epoch {} to {target}",
            s.epochs_done()
        );
        let (device, used) = device_for(backend_arg)?;
        let device = backend::training_device(device, s.settings.seed);
        let (mut trainer, inputs) = s
            .resume(target, &device)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let t1 = Instant::now();
        while !trainer.is_done() {
            let e = pollster::block_on(trainer.epoch());
            eprintln!(
                "epoch {}/{target}: train {:.6} test {:.6}",
                e.epoch, e.train, e.test
            );
            s.history.push(e);
        }
        let train_s = s.run.timings.train_s + t1.elapsed().as_secs_f64();
        s.run.config.epochs = target;
        s.run.backend = used.label().into();
        s.run.timings.train_s = train_s;
        s.run.timings.seconds_per_epoch = train_s / target.max(1) as f64;
        s.settings.epochs = target;
        s.weights = trainer.model().to_torch();
        let (model, inference_device) = trainer.inference_model();
        let clock = Instant::now();
        let now = move || clock.elapsed().as_secs_f64();
        let analysis = pollster::block_on(analyse(
            &model,
            &inference_device,
            &s.dataset,
            &inputs,
            s.analysis_config(),
            &now,
            |_| std::future::ready(true),
        ))
        .map_err(|e| e.to_string())?;
        s.run.analysis = Some(export::AnalysisInfo::of(&analysis));
        s.analysis = Some(analysis);
        let path = out.join("session.vrnn");
        fs::write(&path, s.to_bytes()).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let analysis = s.analysis.as_ref().expect("analysed above when missing");
    write_file(out, "means.csv", &export::means_csv(&s.dataset))?;
    write_file(out, "loss.csv", &export::loss_csv(&s.history))?;
    write_file(out, "run.json", &s.run.to_json())?;
    for name in export::analysis_file_names(analysis) {
        if let Some(f) = export::analysis_file(analysis, &name) {
            write_file(out, &f.name, &f.contents)?;
        }
    }
    eprintln!(
        "opened {} ({} genes, {} clusters, {} epochs) and wrote its results to {}",
        path.display(),
        analysis.genes.len(),
        analysis.clustering.sizes().len(),
        s.history.len(),
        out.display()
    );
    Ok(())
}

fn device_for(
    backend_arg: BackendArg,
) -> Result<(vrnn_engine::burn::tensor::Device, Backend), String> {
    Ok(match backend_arg {
        BackendArg::Cpu => (backend::cpu_device(), Backend::Cpu),
        BackendArg::Wgpu => (
            backend::wgpu_device().map_err(|e| format!("wgpu backend: {e}"))?,
            Backend::Wgpu,
        ),
    })
}

fn inspect_cmd(input: &Path, time_column: Option<String>) -> Result<(), String> {
    let t0 = Instant::now();
    let file = File::open(input).map_err(|e| format!("{}: {e}", input.display()))?;
    let opts = IngestOptions {
        time_column,
        cell_type: None,
    };
    let tally = ingest(file, &opts).map_err(|e| format!("{}: {e}", input.display()))?;
    let seconds = t0.elapsed().as_secs_f64();
    let d = tally
        .dataset(None)
        .map_err(|e| format!("{}: {e}", input.display()))?;
    let mb = tally.bytes as f64 / 1e6;
    println!("file: {}", input.display());
    println!(
        "read: {mb:.1} MB, {} rows in {seconds:.2} s ({:.1} MB/s, {:.0} rows/s)",
        tally.rows,
        mb / seconds.max(1e-9),
        tally.rows as f64 / seconds.max(1e-9)
    );
    println!("cells: {}", d.n_cells);
    println!("genes: {}", d.n_genes());
    let constant = d.variances.iter().filter(|&&v| v <= 0.0).count();
    println!("genes that never vary: {constant}");
    println!("time column: {}", d.time_column);
    let times: Vec<String> = d
        .times
        .iter()
        .zip(&d.cells_per_time)
        .map(|(t, n)| format!("{} ({n} cells)", vrnn_protocol::time_label(*t)))
        .collect();
    println!("time points: {}", times.join(", "));
    println!("metadata columns: {}", d.metadata_columns.join(", "));
    match &tally.cell_type_column {
        Some(c) => {
            let types: Vec<String> = tally
                .cell_types()
                .into_iter()
                .map(|t| format!("{} ({} cells)", t.name, t.cells))
                .collect();
            println!("cell types (column {c}): {}", types.join(", "));
        }
        None => println!("cell types: none recognised"),
    }
    Ok(())
}

/// The number of CPU threads: `--threads`, else `RAYON_NUM_THREADS`, else every core. Sizes
/// rayon's pool (burn's CPU backend, k-means) to match.
fn cpu_threads(arg: Option<usize>) -> Result<usize, String> {
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

fn run_cmd(command: Command) -> Result<(), String> {
    let Command::Run {
        input,
        out,
        epochs,
        seed,
        batch_size,
        beta,
        lr,
        time_column,
        cell_type,
        backend: backend_arg,
        preset: preset_arg,
        k,
        genes,
        latent,
        similar_to,
        similar_n,
        threads,
    } = command
    else {
        unreachable!("run_cmd is only called for run");
    };
    let threads = cpu_threads(threads)?;
    let preset = preset_arg.preset();
    let epochs = epochs.unwrap_or(preset::default_epochs(preset));
    if k < 1 {
        return Err("--k must be at least 1".into());
    }
    let t0 = Instant::now();
    let file = File::open(&input).map_err(|e| format!("{}: {e}", input.display()))?;
    let opts = IngestOptions {
        time_column,
        cell_type: cell_type.clone(),
    };
    let dataset = read_table(file, &opts).map_err(|e| format!("{}: {e}", input.display()))?;
    let ingest_s = t0.elapsed().as_secs_f64();
    eprintln!(
        "read {}: {} cells, {} genes, time column \"{}\" with values {:?}",
        input.display(),
        dataset.n_cells,
        dataset.n_genes(),
        dataset.time_column,
        dataset.times
    );
    let keep: Vec<String> = DEFAULT_GENES_OF_INTEREST
        .iter()
        .map(|g| g.to_string())
        .chain(similar_to.iter().cloned())
        .collect();
    let selection = dataset.select(genes, &keep);
    if !selection.constant.is_empty() {
        eprintln!(
            "left out {} gene(s) that never vary: {}",
            selection.constant.len(),
            selection.constant.join(", ")
        );
    }
    if selection.not_variable_enough > 0 {
        eprintln!(
            "training on the {} most variable genes (plus {} kept as genes of interest)",
            selection.dataset.n_genes() - selection.kept_of_interest.len(),
            selection.kept_of_interest.len()
        );
    }
    let dataset = selection.dataset;
    if k > dataset.n_genes() {
        return Err(format!(
            "--k {k} asks for more clusters than the {} genes left to cluster in {}",
            dataset.n_genes(),
            input.display()
        ));
    }
    fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    write_file(&out, "means.csv", &export::means_csv(&dataset))?;

    let (device, used) = device_for(backend_arg)?;
    let mut config = preset::train_config(preset, epochs, seed)
        .with_batch_size(batch_size)
        .with_threads(if used == Backend::Cpu { threads } else { 1 });
    if let Some(beta) = beta {
        config.beta = beta;
    }
    if let Some(lr) = lr {
        config.lr = lr;
    }
    let inputs = preset::prepare(&dataset, preset);
    let t1 = Instant::now();
    let mut trainer = Trainer::new(
        config.clone(),
        &inputs.values,
        dataset.n_genes(),
        dataset.n_times(),
        &backend::training_device(device, seed),
    );
    if let Some(w) = &inputs.inverse_variance {
        trainer = trainer.with_inverse_variance(w);
    }
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

    let (model, inference_device) = trainer.inference_model();
    let mut analysis_config = preset::analysis_config(preset, seed, k);
    if let Some(l) = latent {
        analysis_config.latent = l.summary();
    }
    let clock = Instant::now();
    let now = move || clock.elapsed().as_secs_f64();
    let mut last_label = String::new();
    let analysis = pollster::block_on(analyse(
        &model,
        &inference_device,
        &dataset,
        &inputs,
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
        preset: preset.label().to_lowercase(),
        backend: used.label().into(),
        config,
        dataset: export::DatasetInfo::of(&dataset, cell_type.as_deref())
            .with_composition(inputs.log_factors.clone()),
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
    let t = analysis.timings.clone();
    let sizes = analysis.clustering.sizes();
    let settings = vrnn_protocol::TrainSettings {
        epochs,
        seed,
        compute: match backend_arg {
            BackendArg::Cpu => vrnn_protocol::Compute::Cpu,
            BackendArg::Wgpu => vrnn_protocol::Compute::WebGpu,
        },
        k,
        preset,
        latent: Some(analysis.config.latent),
        genes,
        keep,
        batch_size: Some(batch_size),
    };
    let session = Session {
        version: session::VERSION,
        source: input.display().to_string(),
        cell_type,
        dataset,
        settings,
        run,
        history,
        weights: trainer.model().to_torch(),
        analysis: Some(analysis),
    };
    let path = out.join("session.vrnn");
    fs::write(&path, session.to_bytes()).map_err(|e| format!("{}: {e}", path.display()))?;
    eprintln!(
        "clusters: {:?} genes; latent summary {:.2} s, k choice {:.2} s, clustering {:.2} s, UMAP {:.2} s",
        sizes,
        t.latent_s,
        t.k_choice_s,
        t.cluster_s,
        t.umap_s
    );
    eprintln!("wrote the results to {}", out.display());
    Ok(())
}
