//! The reducer's tests: each response, applied to a fresh page, and what it leaves.

use super::*;
use crate::app::state::GeneSets;
use crate::app::state::UrlSettings;
use vrnn_protocol::{
    AnalysisTimings, AnalysisView, BenchmarkReport, ClusterView, DatasetShape, DatasetSummary,
    EnrichedTerm, EnrichmentView, EpochReport, PathTiming, StabilityView,
};

fn page() -> AppState {
    AppState::new(UrlSettings::default())
}

fn epoch(epoch: usize) -> EpochReport {
    EpochReport {
        epoch,
        epochs: 4,
        train_loss: 1.5,
        test_loss: 2.25,
        elapsed: epoch as f64,
    }
}

fn analysis(k: usize) -> AnalysisView {
    AnalysisView {
        genes: vec!["IRF1".into(), "CXCL9".into()],
        times: vec![0.0, 1.0],
        means: vec![0.0; 4],
        recon: vec![0.0; 4],
        latent_summary: "Posterior mean".into(),
        latent_dim: 2,
        clusters: ClusterView {
            k,
            labels: vec![1, k],
            shown: vec![vec![]; k],
            ..Default::default()
        },
        k_choice: vec![],
        umap: vec![[0.0, 0.0]; 2],
        timings: AnalysisTimings::default(),
    }
}

fn summary(n_genes: usize) -> DatasetSummary {
    DatasetSummary {
        file_name: "cells.csv".into(),
        shape: DatasetShape {
            n_cells: 60,
            n_genes,
            time_column: "Time".into(),
            metadata_columns: vec!["Cell_ID".into()],
            times: vec![0.0, 3.0],
            cells_per_time: vec![30, 30],
        },
        ..DatasetSummary::default()
    }
}

fn started(s: &AppState, backend: Backend) {
    reduce(
        s,
        Response::Started {
            backend,
            note: None,
            reason: None,
            history: vec![],
            workers: 0,
        },
    );
}

#[test]
fn ready_lists_saved_runs_and_sends_the_workers_and_the_url_aids_once() {
    let fault = Request::InjectPanic {
        at_epoch: 2,
        only_on_webgpu: false,
    };
    let s = AppState::new(UrlSettings {
        aids: vec![fault.clone()],
        workers: Some(3),
        ..UrlSettings::default()
    });
    let workers = Followup::Send(Request::Workers { count: 3 });
    assert_eq!(
        reduce(&s, Response::Ready),
        [
            Followup::Send(Request::ListSaved),
            workers.clone(),
            Followup::Send(fault)
        ]
    );
    assert_eq!(s.phase.get_untracked(), Phase::Idle);
    assert_eq!(s.status.get_untracked(), READY);
    // A restarted worker says Ready again: it is told the workers, the fault is not sent twice.
    assert_eq!(
        reduce(&s, Response::Ready),
        [Followup::Send(Request::ListSaved), workers]
    );
}

#[test]
fn a_loaded_data_set_replaces_the_run_and_proposes_its_gene_count() {
    let s = page();
    s.history.set(vec![epoch(1)]);
    s.analysis.set(Some(analysis(2)));
    s.error.set(Some("old".into()));
    reduce(&s, Response::Loaded(summary(5000)));
    assert_eq!(s.genes.get_untracked(), defaults::MAX_GENES);
    assert_eq!(s.time_options.get_untracked(), ["Time", "Cell_ID"]);
    assert!(s.history.get_untracked().is_empty());
    assert!(s.analysis.get_untracked().is_none());
    assert!(s.error.get_untracked().is_none());
    assert_eq!(s.phase.get_untracked(), Phase::Idle);
    assert_eq!(
        s.status.get_untracked(),
        "Loaded cells.csv: 60 cells, 5000 genes, 2 time points."
    );
    reduce(&s, Response::Loaded(summary(300)));
    assert_eq!(s.genes.get_untracked(), 300);
}

#[test]
fn a_failed_load_keeps_the_previous_run() {
    let s = page();
    s.history.set(vec![epoch(1)]);
    s.phase.set(Phase::Loading("bad.csv".into()));
    reduce(
        &s,
        Response::LoadFailed {
            file_name: "bad.csv".into(),
            message: "bad.csv: no time column".into(),
            time_candidates: vec!["t".into()],
            time_values: vec![],
        },
    );
    assert_eq!(s.phase.get_untracked(), Phase::Done);
    assert_eq!(s.time_options.get_untracked(), ["t"]);
    assert_eq!(
        s.error.get_untracked().as_deref(),
        Some("bad.csv: no time column")
    );
}

