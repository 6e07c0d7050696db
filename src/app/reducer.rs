//! The worker's responses, applied to the page's state: [`reduce`] is the one place where a
//! [`Response`] changes what the page shows. What a response asks beyond the state (a request
//! back to the worker, a file to save) it returns as [`Followup`]s for the caller to carry
//! out, so the reducer itself touches neither the worker nor the browser and is tested natively.

use leptos::prelude::*;
use vrnn_protocol::{defaults, Backend, Compute, Request, Response};

use super::state::{AppState, GeneSets, Phase, SimilarList, StoredRun};
use crate::format;
use status::{
    analysed_status, backend_label, benchmark_status, epoch_status, loaded_status, reading_status,
};

/// What the page does after applying a response.
#[derive(Debug, Clone, PartialEq)]
pub enum Followup {
    /// Send this request to the worker.
    Send(Request),
    /// Save this file through the browser's download.
    Save(Download),
}

/// A file the worker sent, to save.
#[derive(Debug, Clone, PartialEq)]
pub struct Download {
    pub name: String,
    pub mime: String,
    pub body: Body,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    Text(String),
    Bytes(Vec<u8>),
}

const READY: &str = "Ready: drop a CSV file to begin.";

/// Applies one response of the worker to the state; returns what the page must do next.
pub fn reduce(s: &AppState, response: Response) -> Vec<Followup> {
    match response {
        Response::Ready => {
            if s.phase.get_untracked() == Phase::Starting {
                s.phase.set(Phase::Idle);
                s.status.set(READY.into());
            }
            let aids = s.aids.get_value();
            s.aids.set_value(Vec::new());
            let workers = Request::Workers {
                count: s.workers.get_untracked(),
            };
            return [Request::ListSaved, workers]
                .into_iter()
                .chain(aids)
                .map(Followup::Send)
                .collect();
        }
        Response::SavedRuns(runs) => s.saved.set(runs),
        Response::Stored {
            id,
            epochs,
            finished,
        } => s.stored.set(Some(StoredRun {
            id,
            epochs,
            finished,
        })),
        Response::Crashed { message } => return crashed(s, &message),
        Response::Reading {
            file_name,
            bytes,
            total,
            rows,
            seconds,
        } => s
            .status
            .set(reading_status(&file_name, bytes, total, rows, seconds)),
        Response::Loaded(summary) => {
            s.status.set(loaded_status(&summary));
            s.genes.set(defaults::gene_count(summary.shape.n_genes));
            s.time_options.set(if summary.time_columns.is_empty() {
                std::iter::once(summary.shape.time_column.clone())
                    .chain(summary.shape.metadata_columns.iter().cloned())
                    .collect()
            } else {
                summary.time_columns.clone()
            });
            s.time_values.set(summary.info.time_values.clone());
            s.summary.set(Some(summary));
            s.stored.set(None);
            s.history.set(Vec::new());
            s.clear_analysis();
            s.backend.set(None);
            // The data set a new worker reopens after a crash must not hide the crash's alert.
            if !s.keep_alert.get_value() {
                s.error.set(None);
            }
            s.keep_alert.set_value(false);
            s.phase.set(Phase::Idle);
        }
        Response::LoadFailed {
            message,
            time_candidates,
            time_values,
            ..
        } => {
            if !time_candidates.is_empty() {
                s.time_options.set(time_candidates);
            }
            if !time_values.is_empty() {
                // Labels that need a time: keep what was typed for the others.
                let typed = s.time_values.get_untracked();
                s.time_values.set(
                    time_values
                        .into_iter()
                        .map(|v| {
                            typed
                                .iter()
                                .find(|t| t.label == v.label)
                                .cloned()
                                .unwrap_or(v)
                        })
                        .collect(),
                );
            }
            s.error.set(Some(message));
            s.phase.set(s.settled_phase());
            s.status
                .set("The file was not loaded; the previous data and results are kept.".into());
        }
        Response::LoadCancelled { file_name } => {
            s.phase.set(s.settled_phase());
            s.status.set(format!(
                "Reading {file_name} was cancelled; the previous data and results are kept."
            ));
        }
        Response::GeneSetsLoaded {
            file_name,
            sets,
            genes,
        } => s.gene_sets.set(GeneSets {
            reading: None,
            loaded: Some((file_name, sets, genes)),
            error: None,
        }),
        // The sets read before (if any) stay in use, so only the message changes.
        Response::GeneSetsFailed { message, .. } => s.gene_sets.update(|g| {
            g.reading = None;
            g.error = Some(message);
        }),
        Response::Notice { message } => s.notice.set(Some(message)),
        Response::Started {
            backend,
            note,
            reason,
            history,
            workers,
        } => {
            // The earlier results stay until a run has really started (a refused run, such as
            // more clusters than genes, keeps them).
            if history.is_empty() {
                s.stored.set(None);
            }
            s.history.set(history);
            s.clear_analysis();
            s.backend.set(Some(backend));
            s.backend_workers.set(workers);
            s.backend_reason.set(reason);
            if let Some(note) = note {
                s.notice.update(|n| {
                    *n = Some(match n.take() {
                        Some(earlier) => format!("{earlier} {note}"),
                        None => note,
                    })
                });
            }
            s.status.set(format!("Training on {}…", backend.label()));
            s.phase.set(Phase::Training {
                backend: Some(backend),
            });
        }
        Response::Measuring { label } => s.status.set(label),
        Response::Epoch(e) => {
            s.status.set(epoch_status(&e, s.backend.get_untracked()));
            s.history.update(|h| h.push(e));
        }
        Response::Finished { epochs, seconds } => {
            let t = format!(
                "{epochs} epochs in {} on {} ({:.3} s per epoch)",
                format::duration(seconds),
                backend_label(s.backend.get_untracked()),
                seconds / epochs.max(1) as f64
            );
            s.status.set(format!("Trained {t}; analysing…"));
            s.trained.set(t);
            s.phase.set(Phase::Analysing);
        }
        Response::Progress { label, fraction } => s
            .status
            .set(format!("Analysing: {label} ({:.0} %)", fraction * 100.0)),
        Response::Analysed(view) => {
            s.status
                .set(analysed_status(&s.trained.get_untracked(), &view));
            s.k.set(view.clusters.k);
            // The threshold is no training setting: the analysis says which one its cores
            // used (an analysis without memberships, from an older session, has none).
            if !view.clusters.membership.is_empty() {
                s.core_threshold.set(view.clusters.core_threshold);
            }
            s.selected.set(None);
            s.similar.set(None);
            s.analysis.set(Some(*view));
            s.phase.set(Phase::Done);
        }
        Response::Reclustered(clusters) => {
            let n = clusters.k;
            s.analysis.update(|a| {
                if let Some(a) = a {
                    a.clusters = clusters;
                }
            });
            // The similar-genes table shows cluster numbers: it is asked for again (the
            // commands watch the clustering).
            s.similar.set(None);
            s.status.set(format!(
                "Finished: re-clustered into {n} clusters without retraining."
            ));
        }
        Response::Similar { query, genes } => s.similar.set(Some(SimilarList { query, genes })),
        Response::File {
            name,
            mime,
            contents,
        } => {
            return vec![Followup::Save(Download {
                name,
                mime,
                body: Body::Text(contents),
            })]
        }
        Response::BinaryFile { name, mime, bytes } => {
            return vec![Followup::Save(Download {
                name,
                mime,
                body: Body::Bytes(bytes),
            })]
        }
        Response::Restored {
            file_name,
            history,
            backend,
            seconds,
            epochs_total,
            analysed,
        } => {
            let done = history.len();
            s.trained.set(format!(
                "{done} epochs in {} on {}, reopened from {file_name}",
                format::duration(seconds),
                backend.label()
            ));
            s.backend.set(Some(backend));
            s.history.set(history);
            if analysed {
                s.phase.set(Phase::Analysing);
            } else {
                s.epochs.set(epochs_total.max(done + 1));
                s.status.set(format!(
                    "Reopened {file_name}: a checkpoint at epoch {done} of {epochs_total}. Press \"Resume\" to go on from there."
                ));
                s.phase.set(Phase::Done);
            }
        }
        Response::Cancelled { epochs } => {
            s.status.set(format!(
                "Cancelled after {epochs} epochs; the losses so far are kept, and Resume goes on from here."
            ));
            s.phase.set(Phase::Done);
        }
        Response::Benchmarking { label } => {
            s.benchmarking.set(true);
            s.status.set(label);
        }
        Response::Benchmarked(report) => {
            s.benchmarking.set(false);
            s.status.set(benchmark_status(&report));
            s.benchmark.set(Some(report));
        }
        Response::Failed { message } => {
            s.benchmarking.set(false);
            s.error.set(Some(message));
            s.status.set("Stopped with an error.".into());
            s.phase.set(s.settled_phase());
        }
    }
    Vec::new()
}

