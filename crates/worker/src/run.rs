//! Training and what follows it: one run at a time through the engine's run pipeline, with
//! checkpoints into the browser's storage, then the analysis, reclustering and similar genes.

use std::cell::Cell;

use vrnn_engine::analysis::Progress;
use vrnn_engine::enrich::GeneSets;
use vrnn_engine::parts::PartOutput;
use vrnn_engine::run::{Hooks, Trained};
use vrnn_engine::train::PartsBatch;
use vrnn_engine::{AnalysisError, EpochLosses, Run, RunError, Session, Source};
use vrnn_protocol::{defaults, Backend, Compute, EpochReport, Response, TrainSettings};
use wasm_bindgen::JsValue;

use crate::compute::{self, Chosen};
use crate::pool::Pool;
use crate::saved;
use crate::state::{
    fail, navigator, now_s, post, yield_to_event_loop, CancelFlag, CurrentRun, Shared,
};

/// Seconds between checkpoints while training.
const CHECKPOINT_S: f64 = 5.0;

/// The right to train: one run at a time per worker.
pub struct Exclusive(Shared);

/// Takes the right to train, or says that a run is already in progress.
pub fn exclusive(state: &Shared, cancel: &CancelFlag) -> Option<Exclusive> {
    if state.borrow().running {
        fail("a training run is already in progress");
        return None;
    }
    cancel.set(false);
    Some(Exclusive::hold(state))
}

impl Exclusive {
    /// The right to train, for a caller that has checked that no run is in progress.
    pub fn hold(state: &Shared) -> Exclusive {
        Exclusive(state.clone())
    }

    /// Runs `job` holding the right to train.
    pub async fn run(self, job: impl std::future::Future<Output = ()>) {
        self.0.borrow_mut().running = true;
        job.await;
        self.0.borrow_mut().running = false;
    }
}

/// A new run on the data set in use.
pub async fn train(state: Shared, cancel: CancelFlag, settings: TrainSettings) {
    let Some((dataset, source)) = state.borrow().data.as_ref().map(|d| {
        let source = Source {
            name: d.file_name.clone(),
            cell_type: d.cell_type.clone(),
            ingest_s: d.read.seconds,
            read: d.tally.as_ref().map(|t| t.read_info()).unwrap_or_default(),
        };
        (d.dataset.clone(), source)
    }) else {
        return fail("load a CSV file before training");
    };
    let probe = |device, backend| {
        Run::new(
            &dataset,
            source.clone(),
            settings.clone(),
            device,
            backend,
            now_s,
        )
        .ok()
        .map(|(run, _)| run)
    };
    let Chosen {
        device,
        backend,
        note,
        reason,
    } = compute::choose(&state, &cancel, settings.compute, &probe).await;
    let (run, notice) = match Run::new(&dataset, source, settings, device, backend, now_s) {
        Ok(r) => r,
        Err(e @ RunError::TooFewGenes { .. }) => {
            return fail(format!("{e}: lower \"Clusters (k)\" or keep more genes"));
        }
        Err(e) => return fail(e.to_string()),
    };
    if let Some(message) = notice {
        post(&Response::Notice { message });
    }
    let (pool, pool_note) = helpers(&state, backend, run.trainer.config.parts).await;
    post(&Response::Started {
        backend,
        note: join(note, pool_note),
        reason,
        history: vec![],
        workers: pool.as_ref().map_or(0, Pool::size),
    });
    state.borrow_mut().current = None;
    drive(&state, &cancel, run, pool, saved::new_run_id()).await;
}

/// Goes on training the current run (finished, cancelled or reopened) up to `epochs` in all.
pub async fn resume_current(state: Shared, cancel: CancelFlag, epochs: usize, compute: Compute) {
    let current = state
        .borrow()
        .current
        .as_ref()
        .map(|c| (c.session.clone(), c.id.clone()));
    let Some((s, id)) = current else {
        return fail("there is no run to continue: train a model or open a session first");
    };
    if s.analysis.is_some() && epochs <= s.epochs_done() {
        return fail(format!(
            "this run has trained {} epochs: set \"Epochs\" higher to continue it",
            s.epochs_done()
        ));
    }
    resume(&state, &cancel, s, id, epochs, compute, None).await;
}

