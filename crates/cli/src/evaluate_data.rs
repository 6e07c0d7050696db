//! `evaluate --input`: the Dynamics preset and the classical baselines on a real time course,
//! where nothing was planted. Two things a biologist can check without a truth: whether the
//! clusters come out the same from seed to seed (mean pairwise ARI), and whether each known
//! programme given as a gene set (interferon-stimulated genes, the cell cycle, ...) lands
//! together in one cluster: the share of the set's analysed genes in its best cluster, that
//! cluster's hypergeometric p, and the time at which the cluster's mean profile peaks.

use std::path::PathBuf;

use vrnn_engine::change::{changing_genes, gene_stats};
use vrnn_engine::cluster::adjusted_rand_index;
use vrnn_engine::enrich::{hypergeometric_tail, GeneSets};
use vrnn_engine::evaluate;
use vrnn_engine::preset::{self, Preset};
use vrnn_engine::run::native_clock;
use vrnn_engine::Dataset;
use vrnn_types::defaults;

use crate::input::{InputArgs, NormalizeArg};

/// The real data set, as `run` reads it.
#[derive(clap::Args)]
pub struct DataArgs {
    /// Evaluate on this data set instead of simulations (several times for 10x samples).
    #[arg(long)]
    pub input: Vec<PathBuf>,
    /// The sample sheet of a bulk table or of 10x samples.
    #[arg(long)]
    samples: Option<PathBuf>,
    #[arg(long)]
    time_column: Option<String>,
    #[arg(long)]
    gene_names: Option<String>,
    /// The cell type or condition to keep.
    #[arg(long)]
    cell_type: Option<String>,
    /// Known programmes to look for among the clusters (GMT or gene,set table); required
    /// with --input.
    #[arg(long)]
    gene_sets: Option<PathBuf>,
    /// Genes kept, as a Dynamics run keeps them: those that change over time, at most this many.
    #[arg(long, default_value_t = defaults::MAX_GENES)]
    top: usize,
}

/// One set's placement in one clustering.
struct Placement {
    share: f64,
    p: f64,
    peak: f64,
}

pub fn evaluate_data(data: &DataArgs, seeds: u64, k: usize, epochs: usize) -> Result<(), String> {
    let input = InputArgs {
        input: data.input.clone(),
        time_column: data.time_column.clone(),
        samples: data.samples.clone(),
        matrix: None,
        gene_names: data.gene_names.clone(),
        normalize: NormalizeArg::Auto,
    };
    let sets_path = data
        .gene_sets
        .as_ref()
        .ok_or("evaluate --input needs --gene-sets: the known programmes to look for")?;
    let bytes = std::fs::read(sets_path).map_err(|e| format!("{}: {e}", sets_path.display()))?;
    let sets =
        GeneSets::parse(&sets_path.display().to_string(), &bytes).map_err(|e| e.to_string())?;
    let read = input.read(&input.options(data.cell_type.clone())?)?;
    let all = read
        .tally
        .dataset(data.cell_type.as_deref())
        .map_err(|e| format!("{}: {e}", read.name))?;
    let ranked = changing_genes(&gene_stats(&all), defaults::FDR, defaults::MIN_EFFECT);
    let d = all.select_ranked(&ranked, Some(data.top), &[]).dataset;
    eprintln!(
        "{}: {} genes, {} change over time (FDR {}), {} kept; times {:?}; {:?} per time",
        read.name,
        all.n_genes(),
        ranked.len(),
        defaults::FDR,
        d.n_genes(),
        d.times,
        d.cells_per_time
    );

    let mut methods: Vec<(String, Vec<Vec<usize>>)> = Vec::new();
    for (name, scaling, composition) in evaluate::BASELINES {
        let runs = (1..=seeds)
            .map(|seed| evaluate::baseline(&d, scaling, composition, k, seed))
            .collect();
        methods.push((name.to_string(), runs));
    }
    let recipe = preset::Recipe::of(Preset::Dynamics);
    let mut runs = Vec::new();
    for seed in 1..=seeds {
        let (labels, seconds) = evaluate::run_recipe(&d, &recipe, epochs, seed, k, native_clock);
        eprintln!("seed {seed}: Dynamics trained in {seconds:.1} s");
        runs.push(labels);
    }
    methods.push((format!("VRNN Dynamics ({epochs} epochs)"), runs));

    println!(
        "Data: {}; {} genes kept of {} ({} change over time at FDR {}); times {:?}; {:?} cells or samples per time; k = {k}; seeds 1..={seeds}\n",
        read.name,
        d.n_genes(),
        all.n_genes(),
        ranked.len(),
        defaults::FDR,
        d.times,
        d.cells_per_time
    );
    let members: Vec<(&str, Vec<usize>)> = sets
        .sets
        .iter()
        .map(|(name, genes)| (name.as_str(), members(&d, genes)))
        .filter(|(_, m)| m.len() >= 2)
        .collect();
    let mut header = String::from("| method | ARI between seeds |");
    let mut rule = String::from("|---|---|");
    for (name, m) in &members {
        header.push_str(&format!(
            " {name} ({} genes): share in best cluster, p, peak |",
            m.len()
        ));
        rule.push_str("---|");
    }
    println!("{header}\n{rule}");
    for (name, runs) in &methods {
        let mut row = format!("| {name} | {:.3} |", seed_agreement(runs));
        for (_, m) in &members {
            let placed: Vec<Placement> = runs.iter().map(|l| place(&d, l, k, m)).collect();
            let n = placed.len() as f64;
            let share = placed.iter().map(|p| p.share).sum::<f64>() / n;
            let log_p = placed.iter().map(|p| p.p.max(1e-300).log10()).sum::<f64>() / n;
            let peaks: Vec<String> = placed
                .iter()
                .map(|p| vrnn_types::time_label(p.peak))
                .collect();
            row.push_str(&format!(
                " {share:.2} (p 1e{log_p:.0}; peak {}) |",
                peaks.join("/")
            ));
        }
        println!("{row}");
    }
    Ok(())
}

