//! A single-cell time course with planted temporal modules, for the demo data and for judging
//! whether clusters follow dynamics (issue 4). Modules are inspired by an IFN-gamma response;
//! every gene's baseline level is drawn independently of its module, so a method that clusters
//! by expression level instead of shape scores near zero.
//!
//! Counts are negative binomial (a Gamma–Poisson mixture) with per-gene dispersion, per-cell
//! library size and per-cell response strength, then normalised as scanpy's
//! `normalize_total(1e4)` + `log1p` over the whole transcriptome: the simulated genes stand for
//! the highly variable genes a user keeps, and the rest of the cell's counts (about 20,000 per
//! cell, unresponsive) are drawn too, so that the normalisation does not turn a strong response
//! of the kept genes into an artificial decrease of the flat ones. Deterministic for a seed.

use std::io::{self, Write};

use burn::config::Config;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Gamma, Normal, Poisson};
use vrnn_kernels::rng::Rng as ChaChaRng;

/// Which family of response shapes to plant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum ShapeSet {
    /// IFN-gamma-like: fast transient, fast sustained, late rising, repressed, late transient,
    /// flat.
    #[default]
    Ifn,
    /// Other shapes, for checking that a method was not tuned to the default: a delayed
    /// transient, a slow linear rise, an early dip that recovers, a biphasic response, a late
    /// drop, flat.
    Alternative,
}

#[derive(Config, Debug, PartialEq)]
pub struct SimulationConfig {
    #[config(default = 2000)]
    pub genes: usize,
    #[config(default = 300)]
    pub cells_per_time: usize,
    #[config(default = "vec![0.0, 3.0, 6.0, 12.0, 24.0]")]
    pub times: Vec<f64>,
    #[config(default = 42)]
    pub seed: u64,
    #[config(default = "ShapeSet::Ifn")]
    pub shapes: ShapeSet,
    /// Multiplies the log-fold amplitude of every response (smaller is harder).
    #[config(default = 1.0)]
    pub amplitude: f64,
    /// Mean counts per cell are scaled by this (smaller means sparser, noisier data).
    #[config(default = 1.0)]
    pub depth: f64,
    /// 0: single cells (the seed's layout). R ≥ 1: a bulk genes × samples table with R
    /// replicate samples per time point (issue 20), named `6h_rep2` (`6h` when R = 1).
    #[config(default = 0)]
    pub replicates: usize,
}

/// The six planted modules; their names go to the truth file.
pub const MODULES: [&str; 6] = [
    "fast_transient",
    "fast_sustained",
    "late_rising",
    "repressed",
    "late_transient",
    "flat",
];

/// Expected counts per cell (at library factor 1) from the genes that are not written out.
const BACKGROUND_COUNTS: f64 = 20_000.0;

/// Share of the genes in each module: most genes do not respond.
const SHARES: [f64; 6] = [0.12, 0.14, 0.14, 0.14, 0.12, 0.34];

/// Named markers and their modules (index into [`MODULES`]).
const MARKERS: [(&str, usize); 6] = [
    ("IRF1", 0),
    ("STAT1", 1),
    ("GBP1", 1),
    ("CXCL9", 2),
    ("CXCL10", 2),
    ("SOD2", 4),
];

/// Log-fold response of module `m` at (time-warped) hour `t`, before the gene's amplitude.
fn shape(set: ShapeSet, m: usize, t: f64) -> f64 {
    let logistic = |x: f64| 1.0 / (1.0 + (-x).exp());
    match (set, m) {
        (ShapeSet::Ifn, 0) => 1.6 * (-((t - 3.0) / 2.5).powi(2)).exp(),
        (ShapeSet::Ifn, 1) => 1.3 * (1.0 - (-t / 2.0).exp()),
        (ShapeSet::Ifn, 2) => 1.8 * (logistic((t - 12.0) / 3.0) - logistic(-4.0)),
        (ShapeSet::Ifn, 3) => -1.2 * (1.0 - (-t / 4.0).exp()),
        (ShapeSet::Ifn, 4) => 1.4 * (-((t - 10.0) / 4.0).powi(2)).exp(),
        (ShapeSet::Alternative, 0) => 1.5 * (-((t - 7.0) / 3.0).powi(2)).exp(),
        (ShapeSet::Alternative, 1) => 1.4 * (t / 24.0).min(1.0),
        (ShapeSet::Alternative, 2) => -1.2 * (-((t - 4.0) / 3.0).powi(2)).exp(),
        (ShapeSet::Alternative, 3) => {
            1.2 * (-((t - 2.0) / 1.5).powi(2)).exp() + 1.2 * (-((t - 18.0) / 4.0).powi(2)).exp()
        }
        (ShapeSet::Alternative, 4) => -1.3 * logistic((t - 14.0) / 2.5),
        _ => 0.0,
    }
}