#[test]
fn training_reports_its_backend_by_label() {
    let s = page();
    started(&s, Backend::WebGpu);
    assert_eq!(s.status.get_untracked(), "Training on WebGPU…");
    assert_eq!(
        s.phase.get_untracked(),
        Phase::Training {
            backend: Some(Backend::WebGpu)
        }
    );
    reduce(&s, Response::Epoch(epoch(1)));
    assert_eq!(
        s.status.get_untracked(),
        "Epoch 1/4 · train loss 1.5000 · test loss 2.2500 · ETA 3.0 s · WebGPU"
    );
    reduce(
        &s,
        Response::Finished {
            epochs: 4,
            seconds: 2.0,
        },
    );
    assert_eq!(
        s.trained.get_untracked(),
        "4 epochs in 2.0 s on WebGPU (0.500 s per epoch)"
    );
    reduce(&s, Response::Analysed(Box::new(analysis(3))));
    assert_eq!(s.k.get_untracked(), 3);
    assert_eq!(s.phase.get_untracked(), Phase::Done);
    assert!(s.status.get_untracked().starts_with(
        "Finished: 4 epochs in 2.0 s on WebGPU (0.500 s per epoch) · 3 clusters of 2 genes"
    ));
}

#[test]
fn started_notes_add_to_the_notice() {
    let s = page();
    s.notice.set(Some("12 genes never vary.".into()));
    reduce(
        &s,
        Response::Started {
            backend: Backend::Cpu,
            note: Some("No WebGPU adapter.".into()),
            reason: None,
            history: vec![],
            workers: 0,
        },
    );
    assert_eq!(
        s.notice.get_untracked().as_deref(),
        Some("12 genes never vary. No WebGPU adapter.")
    );
}

#[test]
fn autos_reason_is_kept_for_the_run_it_chose() {
    let s = page();
    // While Auto times the paths, the status says which.
    reduce(
        &s,
        Response::Measuring {
            label: "Auto: timing CPU, 1 worker on this data…".into(),
        },
    );
    assert_eq!(
        s.status.get_untracked(),
        "Auto: timing CPU, 1 worker on this data…"
    );
    reduce(
        &s,
        Response::Started {
            backend: Backend::Cpu,
            note: None,
            reason: Some("Auto: a software adapter".into()),
            history: vec![],
            workers: 0,
        },
    );
    assert_eq!(
        s.backend_reason.get_untracked().as_deref(),
        Some("Auto: a software adapter")
    );
    assert_eq!(s.notice.get_untracked(), None, "a reason is not a notice");
    started(&s, Backend::WebGpu);
    assert_eq!(s.backend_reason.get_untracked(), None, "an explicit choice");
}

#[test]
fn a_webgpu_crash_resumes_the_checkpoint_on_the_cpu() {
    let s = page();
    started(&s, Backend::WebGpu);
    reduce(
        &s,
        Response::Stored {
            id: "run-1".into(),
            epochs: 7,
            finished: false,
        },
    );
    let out = reduce(
        &s,
        Response::Crashed {
            message: "device lost".into(),
        },
    );
    assert_eq!(
        out,
        [Followup::Send(Request::OpenSaved {
            id: "run-1".into(),
            resume: Some(Compute::Cpu),
        })]
    );
    assert_eq!(s.compute.get_untracked(), Compute::Cpu);
    assert!(s.error.get_untracked().unwrap().contains("epoch 7"));
    // The reopened data set keeps the alert once.
    reduce(&s, Response::Loaded(summary(10)));
    assert!(s.error.get_untracked().is_some());
    reduce(&s, Response::Loaded(summary(10)));
    assert!(s.error.get_untracked().is_none());
}

#[test]
fn a_cpu_crash_reopens_the_checkpoint_without_resuming() {
    let s = page();
    started(&s, Backend::Cpu);
    s.stored.set(Some(StoredRun {
        id: "run-2".into(),
        epochs: 3,
        finished: false,
    }));
    let out = reduce(
        &s,
        Response::Crashed {
            message: "panic".into(),
        },
    );
    assert_eq!(
        out,
        [Followup::Send(Request::OpenSaved {
            id: "run-2".into(),
            resume: None,
        })]
    );
    assert_eq!(s.compute.get_untracked(), Compute::Auto);
}

