//! The names of the files a run writes. The page's download buttons, the worker's export
//! handler, the CLI's output folder and the session reader all name files from here, so a
//! download and a CLI result file are always the same file.

pub const CLUSTERS_CSV: &str = "clusters.csv";
pub const MEMBERSHIPS_CSV: &str = "memberships.csv";
pub const CLUSTERS_GMT: &str = "clusters.gmt";
pub const LATENTS_CSV: &str = "latents.csv";
pub const UMAP_CSV: &str = "umap.csv";
pub const MEANS_CSV: &str = "means.csv";
pub const RECONSTRUCTION_CSV: &str = "reconstruction.csv";
pub const LOSS_CSV: &str = "loss.csv";
pub const RUN_JSON: &str = "run.json";
pub const SIMILAR_GENES_CSV: &str = "similar_genes.csv";
/// Every gene read, with its change-over-time test and whether it was analysed.
pub const GENES_CSV: &str = "genes.csv";
/// Enrichment of each cluster in the user's gene sets (only with gene sets).
pub const ENRICHMENT_CSV: &str = "enrichment.csv";
/// Each gene's co-clustering confidence.
pub const STABILITY_CSV: &str = "stability.csv";
/// [`CLUSTERS_GMT`] limited to each cluster's membership core.
pub const CORES_GMT: &str = "clusters_core.gmt";
/// `Benchmark this machine`'s report: seconds per epoch on each compute path, to send in.
pub const BENCHMARK_JSON: &str = "benchmark.json";
/// The session file `vrnn-clustering run` writes beside its results.
pub const SESSION: &str = "session.vrnn";
/// The extension of session files.
pub const SESSION_EXTENSION: &str = "vrnn";

/// The files computed from the analysis alone, in the order the page offers them (one gene
/// list per cluster, [`cluster_list`], follows them).
pub const ANALYSIS: [&str; 9] = [
    CLUSTERS_CSV,
    MEMBERSHIPS_CSV,
    CLUSTERS_GMT,
    CORES_GMT,
    STABILITY_CSV,
    LATENTS_CSV,
    UMAP_CSV,
    MEANS_CSV,
    RECONSTRUCTION_CSV,
];

/// The gene list of 1-based cluster `c`.
pub fn cluster_list(c: usize) -> String {
    format!("cluster_{c}.txt")
}

/// The 1-based cluster a gene-list file name names, if it is one.
pub fn parse_cluster_list(name: &str) -> Option<usize> {
    name.strip_prefix("cluster_")?
        .strip_suffix(".txt")?
        .parse()
        .ok()
}

/// The MIME type a file is offered with.
pub fn mime(name: &str) -> &'static str {
    if name.ends_with(".json") {
        "application/json"
    } else if name.ends_with(".csv") {
        "text/csv"
    } else if name.ends_with(".vrnn") {
        "application/octet-stream"
    } else {
        "text/plain"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_lists_round_trip() {
        assert_eq!(cluster_list(3), "cluster_3.txt");
        assert_eq!(parse_cluster_list("cluster_12.txt"), Some(12));
        assert_eq!(parse_cluster_list("cluster_x.txt"), None);
        assert_eq!(parse_cluster_list("clusters.csv"), None);
    }
}