/// What was simulated: gene names and each gene's module (index into [`MODULES`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Simulation {
    pub genes: Vec<String>,
    pub modules: Vec<usize>,
}

impl Simulation {
    /// `gene,module`.
    pub fn truth_csv(&self) -> String {
        let mut s = String::from("gene,module\n");
        for (g, &m) in self.genes.iter().zip(&self.modules) {
            s.push_str(&format!("{g},{}\n", MODULES[m]));
        }
        s
    }
}

/// Writes the cells × genes CSV in the seed's layout (`Cell_ID,Cell_Type,Time_numeric,genes…`)
/// and returns the truth.
pub fn simulate(config: &SimulationConfig, out: &mut dyn Write) -> io::Result<Simulation> {
    let mut rng = ChaChaRng::seed_from_u64(config.seed);
    let n = config.genes.max(1);

    // Module of every gene: shares rounded, remainder to "flat", then shuffled.
    let mut modules: Vec<usize> = Vec::with_capacity(n);
    for (m, share) in SHARES.iter().enumerate().take(5) {
        modules.extend(std::iter::repeat_n(m, (share * n as f64).round() as usize));
    }
    modules.truncate(n);
    modules.resize(n, 5);
    modules.shuffle(&mut rng);

    // Names: markers take the first gene of their module (when the module has one left).
    let mut genes: Vec<String> = (0..n).map(|g| format!("GENE{:05}", g + 1)).collect();
    let mut used = vec![false; n];
    for (name, m) in MARKERS {
        if let Some(g) = (0..n).find(|&g| modules[g] == m && !used[g]) {
            genes[g] = name.to_string();
            used[g] = true;
        }
    }

    // Per gene: baseline (independent of the module), dispersion, amplitude and timing jitter.
    let base_d = Normal::new(-0.5f64, 1.2).expect("valid");
    let disp_d = Normal::new(0.7f64, 0.5).expect("valid");
    // Known markers are well expressed: at least one count per cell on average.
    let base: Vec<f64> = (0..n)
        .map(|g| {
            let b = base_d.sample(&mut rng).exp();
            let b = if used[g] { b.max(1.0) } else { b };
            b * config.depth
        })
        .collect();
    let dispersion: Vec<f64> = (0..n).map(|_| disp_d.sample(&mut rng).exp()).collect();
    let amp: Vec<f64> = (0..n)
        .map(|_| rng.random_range(0.7..1.3) * config.amplitude)
        .collect();
    let warp: Vec<f64> = (0..n).map(|_| rng.random_range(0.8..1.25)).collect();
    let log_fold = |t: f64| -> Vec<f64> {
        (0..n)
            .map(|g| amp[g] * shape(config.shapes, modules[g], t / warp[g]))
            .collect()
    };
    if config.replicates > 0 {
        write_bulk(config, &genes, &base, &log_fold, &mut rng, out)?;
        return Ok(Simulation { genes, modules });
    }

    write!(out, "Cell_ID,Cell_Type,Time_numeric")?;
    for g in &genes {
        write!(out, ",{g}")?;
    }
    writeln!(out)?;

    let lib_d = Normal::new(0.0f64, 0.35).expect("valid");
    let mut counts = vec![0.0f64; n];
    let mut line = String::new();
    let mut id = 0usize;
    for &t in &config.times {
        let mean_log_fold = log_fold(t);
        for _ in 0..config.cells_per_time {
            let lib = lib_d.sample(&mut rng).exp();
            let strength = rng.random_range(0.6..1.4);
            let cell_type = if rng.random::<f64>() < 0.7 {
                "Macrophage"
            } else {
                "Monocyte"
            };
            // The rest of the transcriptome: many independent genes, so Poisson around its mean.
            let mut total = Poisson::new(lib * BACKGROUND_COUNTS * config.depth)
                .map(|d| d.sample(&mut rng))
                .unwrap_or(0.0);
            for g in 0..n {
                let mu = lib * base[g] * (strength * mean_log_fold[g]).exp();
                let lambda = Gamma::new(dispersion[g], mu / dispersion[g])
                    .map(|d| d.sample(&mut rng))
                    .unwrap_or(0.0);
                let c = if lambda > 0.0 {
                    Poisson::new(lambda)
                        .map(|d| d.sample(&mut rng))
                        .unwrap_or(0.0)
                } else {
                    0.0
                };
                counts[g] = c;
                total += c;
            }
            line.clear();
            line.push_str(&format!(
                "cell{id:06},{cell_type},{}",
                vrnn_types::time_label(t)
            ));
            for &c in &counts {
                if c == 0.0 || total == 0.0 {
                    line.push_str(",0");
                } else {
                    line.push_str(&format!(",{:.4}", (c / total * 1e4).ln_1p()));
                }
            }
            line.push('\n');
            out.write_all(line.as_bytes())?;
            id += 1;
        }
    }
    Ok(Simulation { genes, modules })
}

