//! The status line's text for each step of a run: what [`super::reduce`] writes into
//! `AppState::status`, kept apart so the reducer reads as what changes, not how it is worded.

use vrnn_protocol::{AnalysisView, Backend, BenchmarkReport, DatasetSummary, EpochReport};

use crate::format;

pub(super) fn backend_label(backend: Option<Backend>) -> &'static str {
    backend.map(Backend::label).unwrap_or_default()
}

/// The status line while a file is read.
pub(super) fn reading_status(
    file_name: &str,
    bytes: f64,
    total: f64,
    rows: u64,
    seconds: f64,
) -> String {
    let rate = bytes / seconds.max(1e-3);
    let eta = (total - bytes).max(0.0) / rate.max(1.0);
    format!(
        "Reading {file_name}: {} of {} ({:.0} %) · {} rows · {:.1} MB/s · {} rows/s · ETA {}",
        format::bytes(bytes),
        format::bytes(total),
        100.0 * bytes / total.max(1.0),
        format::count(rows as f64),
        rate / 1e6,
        format::count(rows as f64 / seconds.max(1e-3)),
        format::duration(eta)
    )
}

/// The status line once a data set has loaded.
pub(super) fn loaded_status(s: &DatasetSummary) -> String {
    let of_type = s
        .cell_type
        .as_ref()
        .map(|t| format!(" of type {t}"))
        .unwrap_or_default();
    let read = if s.read.seconds > 0.0 {
        format!(
            " Read {} in {} ({:.1} MB/s).",
            format::bytes(s.read.bytes),
            format::duration(s.read.seconds),
            s.read.bytes / 1e6 / s.read.seconds
        )
    } else {
        String::new()
    };
    format!(
        "Loaded {}: {} cells{of_type}, {} genes, {} time points.{read}",
        s.file_name,
        s.shape.n_cells,
        s.shape.n_genes,
        s.shape.times.len()
    )
}

/// The status line after each epoch.
pub(super) fn epoch_status(e: &EpochReport, backend: Option<Backend>) -> String {
    format!(
        "Epoch {}/{} · train loss {:.4} · test loss {:.4} · ETA {} · {}",
        e.epoch,
        e.epochs,
        e.train_loss,
        e.test_loss,
        format::duration(format::eta(e.epoch, e.epochs, e.elapsed)),
        backend_label(backend)
    )
}

/// The status line once the analysis is in (it contains `Finished`, which the tests await).
pub(super) fn analysed_status(trained: &str, view: &AnalysisView) -> String {
    let t = &view.timings;
    format!(
        "Finished: {trained} · {} clusters of {} genes · analysis {} (latent summary {}, k choice {}, clustering {}, UMAP {}, stability {}).",
        view.clusters.k,
        view.genes.len(),
        format::duration(t.latent_s + t.k_choice_s + t.cluster_s + t.umap_s + t.stability_s),
        format::duration(t.latent_s),
        format::duration(t.k_choice_s),
        format::duration(t.cluster_s),
        format::duration(t.umap_s),
        format::duration(t.stability_s),
    )
}

/// The status line once `Benchmark this machine` has finished: each path's speed or why it
/// was not timed.
pub(super) fn benchmark_status(r: &BenchmarkReport) -> String {
    let paths: Vec<String> = r
        .paths
        .iter()
        .map(|p| match p.seconds_per_epoch {
            Some(s) => format!("{} {s:.3} s/epoch", p.path),
            None => format!("{} not timed", p.path),
        })
        .collect();
    format!("Benchmark: {}.", paths.join("; "))
}