#[test]
fn a_crash_with_nothing_stored_starts_over() {
    let s = page();
    s.summary.set(Some(summary(10)));
    started(&s, Backend::Cpu);
    let out = reduce(
        &s,
        Response::Crashed {
            message: "panic".into(),
        },
    );
    assert!(out.is_empty());
    assert!(s.summary.get_untracked().is_none());
    assert_eq!(s.phase.get_untracked(), Phase::Idle);
    assert!(s
        .error
        .get_untracked()
        .unwrap()
        .contains("Load the file again"));
}

#[test]
fn a_reopened_checkpoint_asks_for_at_least_one_more_epoch() {
    let s = page();
    reduce(
        &s,
        Response::Restored {
            file_name: "cells.vrnn".into(),
            history: vec![epoch(1), epoch(2)],
            backend: Backend::Cpu,
            seconds: 1.0,
            epochs_total: 2,
            analysed: false,
        },
    );
    assert_eq!(s.epochs.get_untracked(), 3);
    assert_eq!(s.backend.get_untracked(), Some(Backend::Cpu));
    assert_eq!(s.phase.get_untracked(), Phase::Done);
    assert_eq!(
        s.trained.get_untracked(),
        "2 epochs in 1.0 s on CPU, reopened from cells.vrnn"
    );
}

#[test]
fn reclustering_replaces_the_clusters_and_drops_the_similar_table() {
    let s = page();
    s.analysis.set(Some(analysis(2)));
    s.similar.set(Some(SimilarList {
        query: "IRF1".into(),
        genes: vec![],
    }));
    reduce(
        &s,
        Response::Reclustered(ClusterView {
            k: 4,
            labels: vec![4, 1],
            shown: vec![vec![]; 4],
            ..Default::default()
        }),
    );
    assert_eq!(s.analysis.get_untracked().unwrap().clusters.k, 4);
    assert!(s.similar.get_untracked().is_none());
}

fn term(set: &str) -> EnrichedTerm {
    EnrichedTerm {
        set: set.into(),
        overlap: 2,
        set_size: 10,
        fold: 4.0,
        p: 1e-4,
        q: 1e-3,
        genes: vec!["IRF1".into(), "CXCL9".into()],
    }
}

#[test]
fn reclustering_replaces_stability_enrichment_and_cores() {
    let s = page();
    let mut before = analysis(2);
    before.clusters.stability = StabilityView {
        restarts: 20,
        clusters: vec![0.9, 0.9],
        threshold: 0.75,
        ..Default::default()
    };
    before.clusters.enrichment = Some(EnrichmentView {
        source: "h.gmt".into(),
        clusters: vec![vec![term("OLD")], vec![]],
        ..Default::default()
    });
    s.analysis.set(Some(before));
    let after = ClusterView {
        k: 3,
        labels: vec![3, 1],
        membership: vec![0.9, 0.4],
        core_threshold: 0.6,
        heatmap_order: vec![1, 0],
        stability: StabilityView {
            restarts: 20,
            trainings: 2,
            confidence: vec![0.5, 0.6],
            clusters: vec![0.6, 0.0, 0.5],
            threshold: 0.75,
        },
        enrichment: Some(EnrichmentView {
            source: "h.gmt".into(),
            clusters: vec![vec![term("NEW")], vec![], vec![]],
            ..Default::default()
        }),
        ..Default::default()
    };
    reduce(&s, Response::Reclustered(after.clone()));
    let got = s.analysis.get_untracked().unwrap().clusters;
    assert_eq!(got, after);
    assert!(!got.is_core(1));
    // A re-clustering without enrichment (gene sets gone) drops the old terms.
    reduce(
        &s,
        Response::Reclustered(ClusterView {
            enrichment: None,
            ..after
        }),
    );
    assert!(s
        .analysis
        .get_untracked()
        .unwrap()
        .clusters
        .enrichment
        .is_none());
}

#[test]
fn an_analysis_sets_the_core_threshold_it_used() {
    let s = page();
    let mut a = analysis(2);
    a.clusters.membership = vec![1.0, 0.3];
    a.clusters.core_threshold = 0.7;
    reduce(&s, Response::Analysed(Box::new(a)));
    assert_eq!(s.core_threshold.get_untracked(), 0.7);
    // An older session's analysis has no memberships: the control keeps its value.
    reduce(&s, Response::Analysed(Box::new(analysis(2))));
    assert_eq!(s.core_threshold.get_untracked(), 0.7);
}

