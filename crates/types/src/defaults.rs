//! Every default a run starts from, in one place: the page's initial settings, the CLI's
//! argument defaults and the engine's fallbacks read these, so they cannot drift apart.

/// The seed of a run unless the user picks another.
pub const SEED: u64 = 42;
/// Clusters of the analysis.
pub const K: usize = 6;
/// Genes per training step: the reference pipeline's batch.
pub const BATCH_SIZE: usize = 400;
/// A run keeps every gene up to this many, else this many of the most variable.
pub const MAX_GENES: usize = 2000;
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