/// Goes on training a session from its weights up to `epochs` in all, then analyses it.
pub async fn resume(
    state: &Shared,
    cancel: &Cell<bool>,
    s: Session,
    id: String,
    epochs: usize,
    compute: Compute,
    note: Option<String>,
) {
    let probe = |device, backend| Run::resume(s.clone(), epochs, device, backend, now_s).ok();
    let Chosen {
        device,
        backend,
        note: device_note,
        reason,
    } = compute::choose(state, cancel, compute, &probe).await;
    let per_epoch = s.train_s / s.epochs_done().max(1) as f64;
    let run = match Run::resume(s, epochs, device, backend, now_s) {
        Ok(r) => r,
        Err(e) => return fail(e.to_string()),
    };
    let (pool, pool_note) = helpers(state, backend, run.trainer.config.parts).await;
    post(&Response::Started {
        backend,
        note: join(join(note, device_note), pool_note),
        reason,
        history: saved::reports(&run.history, run.settings.epochs, per_epoch),
        workers: pool.as_ref().map_or(0, Pool::size),
    });
    drive(state, cancel, run, pool, id).await;
}

/// Two notes as one.
fn join(a: Option<String>, b: Option<String>) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => Some(format!("{a} {b}")),
        (a, b) => a.or(b),
    }
}

/// Training helpers for a run's batches: as many as asked for (by default one per core but the
/// page's), at most one per part; none on WebGPU, which computes a batch in one part here.
/// When they cannot start, the batches are computed here and the note says why.
pub async fn helpers(
    state: &Shared,
    backend: Backend,
    parts: usize,
) -> (Option<Pool>, Option<String>) {
    let (asked, pool) = {
        let st = state.borrow();
        (st.workers, st.pool.clone())
    };
    let count = asked.unwrap_or_else(default_workers).min(parts);
    if backend != Backend::Cpu || count == 0 {
        pool.clear();
        return (None, None);
    }
    match pool.resize(count).await {
        Ok(()) => (Some(pool), None),
        Err(e) => {
            pool.clear();
            (
                None,
                Some(format!(
                    "The training helpers could not start ({e}); training in one worker."
                )),
            )
        }
    }
}

/// [`defaults::workers`] for this browser's logical cores (the page says how many it wants
/// when it starts; this is for a worker not told).
pub fn default_workers() -> usize {
    let cores = js_sys::Reflect::get(&navigator(), &JsValue::from_str("hardwareConcurrency"))
        .ok()
        .and_then(|c| c.as_f64())
        .unwrap_or(1.0) as usize;
    defaults::workers(cores)
}

/// What the worker does around the engine's training loop: yields so a Cancel is heard,
/// reports each epoch, keeps a checkpoint every few seconds, hands batches to the training
/// helpers, and the tests' injected panic and helper crash.
struct WorkerHooks<'a> {
    state: &'a Shared,
    cancel: &'a Cell<bool>,
    id: &'a str,
    last_save: Option<f64>,
    pool: Option<Pool>,
    /// The run trains on the CPU backend.
    cpu: bool,
    /// Helper crashes already told to the page (once per run is enough).
    crash_told: bool,
}