/// Indices in `d` of a set's genes (case-insensitive, as the enrichment matches them).
fn members(d: &Dataset, genes: &[String]) -> Vec<usize> {
    let wanted: std::collections::HashSet<String> =
        genes.iter().map(|g| g.to_ascii_lowercase()).collect();
    (0..d.n_genes())
        .filter(|&g| wanted.contains(&d.genes[g].to_ascii_lowercase()))
        .collect()
}

/// Mean ARI over every pair of seeds.
fn seed_agreement(runs: &[Vec<usize>]) -> f64 {
    let mut sum = 0.0;
    let mut n = 0;
    for i in 0..runs.len() {
        for j in i + 1..runs.len() {
            sum += adjusted_rand_index(&runs[i], &runs[j]);
            n += 1;
        }
    }
    if n == 0 {
        1.0
    } else {
        sum / n as f64
    }
}

/// The cluster holding the set most significantly, and the time its genes peak on average
/// (each gene's means z-scored, so that strongly expressed genes do not decide).
fn place(d: &Dataset, labels: &[usize], k: usize, set: &[usize]) -> Placement {
    let n = labels.len() as u64;
    let best = (0..k)
        .map(|c| {
            let size = labels.iter().filter(|&&l| l == c).count() as u64;
            let overlap = set.iter().filter(|&&g| labels[g] == c).count() as u64;
            let p = hypergeometric_tail(n, set.len() as u64, size, overlap);
            (c, overlap, p)
        })
        .min_by(|a, b| a.2.total_cmp(&b.2))
        .unwrap_or((0, 0, 1.0));
    let t = d.n_times();
    let mut profile = vec![0.0f64; t];
    for g in (0..d.n_genes()).filter(|&g| labels[g] == best.0) {
        let m = d.gene_means(g);
        let mean = m.iter().map(|&v| v as f64).sum::<f64>() / t as f64;
        let sd = (m.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / t as f64).sqrt();
        for (p, &v) in profile.iter_mut().zip(m) {
            *p += if sd > 0.0 {
                (v as f64 - mean) / sd
            } else {
                0.0
            };
        }
    }
    let peak = (0..t)
        .max_by(|&a, &b| profile[a].total_cmp(&profile[b]))
        .map_or(0.0, |i| d.times[i]);
    Placement {
        share: best.1 as f64 / set.len().max(1) as f64,
        p: best.2,
        peak,
    }
}