/// The worker died and a new one started: reopen the run from its latest stored copy (on the
/// CPU at once, when WebGPU failed while training), or start over when none was stored.
fn crashed(s: &AppState, message: &str) -> Vec<Followup> {
    s.benchmarking.set(false);
    // The new worker has not read the gene sets: the page must not say it has.
    s.gene_sets.set(GeneSets::default());
    let on_webgpu = matches!(
        s.phase.get_untracked(),
        Phase::Training {
            backend: Some(Backend::WebGpu)
        }
    );
    let reopen = |id: String, resume: Option<Compute>| {
        s.keep_alert.set_value(true);
        vec![Followup::Send(Request::OpenSaved { id, resume })]
    };
    match s.stored.get_untracked() {
        Some(StoredRun {
            id,
            epochs,
            finished: false,
        }) if on_webgpu => {
            s.error.set(Some(format!(
                "WebGPU failed during training ({message}); the run continues on the CPU backend from the checkpoint at epoch {epochs}."
            )));
            s.compute.set(Compute::Cpu);
            reopen(id, Some(Compute::Cpu))
        }
        Some(StoredRun {
            id,
            epochs,
            finished,
        }) => {
            let advice = if finished {
                "Nothing was lost.".to_string()
            } else {
                format!("The checkpoint at epoch {epochs} is reopened: press \"Resume\" to go on.")
            };
            s.error.set(Some(format!(
                "The analysis worker crashed ({message}); a new one was started. {advice}"
            )));
            reopen(id, None)
        }
        None => {
            s.error.set(Some(format!(
                "The analysis worker crashed ({message}); a new one was started. Load the file again to go on."
            )));
            s.summary.set(None);
            s.history.set(Vec::new());
            s.analysis.set(None);
            s.phase.set(Phase::Idle);
            s.status.set(READY.into());
            Vec::new()
        }
    }
}

mod status;

#[cfg(test)]
mod tests;