impl Hooks for WorkerHooks<'_> {
    async fn before_batch(&mut self) -> bool {
        yield_to_event_loop().await;
        !self.cancel.get()
    }

    /// Every CPU run hands out its batches in parts, to the helpers or (with none) to the
    /// engine's own copy of a helper's code: so 0, 1 or 8 helpers give the same numbers.
    fn pooled(&self) -> bool {
        self.cpu
    }

    async fn parts(
        &mut self,
        batch: &PartsBatch,
        meanwhile: &mut dyn FnMut(),
    ) -> Option<Vec<PartOutput>> {
        let pool = self.pool.as_ref()?;
        let out = pool.compute(batch, meanwhile).await;
        let crashes = pool.take_crashes();
        if !crashes.is_empty() && !self.crash_told {
            self.crash_told = true;
            let what = crashes.join("; ");
            post(&Response::Notice {
                message: match &out {
                    Some(_) => format!(
                        "A training helper stopped and was replaced ({what}); its part was computed again, so the results are unchanged."
                    ),
                    None => format!(
                        "The training helpers stopped ({what}); this batch was computed in the analysis worker, with the same results."
                    ),
                },
            });
        }
        out
    }

    async fn after_epoch(&mut self, run: &Run, e: EpochLosses) {
        post(&Response::Epoch(EpochReport {
            epoch: e.epoch,
            epochs: run.settings.epochs,
            train_loss: e.train,
            test_loss: e.test,
            elapsed: run.train_seconds(),
        }));
        let helper_fault = self.state.borrow().helper_fault.clone();
        if let Some((_, fault)) = helper_fault.filter(|(at, _)| *at == e.epoch) {
            self.state.borrow_mut().helper_fault = None;
            if let Some(pool) = &self.pool {
                pool.inject_next_part(fault);
            }
        }
        let fault = self.state.borrow().fault;
        if let Some((at, only_on_webgpu)) = fault {
            if e.epoch == at && (!only_on_webgpu || run.backend == Backend::WebGpu) {
                self.state.borrow_mut().fault = None;
                if only_on_webgpu {
                    panic!("WebGPU device lost (injected by the tests at epoch {at})");
                }
                panic!("injected by the tests at epoch {at}");
            }
        }
        let due = self.last_save.is_none_or(|t| now_s() - t >= CHECKPOINT_S);
        if due && !run.trainer.is_done() {
            checkpoint(self.state, run, self.id).await;
            self.last_save = Some(now_s());
        }
    }
}

/// Keeps the run as it stands as the current run and in the browser's storage.
async fn checkpoint(state: &Shared, run: &Run, id: &str) {
    let session = run.session().await;
    set_current(state, id, session);
    saved::keep(state, false).await;
}

/// Makes `session` the current run, keeping the storage warning of the same run.
fn set_current(state: &Shared, id: &str, session: Session) {
    let mut st = state.borrow_mut();
    match st.current.as_mut().filter(|c| c.id == id) {
        Some(c) => {
            c.session = session;
            c.similar = None;
        }
        None => st.current = Some(CurrentRun::new(id.to_string(), session)),
    }
}

/// Trains to the end, keeping a checkpoint every few seconds, then analyses and keeps the
/// whole session. A Cancel keeps a last checkpoint, from which `Resume` can go on.
async fn drive(state: &Shared, cancel: &Cell<bool>, mut run: Run, pool: Option<Pool>, id: String) {
    let mut hooks = WorkerHooks {
        state,
        cancel,
        id: &id,
        last_save: None,
        pool,
        cpu: run.backend == Backend::Cpu,
        crash_told: false,
    };
    if run.train(&mut hooks).await == Trained::Stopped {
        checkpoint(state, &run, &id).await;
        return post(&Response::Cancelled {
            epochs: run.epochs_done(),
        });
    }
    post(&Response::Finished {
        epochs: run.epochs_done(),
        seconds: run.train_seconds(),
    });
    set_current(state, &id, run.session().await);
    match run.analyse(|p| report(p, cancel)).await {
        Ok(_) => {}
        Err(RunError::Analysis(AnalysisError::Cancelled)) => {
            saved::keep(state, false).await;
            return post(&Response::Cancelled {
                epochs: run.epochs_done(),
            });
        }
        Err(e) => return fail(e.to_string()),
    }
    if let Err(e) = run.train_replicates(|p| report(p, cancel)).await {
        post(&Response::Notice {
            message: format!(
                "The stability trainings stopped ({e}); stability is measured over the k-means restarts only."
            ),
        });
    }
    let (sets, alpha) = {
        let st = state.borrow();
        (st.gene_sets.clone(), st.core_threshold)
    };
    if let Some(a) = run.analysis.as_mut() {
        if let Some(alpha) = alpha {
            a.set_core_threshold(alpha);
        }
        a.set_gene_sets(sets);
        post(&Response::Analysed(Box::new(a.view())));
    }
    set_current(state, &id, run.session().await);
    saved::keep(state, true).await;
}

