//! What the page asks of its worker: every [`Request`] the page sends starts here, from a
//! control's handler or from a change of state that needs the worker (a new k re-clusters, a
//! selected gene asks for its similar genes). Each command first sets the state that shows
//! it was asked (status line, phase), then sends.

use std::rc::Rc;

use leptos::prelude::*;
use vrnn_protocol::{LoadOptions, Request, Response};

use super::browser;
use super::reducer::{self, Followup};
use super::state::{AppState, Phase};
use crate::client::WorkerClient;

/// The page's handle on the worker; `Copy`, so every control's handler takes it by value.
#[derive(Clone, Copy)]
pub struct Commands {
    state: AppState,
    client: StoredValue<Option<Rc<WorkerClient>>, LocalStorage>,
}

impl Commands {
    /// Starts the worker; its responses go through [`reducer::reduce`] into `state`.
    pub fn start(state: AppState) -> Self {
        let commands = Self {
            state,
            client: StoredValue::new_local(None),
        };
        match WorkerClient::start(move |r| commands.receive(r)) {
            Ok(c) => commands.client.set_value(Some(c)),
            Err(e) => state.error.set(Some(e)),
        }
        // The `Workers` setting applies from the next run; a worker that starts (again) is told
        // at `Ready` (the reducer).
        Effect::new(move |_| {
            let count = state.workers.get();
            commands.send(&Request::Workers { count });
        });
        commands
    }

    fn receive(self, response: Response) {
        for followup in reducer::reduce(&self.state, response) {
            match followup {
                Followup::Send(request) => self.send(&request),
                Followup::Save(download) => browser::save_file(download),
            }
        }
    }

    fn send(self, request: &Request) {
        self.client.with_value(|c| {
            if let Some(c) = c {
                c.send(request)
            }
        })
    }

    /// Clears the alert and the notice before a new action.
    fn clear_messages(self) {
        self.state.error.set(None);
        self.state.notice.set(None);
    }

    /// Reads dropped or picked files (a data set, 10x samples with their sample sheet, or a
    /// session), detecting everything anew.
    pub fn load_files(self, files: Vec<(String, web_sys::File)>) {
        if files.is_empty() {
            return;
        }
        self.state.time_options.set(Vec::new());
        self.state.time_values.set(Vec::new());
        self.state.load_options.set(LoadOptions::default());
        self.state.last_files.set_value(files);
        self.reload();
    }

    /// Reads the last files again with this time column (empty: find it again).
    pub fn choose_time(self, column: String) {
        self.state
            .load_options
            .update(|o| o.time_column = (!column.is_empty()).then_some(column));
        self.reload();
    }

    /// Reads the last files again with another `Matrix`, `Gene names` or `Normalise counts`.
    pub fn set_option(self, change: impl FnOnce(&mut LoadOptions)) {
        self.state.load_options.update(change);
        self.reload();
    }

    /// `Apply times`: reads the last files again with the times typed in `Time values`.
    pub fn apply_times(self) {
        let given: Vec<(String, f64)> = self
            .state
            .time_values
            .get_untracked()
            .into_iter()
            .filter_map(|v| Some((v.label, v.time?)))
            .collect();
        self.state.load_options.update(|o| o.time_values = given);
        self.reload();
    }

    /// Sends the last files with the current options.
    fn reload(self) {
        let s = self.state;
        let files = s.last_files.get_value();
        let name = match &files[..] {
            [(path, _)] => path.clone(),
            many => format!("{} files", many.len()),
        };
        s.error.set(None);
        s.phase.set(Phase::Loading(name.clone()));
        s.status.set(format!("Reading {name}…"));
        let request = Request::Load {
            file_name: name,
            files: files.iter().map(|(p, _)| p.clone()).collect(),
            options: s.load_options.get_untracked(),
        };
        let blobs: Vec<web_sys::Blob> = files.into_iter().map(|(_, f)| f.into()).collect();
        self.client.with_value(|c| {
            if let Some(c) = c {
                c.send_with_files(&request, &blobs)
            }
        });
    }

    pub fn load_demo(self) {
        let s = self.state;
        s.error.set(None);
        s.phase.set(Phase::Loading("demo".into()));
        s.status
            .set("Generating the demo data (simulated in this tab)…".into());
        self.send(&Request::LoadDemo);
    }

