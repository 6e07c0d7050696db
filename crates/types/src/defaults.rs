//! Every default a run starts from, in one place: the page's initial settings, the CLI's
//! argument defaults and the engine's fallbacks read these, so they cannot drift apart.

/// The seed of a run unless the user picks another.
pub const SEED: u64 = 42;
/// Clusters of the analysis.
pub const K: usize = 6;
/// Genes per training step: the reference pipeline's batch.
pub const BATCH_SIZE: usize = 400;
/// Parts each training batch is split into. Their losses and gradients are summed in part
/// order, so a run's numbers depend on this and never on how many threads (CLI) or workers
/// (browser) compute the parts; 8 keeps up to 8 cores busy with batches of 400 genes.
pub const PARTS: usize = 8;
/// A run keeps every gene up to this many, else this many of the most variable.
pub const MAX_GENES: usize = 2000;

/// The most training helpers the page starts: each is a Web Worker with its own memory, and a
/// batch has [`PARTS`] parts by default.
pub const MAX_WORKERS: usize = 16;

/// Training helpers on a machine with `cores` logical cores: one per core but one, which is
/// left to the page; at least one.
pub fn workers(cores: usize) -> usize {
    cores.saturating_sub(1).clamp(1, MAX_WORKERS)
}
/// Genes of interest of the seed study (IFN-gamma response: IRF1 fast, CXCL9/CXCL10 slow):
/// always kept, drawn in their own plot, and queried for similar dynamics where present.
pub const GENES_OF_INTEREST: [&str; 3] = ["IRF1", "CXCL9", "CXCL10"];
/// Genes listed per similar-dynamics query.
pub const SIMILAR_N: usize = 20;
/// The largest k of the k-choice curve (it starts at 2).
pub const K_CHOICE_MAX: usize = 12;

/// The number of genes a run keeps by default: all of them up to [`MAX_GENES`], else the
/// [`MAX_GENES`] most variable.
pub fn gene_count(n_genes: usize) -> usize {
    n_genes.min(MAX_GENES)
}

/// [`GENES_OF_INTEREST`] as the page's text field shows them.
pub fn genes_of_interest_text() -> String {
    GENES_OF_INTEREST.join(", ")
}

/// The false-discovery rate below which `Changing over time` counts a gene as changing.
pub const FDR: f64 = 0.05;
/// The smallest effect (range of the per-time means in pooled standard deviations) that
/// `Changing over time` keeps: measured on the simulator in docs/dynamics.md.
pub const MIN_EFFECT: f64 = 0.2;
/// Membership cores: genes whose soft membership in their own cluster is at least this.
pub const CORE_THRESHOLD: f64 = 0.5;
/// Seeded k-means restarts the stability of a clustering is measured over.
pub const STABILITY_RESTARTS: usize = 20;
/// A cluster whose mean co-clustering confidence is below this is flagged as not reproducing.
pub const STABLE_CLUSTER: f64 = 0.75;
/// Enriched terms kept per cluster for the page (every term goes to `enrichment.csv`).
pub const ENRICHMENT_SHOWN: usize = 50;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_helper_per_core_but_the_pages() {
        assert_eq!(workers(0), 1);
        assert_eq!(workers(1), 1);
        assert_eq!(workers(2), 1);
        assert_eq!(workers(8), 7);
        assert_eq!(workers(64), MAX_WORKERS);
    }
}