/// Cells pooled in one bulk sample, at depth 1: about 10 million reads of background, as in a
/// typical bulk RNA-seq library.
const BULK_CELLS: f64 = 500.0;

/// A bulk time course: every sample pools many cells, so its counts are negative binomial
/// around the population mean with a small *biological* dispersion (replicate cultures differ
/// in library size and in how strongly they respond), not the cell-to-cell noise of single
/// cells. Values are written as `log1p(counts per million)` over the whole library (the
/// background genes included), for the same reason the cells are normalised over the whole
/// transcriptome; they are not whole numbers, so the reader uses them as they are.
fn write_bulk(
    config: &SimulationConfig,
    genes: &[String],
    base: &[f64],
    log_fold: &dyn Fn(f64) -> Vec<f64>,
    rng: &mut ChaChaRng,
    out: &mut dyn Write,
) -> io::Result<()> {
    let n = genes.len();
    // Biological coefficient of variation between replicates: about 0.2 (dispersion 0.04),
    // varying by gene, as edgeR reports for cell-line experiments.
    let disp_d = Normal::new(0.04f64.ln(), 0.5).expect("valid");
    let dispersion: Vec<f64> = (0..n).map(|_| disp_d.sample(rng).exp()).collect();
    let lib_d = Normal::new(0.0f64, 0.2).expect("valid");
    let mut names = Vec::new();
    let mut columns: Vec<Vec<f64>> = Vec::new();
    for &t in &config.times {
        let mean_log_fold = log_fold(t);
        for r in 1..=config.replicates {
            let label = vrnn_types::time_label(t);
            names.push(if config.replicates == 1 {
                format!("{label}h")
            } else {
                format!("{label}h_rep{r}")
            });
            // `base` already carries the depth; the background is scaled here.
            let pool = BULK_CELLS * lib_d.sample(rng).exp();
            let strength = rng.random_range(0.85..1.15);
            let mut total = Poisson::new(pool * BACKGROUND_COUNTS * config.depth)
                .map(|d| d.sample(rng))
                .unwrap_or(0.0);
            let mut counts = Vec::with_capacity(n);
            for g in 0..n {
                let mu = pool * base[g] * (strength * mean_log_fold[g]).exp();
                let shape = 1.0 / dispersion[g];
                let lambda = Gamma::new(shape, mu / shape)
                    .map(|d| d.sample(rng))
                    .unwrap_or(0.0);
                let c = if lambda > 0.0 {
                    Poisson::new(lambda).map(|d| d.sample(rng)).unwrap_or(0.0)
                } else {
                    0.0
                };
                counts.push(c);
                total += c;
            }
            for c in counts.iter_mut() {
                *c = if total > 0.0 {
                    (*c / total * 1e6).ln_1p()
                } else {
                    0.0
                };
            }
            columns.push(counts);
        }
    }
    writeln!(out, "gene,{}", names.join(","))?;
    let mut line = String::new();
    for (g, name) in genes.iter().enumerate() {
        line.clear();
        line.push_str(name);
        for col in &columns {
            line.push_str(&format!(",{:.4}", col[g]));
        }
        line.push('\n');
        out.write_all(line.as_bytes())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{read_table, IngestOptions};

    #[test]
    fn deterministic_readable_and_planted() {
        let config = SimulationConfig::new()
            .with_genes(120)
            .with_cells_per_time(40);
        let mut a = Vec::new();
        let sim = simulate(&config, &mut a).unwrap();
        let mut b = Vec::new();
        simulate(&config, &mut b).unwrap();
        assert_eq!(a, b, "same seed, same bytes");
        let mut c = Vec::new();
        simulate(&config.clone().with_seed(7), &mut c).unwrap();
        assert_ne!(a, c);

        let d = read_table(&a[..], &IngestOptions::default()).unwrap();
        assert_eq!(d.time_column, "Time_numeric");
        assert_eq!(d.times, vec![0.0, 3.0, 6.0, 12.0, 24.0]);
        assert_eq!(d.n_genes(), 120);
        assert_eq!(d.cells_per_time, vec![40; 5]);
        for (name, m) in MARKERS {
            let g = sim.genes.iter().position(|g| g == name).unwrap();
            assert_eq!(sim.modules[g], m, "{name}");
        }
        let truth = sim.truth_csv();
        assert_eq!(truth.lines().count(), 121);
        assert!(truth.contains("IRF1,fast_transient"));

        // IRF1 peaks early, CXCL10 rises late.
        let irf1 = d.gene_means(d.genes.iter().position(|g| g == "IRF1").unwrap());
        let cxcl10 = d.gene_means(d.genes.iter().position(|g| g == "CXCL10").unwrap());
        assert!(irf1[1] > irf1[0] && irf1[1] > irf1[4], "{irf1:?}");
        assert!(cxcl10[4] > cxcl10[0] && cxcl10[4] > cxcl10[1], "{cxcl10:?}");
    }

    #[test]
    fn bulk_replicates_read_as_cells() {
        let config = SimulationConfig::new().with_genes(120).with_replicates(3);
        let mut a = Vec::new();
        let sim = simulate(&config, &mut a).unwrap();
        let header = std::str::from_utf8(&a)
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .to_string();
        assert!(
            header.starts_with("gene,0h_rep1,0h_rep2,0h_rep3,3h_rep1"),
            "{header}"
        );
        let d = read_table(&a[..], &IngestOptions::default()).unwrap();
        assert_eq!(d.times, vec![0.0, 3.0, 6.0, 12.0, 24.0]);
        assert_eq!(d.genes, sim.genes);
        assert_eq!(d.cells_per_time, vec![3; 5]);
        // Replicates vary, so every expressed gene has a standard error.
        let irf1 = d.genes.iter().position(|g| g == "IRF1").unwrap();
        assert!(d.std_errors[irf1 * 5..irf1 * 5 + 5]
            .iter()
            .all(|&se| se > 0.0));
        let m = d.gene_means(irf1);
        assert!(m[1] > m[0] + 0.5 && m[1] > m[4], "{m:?}");

        let mut one = Vec::new();
        simulate(&config.clone().with_replicates(1), &mut one).unwrap();
        let d = read_table(&one[..], &IngestOptions::default()).unwrap();
        assert_eq!(d.cells_per_time, vec![1; 5]);
        assert!(d.std_errors.iter().all(|&se| se == 0.0));
    }
}