    /// Keeps the cells of one cell type (empty: all cells).
    pub fn choose_cell_type(self, value: String) {
        self.state.error.set(None);
        let cell_type = (!value.is_empty()).then_some(value);
        self.send(&Request::FilterCellType { cell_type });
    }

    /// Trains a new run with the settings shown.
    pub fn train(self) {
        let s = self.state;
        self.clear_messages();
        s.status.set("Starting training…".into());
        s.phase.set(Phase::Training { backend: None });
        self.send(&Request::Train(s.train_settings()));
    }

    /// Times this browser's compute paths on a fixed workload (`Benchmark this machine`).
    pub fn benchmark(self) {
        self.clear_messages();
        self.state.benchmarking.set(true);
        self.state.status.set("Benchmarking this machine…".into());
        self.send(&Request::Benchmark);
    }

    /// Stops what the worker is doing (reading, training, analysing) at its next step.
    pub fn cancel(self) {
        self.send(&Request::Cancel);
    }

    /// Trains the current run further from its last weights, up to `Epochs` in all.
    pub fn resume(self) {
        let s = self.state;
        self.clear_messages();
        s.status
            .set("Going on training from the last weights…".into());
        s.phase.set(Phase::Training { backend: None });
        self.send(&Request::Resume {
            epochs: s.epochs.get_untracked().max(1),
            compute: s.compute.get_untracked(),
        });
    }

    /// Reopens a run kept in this browser.
    pub fn reopen(self, id: String) {
        self.clear_messages();
        self.state
            .status
            .set("Reopening the saved analysis…".into());
        self.send(&Request::OpenSaved { id, resume: None });
    }

    /// Forgets a run kept in this browser.
    pub fn delete(self, id: String) {
        self.send(&Request::DeleteSaved { id });
    }

    /// Reads a gene-set file (GMT, or a `gene,set` table); the worker answers
    /// `GeneSetsLoaded` or `GeneSetsFailed`, then tests every analysis, this one included,
    /// for enrichment in its sets.
    pub fn load_gene_sets(self, file: web_sys::File) {
        let file_name = file.name();
        self.state.gene_sets.update(|g| {
            g.reading = Some(file_name.clone());
            g.error = None;
        });
        self.client.with_value(|c| {
            if let Some(c) = c {
                c.send_with_file(&Request::GeneSets { file_name }, &file)
            }
        });
    }

    /// A new membership-core threshold: the analysis shown is clustered again with it (no
    /// retraining). Sent from the control rather than followed from the state, so that an
    /// analysis without memberships (an older session) is never re-clustered unasked.
    pub fn set_core_threshold(self, threshold: f64) {
        let s = self.state;
        let threshold = threshold.clamp(0.0, 1.0);
        if !threshold.is_finite() || threshold == s.core_threshold.get_untracked() {
            return;
        }
        s.core_threshold.set(threshold);
        let has_analysis = s.analysis.with_untracked(|a| a.is_some());
        if has_analysis && s.phase.get_untracked() == Phase::Done {
            self.send(&Request::Recluster {
                k: s.k.get_untracked().max(1),
                core_threshold: threshold,
            });
        }
    }

    /// Asks for one of the run's files (names from `vrnn_protocol::files`); it comes back as a
    /// download.
    pub fn export(self, name: String) {
        self.send(&Request::Export { name });
    }

    /// Sends what follows from the state: a new k after training re-clusters the same latents
    /// (no retraining, with the core threshold shown), and the similar-genes table follows the
    /// selected gene, its length and the clustering.
    pub fn follow_state(self) {
        let s = self.state;
        Effect::new(move || {
            let k = s.k.get();
            let current = s.analysis.with(|a| a.as_ref().map(|a| a.clusters.k));
            if current.is_some_and(|c| c != k) && k >= 1 && s.phase.get_untracked() == Phase::Done {
                self.send(&Request::Recluster {
                    k,
                    core_threshold: s.core_threshold.get_untracked(),
                });
            }
        });
        Effect::new(move || {
            let gene = s.selected.get().and_then(|g| {
                s.analysis
                    .with(|a| a.as_ref().and_then(|a| a.genes.get(g).cloned()))
            });
            // Tracks the clustering: the table shows cluster numbers.
            let _ = s
                .analysis
                .with(|a| a.as_ref().map(|a| a.clusters.labels.len() + a.clusters.k));
            let n = s.similar_n.get();
            if let Some(gene) = gene {
                self.send(&Request::Similar { gene, n });
            }
        });
    }
}
