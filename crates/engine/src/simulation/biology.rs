//! Measures of the steps after clustering on simulated data with planted modules: does a gene
//! selection keep the responders and drop the flat genes, and is each cluster's top enriched
//! term its own module? (`vrnn-clustering evaluate --biology`; numbers in docs/dynamics.md.)

use rand::seq::index::sample;
use rand::SeedableRng;
use vrnn_kernels::rng::Rng as ChaChaRng;
use vrnn_types::{defaults, EnrichmentView, GeneSelection};

use crate::change::{changing_genes, gene_stats};
use crate::enrich::GeneSets;
use crate::ingest::Dataset;
use crate::simulate::{Simulation, MODULES};

/// The index of the flat module in [`MODULES`].
fn flat() -> usize {
    MODULES
        .iter()
        .position(|m| *m == "flat")
        .unwrap_or(usize::MAX)
}

/// What a selection of at most `top` genes kept.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SelectionScore {
    pub kept: usize,
    /// Share of the planted responders (every module but flat) kept.
    pub responders_kept: f64,
    /// Share of flat genes among the kept.
    pub flat_share: f64,
}

/// Scores the genes `rule` keeps from `d` (at most `top`) against the truth.
pub fn selection_score(
    d: &Dataset,
    truth: &Simulation,
    rule: GeneSelection,
    top: usize,
    fdr: f64,
) -> SelectionScore {
    let selection = match rule {
        GeneSelection::Variance => d.select(Some(top), &[]),
        GeneSelection::Change => {
            let ranked = changing_genes(&gene_stats(d), fdr, defaults::MIN_EFFECT);
            d.select_ranked(&ranked, Some(top), &[])
        }
    };
    let module_of = |name: &str| {
        truth
            .genes
            .iter()
            .position(|g| g == name)
            .map(|i| truth.modules[i])
    };
    let kept: Vec<usize> = selection
        .dataset
        .genes
        .iter()
        .filter_map(|g| module_of(g))
        .collect();
    let responders = truth.modules.iter().filter(|&&m| m != flat()).count();
    let kept_responders = kept.iter().filter(|&&m| m != flat()).count();
    SelectionScore {
        kept: kept.len(),
        responders_kept: kept_responders as f64 / responders.max(1) as f64,
        flat_share: (kept.len() - kept_responders) as f64 / kept.len().max(1) as f64,
    }
}

/// The planted modules as gene sets (the flat genes are no module), plus `decoys` random sets
/// of 20 to 200 genes, seeded.
pub fn module_gene_sets(truth: &Simulation, decoys: usize, seed: u64) -> GeneSets {
    let mut sets: Vec<(String, Vec<String>)> = MODULES
        .iter()
        .enumerate()
        .filter(|&(m, _)| m != flat())
        .map(|(m, name)| {
            let genes = (0..truth.genes.len())
                .filter(|&g| truth.modules[g] == m)
                .map(|g| truth.genes[g].clone())
                .collect();
            (name.to_string(), genes)
        })
        .collect();
    let mut rng = ChaChaRng::seed_from_u64(seed);
    let n = truth.genes.len();
    for i in 0..decoys {
        let size = (20 + (i * 181) % 181).min(n);
        let genes = sample(&mut rng, n, size)
            .into_iter()
            .map(|g| truth.genes[g].clone())
            .collect();
        sets.push((format!("decoy_{}", i + 1), genes));
    }
    GeneSets {
        source: "planted modules and decoys".into(),
        sets,
    }
}

/// Clusters whose most genes come from a planted responder module, and how many of them have
/// that module as their top enriched term.
pub fn top_term_hits(
    labels: &[usize],
    genes: &[String],
    truth: &Simulation,
    e: &EnrichmentView,
) -> (usize, usize) {
    let (mut eligible, mut hits) = (0, 0);
    for (c, terms) in e.clusters.iter().enumerate() {
        let mut counts = vec![0usize; MODULES.len()];
        for (g, _) in labels.iter().enumerate().filter(|&(_, &l)| l == c) {
            if let Some(i) = truth.genes.iter().position(|t| *t == genes[g]) {
                counts[truth.modules[i]] += 1;
            }
        }
        let majority = (0..counts.len()).max_by_key(|&m| (counts[m], usize::MAX - m));
        let Some(m) = majority.filter(|&m| m != flat() && counts[m] > 0) else {
            continue;
        };
        eligible += 1;
        if terms.first().is_some_and(|t| t.set == MODULES[m]) {
            hits += 1;
        }
    }
    (hits, eligible)
}
