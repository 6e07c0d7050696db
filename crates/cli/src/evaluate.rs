//! `evaluate`: simulated data sets with planted modules, both presets, any ablations and the
//! classical baselines, scored by ARI and NMI.

use vrnn_engine::evaluate;
use vrnn_engine::preset::{self, Preset};
use vrnn_engine::run::native_clock;
use vrnn_engine::simulate;
use vrnn_engine::{read_table, IngestOptions};
use vrnn_types::defaults;

use crate::args::{ShapesArg, SimArgs};
use crate::evaluate_data::{evaluate_data, DataArgs};

#[derive(clap::Args)]
pub struct EvaluateArgs {
    /// Seeds 1..=N.
    #[arg(long, default_value_t = 3)]
    seeds: u64,
    #[arg(long, default_value_t = defaults::K)]
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
    /// Instead of the ARI tables: how `--select variance` and `--select change` keep the
    /// planted responders when half the genes are kept, and whether each cluster of the
    /// Dynamics preset has its own module as top enriched term among the modules and 50 decoy
    /// sets.
    #[arg(long)]
    biology: bool,
    #[command(flatten)]
    sim: SimArgs,
    #[command(flatten)]
    data: DataArgs,
}

pub fn evaluate(args: EvaluateArgs) -> Result<(), String> {
    if !args.data.input.is_empty() {
        let epochs = args
            .epochs_dynamics
            .unwrap_or(Preset::Dynamics.default_epochs());
        return evaluate_data(&args.data, args.seeds, args.k, epochs);
    }
    if args.biology {
        return biology(&args);
    }
    let mut recipes = Vec::new();
    for p in &args.presets {
        let preset =
            Preset::parse(p).ok_or_else(|| format!("--presets: unknown preset \"{p}\""))?;
        let epochs = match preset {
            Preset::Dynamics => args.epochs_dynamics,
            Preset::Reference => args.epochs_reference,
        }
        .unwrap_or(preset.default_epochs());
        recipes.push((
            format!("VRNN {} ({epochs} epochs)", preset.label()),
            preset::Recipe::of(preset),
            epochs,
        ));
    }
    let epochs = args
        .epochs_dynamics
        .unwrap_or(Preset::Dynamics.default_epochs());
    for a in &args.ablations {
        let recipe = preset::Recipe::ablation(a)
            .ok_or_else(|| format!("--ablations: unknown lever \"{a}\""))?;
        recipes.push((
            format!("VRNN Dynamics, {a} ({epochs} epochs)"),
            recipe,
            epochs,
        ));
    }
    score_all(args.seeds, args.k, &recipes, &args.sim)
}

/// ARI, NMI and seconds of one method on one seed.
type Score = (f64, f64, f64);

fn score_all(
    seeds: u64,
    k: usize,
    recipes: &[(String, preset::Recipe, usize)],
    sim: &SimArgs,
) -> Result<(), String> {
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
            let t = native_clock();
            let labels = evaluate::baseline(&d, scaling, composition, k, seed);
            let (ari, nmi) = score(&labels);
            eprintln!("seed {seed}: {name}: ARI {ari:.3} NMI {nmi:.3}");
            eprintln!("{}", confusion(&labels, &truth.modules, k));
            record(name.to_string(), (ari, nmi, native_clock() - t));
        }
        for (name, recipe, epochs) in recipes {
            let (labels, seconds) =
                evaluate::run_recipe(&d, recipe, *epochs, seed, k, native_clock);
            let (ari, nmi) = score(&labels);
            let name = name.clone();
            eprintln!("seed {seed}: {name}: ARI {ari:.3} NMI {nmi:.3} ({seconds:.1} s training)");
            eprintln!("{}", confusion(&labels, &truth.modules, k));
            record(name, (ari, nmi, seconds));
        }
    }
    let layout = match sim.replicates {
        0 => format!("{} cells per time", sim.cells_per_time),
        1 => "bulk, one sample per time".to_string(),
        r => format!("bulk, {r} replicates per time"),
    };
    println!(
        "Simulation: {} genes, {layout}, times {:?} h, shapes {}, amplitude {}, depth {}; k = {k}; seeds 1..={seeds}\n",
        sim.genes,
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

/// `evaluate --biology`: the gene selections and the enrichment against the planted truth.
fn biology(args: &EvaluateArgs) -> Result<(), String> {
    use vrnn_engine::simulation::biology;
    use vrnn_types::GeneSelection;
    let epochs = args
        .epochs_dynamics
        .unwrap_or(Preset::Dynamics.default_epochs());
    println!("| seed | rule | kept | responders kept | flat among kept |");
    println!("|---|---|---|---|---|");
    let mut hits = (0, 0);
    for seed in 1..=args.seeds {
        let mut csv = Vec::new();
        let truth =
            simulate::simulate(&args.sim.config(seed), &mut csv).map_err(|e| e.to_string())?;
        let d = read_table(&csv[..], &IngestOptions::default()).map_err(|e| e.to_string())?;
        let top = d.n_genes() / 2;
        for rule in GeneSelection::ALL {
            let s = biology::selection_score(&d, &truth, rule, top, defaults::FDR);
            println!(
                "| {seed} | {} | {} | {:.3} | {:.3} |",
                rule.label(),
                s.kept,
                s.responders_kept,
                s.flat_share
            );
        }
        let (labels, _) =
            evaluate::run_preset(&d, Preset::Dynamics, epochs, seed, args.k, native_clock);
        // The genes the run clustered (every gene that varies), in the order of `labels`.
        let genes = d.select(None, &[]).dataset.genes;
        let sets = biology::module_gene_sets(&truth, 50, seed);
        let e = vrnn_engine::enrich::enrichment(&sets, &genes, &labels, args.k);
        let (h, n) = biology::top_term_hits(&labels, &genes, &truth, &e);
        eprintln!("seed {seed}: {h} of {n} responder clusters have their own module as top term");
        hits = (hits.0 + h, hits.1 + n);
    }
    println!(
        "\nTop enriched term = the cluster's own module (Dynamics, {epochs} epochs, modules + 50 decoys): {} of {} clusters ({:.0} %)",
        hits.0,
        hits.1,
        100.0 * hits.0 as f64 / hits.1.max(1) as f64
    );
    Ok(())
}