#[test]
fn gene_sets_loaded_are_reported_and_a_failure_changes_nothing_else() {
    let s = page();
    s.analysis.set(Some(analysis(2)));
    s.status.set("Finished: 2 clusters".into());
    s.gene_sets.update(|g| g.reading = Some("h.gmt".into()));
    let out = reduce(
        &s,
        Response::GeneSetsLoaded {
            file_name: "h.gmt".into(),
            sets: 50,
            genes: 4000,
        },
    );
    assert!(out.is_empty());
    assert_eq!(
        s.gene_sets.get_untracked(),
        GeneSets {
            reading: None,
            loaded: Some(("h.gmt".into(), 50, 4000)),
            error: None,
        }
    );
    let out = reduce(
        &s,
        Response::GeneSetsFailed {
            file_name: "bad.gmt".into(),
            message: "bad.gmt line 3: a set with no genes".into(),
        },
    );
    assert!(out.is_empty());
    let g = s.gene_sets.get_untracked();
    // The sets read before stay in use and are still reported.
    assert_eq!(g.loaded, Some(("h.gmt".into(), 50, 4000)));
    assert_eq!(
        g.error.as_deref(),
        Some("bad.gmt line 3: a set with no genes")
    );
    // Nothing else changes: not the page's alert, the status line or the analysis.
    assert!(s.error.get_untracked().is_none());
    assert_eq!(s.status.get_untracked(), "Finished: 2 clusters");
    assert_eq!(s.analysis.get_untracked(), Some(analysis(2)));
    // A new worker (after a crash) has not read them.
    reduce(
        &s,
        Response::Crashed {
            message: "panic".into(),
        },
    );
    assert_eq!(s.gene_sets.get_untracked(), GeneSets::default());
}

#[test]
fn files_are_handed_back_to_save() {
    let s = page();
    let out = reduce(
        &s,
        Response::File {
            name: "clusters.csv".into(),
            mime: "text/csv".into(),
            contents: "gene,cluster\n".into(),
        },
    );
    assert_eq!(
        out,
        [Followup::Save(Download {
            name: "clusters.csv".into(),
            mime: "text/csv".into(),
            body: Body::Text("gene,cluster\n".into()),
        })]
    );
}

#[test]
fn reading_status_shows_progress_and_rates() {
    assert_eq!(
        reading_status("big.csv", 50e6, 100e6, 10_000, 2.0),
        "Reading big.csv: 50 MB of 100 MB (50 %) · 10,000 rows · 25.0 MB/s · 5,000 rows/s · ETA 2.0 s"
    );
}

#[test]
fn a_benchmark_holds_training_until_its_report_comes() {
    let s = page();
    reduce(
        &s,
        Response::Benchmarking {
            label: "Benchmarking this machine: CPU, 1 worker, epoch 1 of 4…".into(),
        },
    );
    assert!(
        s.benchmarking.get_untracked(),
        "Cancel works and Train waits"
    );
    let report = BenchmarkReport {
        version: "0".into(),
        user_agent: "test".into(),
        cores: 2,
        adapter: Some("google swiftshader".into()),
        adapter_is_software: true,
        workload: "w".into(),
        paths: vec![
            PathTiming {
                path: "CPU, 1 worker".into(),
                seconds_per_epoch: Some(0.2314),
                epochs_timed: 3,
                note: None,
                pool: None,
            },
            PathTiming {
                path: "WebGPU".into(),
                seconds_per_epoch: None,
                epochs_timed: 0,
                note: Some("a software adapter".into()),
                pool: None,
            },
        ],
    };
    reduce(&s, Response::Benchmarked(report.clone()));
    assert!(!s.benchmarking.get_untracked());
    assert_eq!(s.benchmark.get_untracked(), Some(report));
    assert_eq!(
        s.status.get_untracked(),
        "Benchmark: CPU, 1 worker 0.231 s/epoch; WebGPU not timed."
    );

    // A refused or failed benchmark frees the page too.
    reduce(
        &s,
        Response::Benchmarking {
            label: "…".into()
        },
    );
    reduce(
        &s,
        Response::Failed {
            message: "a training run is already in progress".into(),
        },
    );
    assert!(!s.benchmarking.get_untracked());
}