/// Tells the page how far the analysis is, lets it be heard, and says whether to go on.
async fn report(p: Progress, cancel: &Cell<bool>) -> bool {
    post(&Response::Progress {
        label: p.label,
        fraction: p.fraction,
    });
    yield_to_event_loop().await;
    !cancel.get()
}

/// Clusters the finished analysis again with another k, without retraining.
pub fn recluster(state: &Shared, k: usize, core_threshold: f64) {
    let mut st = state.borrow_mut();
    if st.running {
        return;
    }
    let Some(c) = st.current.as_mut() else {
        return;
    };
    let Some(n) = c.session.analysis.as_ref().map(|a| a.n_genes()) else {
        return;
    };
    if k < 1 || k > n {
        return fail(format!(
            "Clusters (k) must be between 1 and the number of genes ({n})"
        ));
    }
    if !(0.0..=1.0).contains(&core_threshold) {
        return fail(format!(
            "Core threshold must be between 0 and 1 (it is {core_threshold})"
        ));
    }
    st.core_threshold = Some(core_threshold);
    let Some(c) = st.current.as_mut() else {
        return;
    };
    if c.session.settings.k != k {
        // Cluster numbers in an earlier similar-genes table would now be stale.
        c.similar = None;
    }
    c.session.recluster(k, core_threshold);
    if let Some(a) = &c.session.analysis {
        post(&Response::Reclustered(a.cluster_view()));
    }
    // The kept copy reopens with this clustering.
    let state = state.clone();
    wasm_bindgen_futures::spawn_local(async move { saved::keep(&state, true).await });
}

/// The `n` genes nearest to `gene` in latent space.
pub fn similar(state: &Shared, gene: &str, n: usize) {
    let mut st = state.borrow_mut();
    let Some(c) = st.current.as_mut() else {
        return;
    };
    let Some(a) = c.session.analysis.as_ref() else {
        return;
    };
    match a.similar_named(gene, n) {
        Ok(genes) => {
            let query = a.genes[a.gene_index(gene).unwrap_or(0)].clone();
            post(&Response::Similar {
                query: query.clone(),
                genes: genes.clone(),
            });
            c.similar = Some((query, genes));
        }
        Err(e) => fail(e.to_string()),
    }
}

/// Reads a gene-set file; every analysis from now on (and the current one) is tested for
/// enrichment in it. A bad file changes nothing.
pub async fn gene_sets(state: Shared, file_name: String, file: Option<web_sys::Blob>) {
    let bytes = match file {
        Some(f) => crate::load::read_all(&f).await,
        None => Err("no file arrived with the request".into()),
    };
    let sets = match bytes.map(|b| GeneSets::parse(&file_name, &b)) {
        Ok(Ok(sets)) => sets,
        Ok(Err(e)) => {
            return post(&Response::GeneSetsFailed {
                file_name,
                message: e.to_string(),
            })
        }
        Err(e) => {
            return post(&Response::GeneSetsFailed {
                message: format!("{file_name}: could not be read ({e})"),
                file_name,
            })
        }
    };
    post(&Response::GeneSetsLoaded {
        file_name,
        sets: sets.sets.len(),
        genes: sets.n_genes(),
    });
    let view = {
        let mut st = state.borrow_mut();
        st.gene_sets = Some(sets.clone());
        // While a run trains, the analysis that follows picks them up.
        let running = st.running;
        st.current
            .as_mut()
            .and_then(|c| c.session.analysis.as_mut())
            .filter(|_| !running)
            .map(|a| {
                a.set_gene_sets(Some(sets));
                a.cluster_view()
            })
    };
    if let Some(view) = view {
        post(&Response::Reclustered(view));
        saved::keep(&state, true).await;
    }
}
