//! Message handling and the training loop of the Web Worker.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use vrnn_engine::backend;
use vrnn_engine::burn::tensor::Device;
use vrnn_engine::export::{self, RunInfo};
use vrnn_engine::ingest::{ingest, Ingest, Tally};
use vrnn_engine::model::TorchTensors;
use vrnn_engine::preset::{self, Prepared};
use vrnn_engine::session::{self, Session};
use vrnn_engine::simulate::{simulate, SimulationConfig};
use vrnn_engine::{
    analyse, Analysis, AnalysisError, Dataset, EpochLosses, IngestError, IngestOptions, Trainer,
};
use vrnn_protocol::{
    CellTypeCount, Compute, DatasetSummary, EpochReport, ReadStats, Request, Response, SavedRun,
    SimilarGene, TrainSettings,
};

use crate::store;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

#[derive(Default)]
struct State {
    dataset: Option<Rc<Dataset>>,
    /// The sums of the last file, per cell type: a cell type filter needs no second pass.
    tally: Option<Rc<Tally>>,
    cell_type: Option<String>,
    file_name: String,
    read: ReadStats,
    /// Counts loads, so that a file dropped while another is read supersedes it.
    load_generation: u64,
    /// WebGPU can be initialised once per worker: remember the outcome.
    gpu: Option<Result<Device, String>>,
    running: bool,
    /// The last run: its losses, its settings and timings, and its one analysis, which every
    /// view and download of the page reads.
    history: Vec<EpochLosses>,
    run: Option<RunInfo>,
    analysis: Option<Analysis>,
    similar: Option<(String, Vec<SimilarGene>)>,
    /// What the last run needs to be saved or to go on training: the genes it trained on, what
    /// it was asked for, its id in the browser's storage, and its weights after its last epoch.
    trained: Option<Rc<Dataset>>,
    settings: Option<TrainSettings>,
    run_id: Option<String>,
    weights: Option<TorchTensors>,
    /// A storage failure is reported once per run, not at every checkpoint.
    storage_warned: bool,
    /// A panic asked for by the tests (see [`Request::InjectPanic`]).
    fault: Option<(usize, bool)>,
}

/// Seconds between checkpoints while training.
const CHECKPOINT_S: f64 = 5.0;

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn post(msg: &Response) {
    match serde_json::to_string(msg) {
        Ok(json) => {
            let _ = scope().post_message(&JsValue::from_str(&json));
        }
        Err(e) => web_sys::console::error_1(&format!("cannot encode {msg:?}: {e}").into()),
    }
}

/// Posts a message with bytes beside it (the page's client joins them again).
fn post_with_bytes(msg: &Response, bytes: &[u8]) {
    let Ok(json) = serde_json::to_string(msg) else {
        return;
    };
    let parts = js_sys::Array::new();
    parts.push(&JsValue::from_str(&json));
    parts.push(&js_sys::Uint8Array::from(bytes));
    let _ = scope().post_message(&parts);
}

fn now_s() -> f64 {
    scope()
        .performance()
        .map(|p| p.now() / 1000.0)
        .unwrap_or(0.0)
}

/// The channel [`yield_to_event_loop`] posts to, and the resolvers waiting on it, in order.
type Tick = (
    Option<web_sys::MessageChannel>,
    RefCell<std::collections::VecDeque<js_sys::Function>>,
);

thread_local! {
    static TICK: Tick = {
        let channel = web_sys::MessageChannel::new().ok();
        if let Some(ch) = &channel {
            let on_tick = Closure::<dyn FnMut()>::new(|| {
                if let Some(resolve) = TICK.with(|t| t.1.borrow_mut().pop_front()) {
                    let _ = resolve.call0(&JsValue::NULL);
                }
            });
            ch.port1().set_onmessage(Some(on_tick.as_ref().unchecked_ref()));
            // Lives as long as the worker: the channel is used for every yield.
            on_tick.forget();
        }
        (channel, RefCell::new(std::collections::VecDeque::new()))
    };
}

/// Lets queued messages (a Cancel) run: a macrotask, since awaiting a resolved promise only
/// drains microtasks. A message to our own channel, not `setTimeout(0)`: browsers clamp
/// nested timeouts to 4 ms. With a yield per batch of 20 genes (80 an epoch), an epoch took
/// 1.131 s with the timeout and 1.007 s with the channel.
async fn yield_to_event_loop() {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        let posted = TICK.with(|(channel, waiting)| {
            let ch = channel.as_ref()?;
            ch.port2().post_message(&JsValue::NULL).ok()?;
            waiting.borrow_mut().push_back(resolve.clone());
            Some(())
        });
        if posted.is_none() {
            let _ = scope().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0);
        }
    });
    let _ = JsFuture::from(p).await;
}

pub fn start() {
    // A panic aborts this WebAssembly instance: the page is told why, and starts a new worker.
    // The console gets the location; the page gets the message, which is what a user can read.
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| info.to_string());
        post(&Response::Crashed { message });
    }));
    let state = Rc::new(RefCell::new(State::default()));
    let cancel = Rc::new(Cell::new(false));
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
        let data = ev.data();
        let (json, file) = if let Some(s) = data.as_string() {
            (s, None)
        } else {
            let arr: js_sys::Array = data.unchecked_into();
            (
                arr.get(0).as_string().unwrap_or_default(),
                arr.get(1).dyn_into::<web_sys::Blob>().ok(),
            )
        };
        let request: Request = match serde_json::from_str(&json) {
            Ok(r) => r,
            Err(e) => {
                post(&Response::Failed {
                    message: format!("internal error: unreadable request ({e})"),
                });
                return;
            }
        };
        match request {
            Request::Cancel => cancel.set(true),
            Request::Load {
                file_name,
                time_column,
            } => {
                cancel.set(false);
                spawn_local(load(
                    state.clone(),
                    cancel.clone(),
                    file,
                    file_name,
                    time_column,
                ));
            }
            Request::FilterCellType { cell_type } => filter_cell_type(&state, cell_type),
            Request::Train(settings) => {
                if state.borrow().running {
                    post(&Response::Failed {
                        message: "a training run is already in progress".into(),
                    });
                    return;
                }
                cancel.set(false);
                let (state, cancel) = (state.clone(), cancel.clone());
                spawn_local(async move {
                    state.borrow_mut().running = true;
                    train(&state, &cancel, settings).await;
                    state.borrow_mut().running = false;
                });
            }
            Request::LoadDemo => {
                let state = state.clone();
                spawn_local(async move {
                    let file_name = "demo: simulated IFN-gamma time course".to_string();
                    let t0 = now_s();
                    // The project's default simulation, with fewer cells so it loads in a moment.
                    let config = SimulationConfig::new().with_cells_per_time(100);
                    let mut csv = Vec::new();
                    let result = simulate(&config, &mut csv)
                        .map_err(|e| e.to_string())
                        .and_then(|_| {
                            let tally = ingest(&csv[..], &IngestOptions::default())
                                .map_err(|e| e.to_string())?;
                            let d = tally.dataset(None).map_err(|e| e.to_string())?;
                            Ok((tally, d))
                        });
                    match result {
                        Ok((tally, d)) => {
                            let read = ReadStats {
                                bytes: csv.len() as f64,
                                rows: tally.rows,
                                seconds: now_s() - t0,
                                memory_bytes: 0.0,
                            };
                            loaded(&state, file_name, tally, d, read)
                        }
                        Err(message) => post(&Response::LoadFailed {
                            file_name,
                            message,
                            time_candidates: vec![],
                        }),
                    }
                });
            }
            Request::Continue { epochs, compute } => {
                if state.borrow().running {
                    post(&Response::Failed {
                        message: "a training run is already in progress".into(),
                    });
                    return;
                }
                let Some(s) = current_session(&state.borrow()) else {
                    post(&Response::Failed {
                        message:
                            "there is no run to continue: train a model or open a session first"
                                .into(),
                    });
                    return;
                };
                if s.analysis.is_some() && epochs <= s.epochs_done() {
                    post(&Response::Failed {
                        message: format!(
                            "this run has trained {} epochs: set \"Epochs\" higher to continue it",
                            s.epochs_done()
                        ),
                    });
                    return;
                }
                cancel.set(false);
                let (state, cancel) = (state.clone(), cancel.clone());
                spawn_local(async move {
                    state.borrow_mut().running = true;
                    resume(&state, &cancel, s, epochs, compute, None).await;
                    state.borrow_mut().running = false;
                });
            }
            Request::ListSaved => spawn_local(list_saved()),
            Request::OpenSaved { id, resume } => {
                cancel.set(false);
                spawn_local(open_saved(state.clone(), cancel.clone(), id, resume));
            }
            Request::DeleteSaved { id } => spawn_local(async move {
                if let Err(e) = store::delete(&id).await {
                    post(&Response::Notice {
                        message: format!("The saved analysis could not be deleted: {e}."),
                    });
                }
                list_saved().await;
            }),
            Request::InjectPanic {
                at_epoch,
                only_on_webgpu,
            } => state.borrow_mut().fault = Some((at_epoch, only_on_webgpu)),
            Request::Recluster { k } => recluster(&state, k),
            Request::Similar { gene, n } => similar(&state, &gene, n),
            Request::Export { name } => export_file(&state, &name),
        }
    });
    scope().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    post(&Response::Ready);
}

/// A data set is in: it replaces the previous one and its results (which stayed until now).
fn loaded(
    state: &Rc<RefCell<State>>,
    file_name: String,
    tally: Tally,
    d: Dataset,
    mut read: ReadStats,
) {
    read.memory_bytes = wasm_memory_bytes();
    let mut st = state.borrow_mut();
    st.file_name = file_name;
    st.read = read;
    st.tally = Some(Rc::new(tally));
    st.cell_type = None;
    replace_dataset(&mut st, d);
}

/// Installs a data set (a new file, or another cell type of the same one) and tells the page.
fn replace_dataset(st: &mut State, d: Dataset) {
    post(&Response::Loaded(summary(st, &d)));
    st.dataset = Some(Rc::new(d));
    forget_run(st);
}

/// A new data set or a new run: the previous run's results go.
fn forget_run(st: &mut State) {
    st.history.clear();
    st.run = None;
    st.analysis = None;
    st.similar = None;
    st.trained = None;
    st.settings = None;
    st.run_id = None;
    st.weights = None;
    st.storage_warned = false;
}

/// Keeps one cell type, or all cells again, from the sums already read: no second pass.
fn filter_cell_type(state: &Rc<RefCell<State>>, cell_type: Option<String>) {
    let mut st = state.borrow_mut();
    let file_name = st.file_name.clone();
    let failed = |message: String| {
        post(&Response::LoadFailed {
            file_name: file_name.clone(),
            message,
            time_candidates: vec![],
        })
    };
    if st.running {
        return failed("the cell type can be changed once training has finished".into());
    }
    let Some(tally) = st.tally.clone() else {
        return failed("load a file before choosing a cell type".into());
    };
    match tally.dataset(cell_type.as_deref()) {
        Ok(d) => {
            st.cell_type = cell_type;
            replace_dataset(&mut st, d);
        }
        Err(e) => failed(format!(
            "{file_name}: cell type \"{}\": {e}",
            cell_type.unwrap_or_default()
        )),
    }
}

/// The worker's WebAssembly memory in bytes (its high-water mark: wasm memory never shrinks).
fn wasm_memory_bytes() -> f64 {
    wasm_bindgen::memory()
        .unchecked_into::<js_sys::WebAssembly::Memory>()
        .buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length() as f64
}

/// The current run as a session file: everything needed to show it again or go on training.
fn current_session(st: &State) -> Option<Session> {
    Some(Session {
        version: session::VERSION,
        source: st.file_name.clone(),
        cell_type: st.cell_type.clone(),
        dataset: (**st.trained.as_ref()?).clone(),
        settings: st.settings.clone()?,
        run: st.run.clone()?,
        history: st.history.clone(),
        weights: st.weights.clone()?,
        analysis: st.analysis.clone(),
    })
}

/// The finished analysis as one session file (see `vrnn_engine::session`).
fn export_session(state: &Rc<RefCell<State>>) {
    let st = state.borrow();
    let Some(s) = current_session(&st).filter(|s| s.analysis.is_some()) else {
        return post(&Response::Failed {
            message: "session.vrnn is not available: train a model first".into(),
        });
    };
    let stem = st
        .file_name
        .rsplit_once('.')
        .map_or(st.file_name.as_str(), |(stem, _)| stem);
    post_with_bytes(
        &Response::BinaryFile {
            name: format!("{stem}.{}", session::EXTENSION),
            mime: "application/octet-stream".into(),
            bytes: Vec::new(),
        },
        &s.to_bytes(),
    );
}

/// A fresh id for a run in the browser's storage.
fn new_run_id() -> String {
    format!(
        "{:x}-{:04x}",
        js_sys::Date::now() as u64,
        (js_sys::Math::random() * 65536.0) as u32
    )
}

/// Opens a session (a dropped file or a kept run): its data set, losses and analysis come back
/// without the CSV; a checkpoint comes back ready to go on training.
fn open_session(state: &Rc<RefCell<State>>, file_name: &str, s: Session, id: Option<String>) {
    let mut st = state.borrow_mut();
    st.file_name = s.source.clone();
    st.tally = None;
    st.cell_type = s.cell_type.clone();
    st.read = ReadStats::default();
    post(&Response::Loaded(summary(&st, &s.dataset)));
    let per_epoch = s.run.timings.seconds_per_epoch;
    let epochs_total = s.run.config.epochs;
    post(&Response::Restored {
        file_name: file_name.to_string(),
        history: reports(&s.history, epochs_total, per_epoch),
        backend: s.run.backend.clone(),
        seconds: s.run.timings.train_s,
        epochs_total,
        analysed: s.analysis.is_some(),
    });
    if let Some(a) = &s.analysis {
        post(&Response::Analysed(a.view()));
    }
    let dataset = Rc::new(s.dataset);
    st.dataset = Some(dataset.clone());
    st.trained = Some(dataset);
    st.history = s.history;
    st.run = Some(s.run);
    st.analysis = s.analysis;
    st.settings = Some(s.settings);
    st.weights = Some(s.weights);
    if let Some(id) = &id {
        // The page needs the kept copy's id to reopen it should this worker crash.
        post(&Response::Stored {
            id: id.clone(),
            epochs: st.history.len(),
            finished: st.analysis.is_some(),
        });
    }
    st.run_id = Some(id.unwrap_or_else(new_run_id));
    st.storage_warned = false;
    st.similar = None;
}

fn reports(history: &[EpochLosses], epochs: usize, per_epoch: f64) -> Vec<EpochReport> {
    history
        .iter()
        .map(|e| EpochReport {
            epoch: e.epoch,
            epochs,
            train_loss: e.train,
            test_loss: e.test,
            elapsed: per_epoch * e.epoch as f64,
        })
        .collect()
}

async fn list_saved() {
    match store::list().await {
        Ok(runs) => post(&Response::SavedRuns(runs)),
        Err(e) => post(&Response::Notice {
            message: format!("Saved analyses cannot be listed: {e}."),
        }),
    }
}

/// Reopens a kept run and, when asked, goes on training it at once.
async fn open_saved(
    state: Rc<RefCell<State>>,
    cancel: Rc<Cell<bool>>,
    id: String,
    resume_on: Option<Compute>,
) {
    let opened = store::get(&id).await.and_then(|(run, bytes)| {
        Session::from_bytes(&bytes)
            .map(|s| (run, s))
            .map_err(|e| e.to_string())
    });
    let (run, s) = match opened {
        Ok(x) => x,
        Err(e) => {
            return post(&Response::Failed {
                message: format!("The saved analysis could not be opened: {e}"),
            })
        }
    };
    if state.borrow().running {
        return post(&Response::Failed {
            message: "a training run is in progress: cancel it before reopening another".into(),
        });
    }
    let label = format!("the saved analysis of {}", run.source);
    open_session(&state, &label, s.clone(), Some(id));
    if let Some(compute) = resume_on {
        let target = s.run.config.epochs;
        let note = format!(
            "Training goes on from the checkpoint at epoch {} of {target}.",
            s.epochs_done()
        );
        state.borrow_mut().running = true;
        resume(&state, &cancel, s, target, compute, Some(note)).await;
        state.borrow_mut().running = false;
    }
}

/// Reads a whole (small) file.
async fn read_all(blob: &web_sys::Blob) -> Result<Vec<u8>, String> {
    let data = JsFuture::from(blob.array_buffer())
        .await
        .map_err(|e| format!("{e:?}"))?;
    Ok(js_sys::Uint8Array::new(&data).to_vec())
}

/// Bytes read from the file per step: large enough to be fast, small enough that memory stays
/// bounded however big the file is.
const CHUNK: f64 = 4.0 * 1024.0 * 1024.0;

/// Why reading a file stopped early.
enum Stop {
    Cancelled,
    /// Another file was dropped meanwhile: this one is abandoned silently.
    Superseded,
    Bad(IngestError),
    Browser(String),
}

/// Reads the file one slice at a time through `Blob.arrayBuffer()`, pushing each slice into the
/// streaming reader, so the file is never held whole. Awaiting each slice lets a `Cancel` (or a
/// newer file) be heard between slices. Reports progress four times a second.
async fn read_blob(
    blob: &web_sys::Blob,
    file_name: &str,
    opts: IngestOptions,
    cancel: &Cell<bool>,
    still_current: &dyn Fn() -> bool,
) -> Result<(Tally, ReadStats), Stop> {
    let size = blob.size();
    let started = now_s();
    let mut last_report = started;
    let mut ingest = Ingest::new(opts);
    let mut buf = Vec::new();
    let mut pos = 0.0;
    while pos < size {
        let end = (pos + CHUNK).min(size);
        let slice = blob
            .slice_with_f64_and_f64(pos, end)
            .map_err(|e| Stop::Browser(format!("{e:?}")))?;
        let data = JsFuture::from(slice.array_buffer())
            .await
            .map_err(|e| Stop::Browser(format!("{e:?}")))?;
        let bytes = js_sys::Uint8Array::new(&data);
        buf.resize(bytes.length() as usize, 0);
        bytes.copy_to(&mut buf);
        ingest.push(&buf).map_err(Stop::Bad)?;
        pos = end;
        let now = now_s();
        if now - last_report > 0.25 {
            last_report = now;
            post(&Response::Reading {
                file_name: file_name.to_string(),
                bytes: pos,
                total: size,
                rows: ingest.rows(),
                seconds: now - started,
            });
            // A macrotask, so that a queued Cancel is handled before the next slice.
            yield_to_event_loop().await;
        }
        if cancel.get() {
            return Err(Stop::Cancelled);
        }
        if !still_current() {
            return Err(Stop::Superseded);
        }
    }
    let tally = ingest.finish().map_err(Stop::Bad)?;
    let read = ReadStats {
        bytes: size,
        rows: tally.rows,
        seconds: now_s() - started,
        memory_bytes: 0.0,
    };
    Ok((tally, read))
}

/// Reads a dropped file and installs it, or says why not; the previous data set and results
/// stay until the new one has fully loaded.
async fn load(
    state: Rc<RefCell<State>>,
    cancel: Rc<Cell<bool>>,
    blob: Option<web_sys::Blob>,
    file_name: String,
    time_column: Option<String>,
) {
    let generation = {
        let mut st = state.borrow_mut();
        st.load_generation += 1;
        st.load_generation
    };
    let still_current = || state.borrow().load_generation == generation;
    let failed = |message: String, time_candidates: Vec<String>| {
        post(&Response::LoadFailed {
            file_name: file_name.clone(),
            message,
            time_candidates,
        })
    };
    let Some(blob) = blob else {
        return failed("internal error: no file was sent".into(), vec![]);
    };
    // A session file is recognised from its first bytes, whatever its name.
    let start = match blob.slice_with_f64_and_f64(0.0, session::MAGIC.len() as f64) {
        Ok(head) => read_all(&head).await.unwrap_or_default(),
        Err(_) => Vec::new(),
    };
    if session::is_session(&start) {
        let opened = read_all(&blob)
            .await
            .map_err(|e| format!("the file could not be read: {e}"))
            .and_then(|bytes| Session::from_bytes(&bytes).map_err(|e| e.to_string()));
        if !still_current() {
            return;
        }
        return match opened {
            Ok(s) => open_session(&state, &file_name, s, None),
            Err(e) => failed(format!("{file_name}: {e}"), vec![]),
        };
    }
    let opts = IngestOptions {
        time_column,
        cell_type: None,
    };
    let result = read_blob(&blob, &file_name, opts, &cancel, &still_current).await;
    let (tally, read) = match result {
        Ok(r) => r,
        Err(Stop::Cancelled) => {
            return post(&Response::LoadCancelled {
                file_name: file_name.clone(),
            })
        }
        Err(Stop::Superseded) => return,
        Err(Stop::Browser(e)) => {
            return failed(
                format!("{file_name}: the file could not be read: {e}"),
                vec![],
            )
        }
        Err(Stop::Bad(e)) => {
            let candidates = match &e {
                IngestError::NoTimeColumn { candidates } => candidates.clone(),
                _ => vec![],
            };
            return failed(format!("{file_name}: {e}"), candidates);
        }
    };
    if !still_current() {
        return;
    }
    match tally.dataset(None) {
        Ok(d) => loaded(&state, file_name, tally, d, read),
        Err(e) => failed(format!("{file_name}: {e}"), vec![]),
    }
}

fn summary(st: &State, d: &Dataset) -> DatasetSummary {
    let tally = st.tally.as_deref();
    DatasetSummary {
        file_name: st.file_name.clone(),
        n_cells: d.n_cells,
        n_genes: d.n_genes(),
        time_column: d.time_column.clone(),
        metadata_columns: d.metadata_columns.clone(),
        times: d.times.clone(),
        cells_per_time: d.cells_per_time.clone(),
        cell_type_column: tally.and_then(|t| t.cell_type_column.clone()),
        cell_types: tally
            .map(|t| {
                t.cell_types()
                    .into_iter()
                    .map(|c| CellTypeCount {
                        name: c.name,
                        cells: c.cells,
                    })
                    .collect()
            })
            .unwrap_or_default(),
        cell_type: st.cell_type.clone(),
        read: st.read.clone(),
    }
}

/// The device for a run, and a note when the choice differs from the request.
async fn choose_device(
    state: &Rc<RefCell<State>>,
    compute: Compute,
) -> (Device, &'static str, Option<String>) {
    if compute == Compute::Cpu {
        return (backend::cpu_device(), "CPU", None);
    }
    let has_webgpu = js_sys::Reflect::get(&scope().navigator(), &JsValue::from_str("gpu"))
        .map(|g| !g.is_undefined())
        .unwrap_or(false);
    if !has_webgpu {
        return (
            backend::cpu_device(),
            "CPU",
            Some("this browser offers no WebGPU; using the CPU backend".into()),
        );
    }
    let cached = state.borrow().gpu.clone();
    let gpu = match cached {
        Some(r) => r,
        None => {
            let r = backend::wgpu_device_async().await;
            state.borrow_mut().gpu = Some(r.clone());
            r
        }
    };
    match gpu {
        Ok(d) => (d, "WebGPU", None),
        Err(e) => (
            backend::cpu_device(),
            "CPU",
            Some(format!(
                "WebGPU could not start ({e}); using the CPU backend"
            )),
        ),
    }
}

async fn train(state: &Rc<RefCell<State>>, cancel: &Cell<bool>, settings: TrainSettings) {
    let Some(dataset) = state.borrow().dataset.clone() else {
        post(&Response::Failed {
            message: "load a CSV file before training".into(),
        });
        return;
    };
    let top = settings
        .genes
        .unwrap_or(vrnn_protocol::default_gene_count(dataset.n_genes()));
    let selection = dataset.select(Some(top), &settings.keep);
    if let Some(message) = selection_notice(&selection, dataset.n_genes()) {
        post(&Response::Notice { message });
    }
    let dataset = Rc::new(selection.dataset);
    if dataset.n_genes() < settings.k.max(2) {
        post(&Response::Failed {
            message: format!(
                "{} genes are left to cluster, fewer than the {} clusters asked for: lower \"Clusters (k)\" or keep more genes",
                dataset.n_genes(),
                settings.k
            ),
        });
        return;
    }
    let (device, backend_name, note) = choose_device(state, settings.compute).await;
    post(&Response::Started {
        backend: backend_name.into(),
        note,
        history: vec![],
    });
    let mut config = preset::train_config(settings.preset, settings.epochs, settings.seed);
    if let Some(b) = settings.batch_size {
        config.batch_size = b.max(1);
    }
    let inputs = preset::prepare(&dataset, settings.preset);
    let device = backend::training_device(device, settings.seed);
    let mut trainer = Trainer::new(
        config,
        &inputs.values,
        dataset.n_genes(),
        dataset.n_times(),
        &device,
    );
    if let Some(w) = &inputs.inverse_variance {
        trainer = trainer.with_inverse_variance(w);
    }
    {
        let mut st = state.borrow_mut();
        forget_run(&mut st);
        st.run_id = Some(new_run_id());
    }
    let job = Job {
        settings,
        dataset,
        inputs,
        backend: backend_name,
        train_s_before: 0.0,
    };
    drive(state, cancel, job, trainer).await;
}

/// Goes on training a session from its weights up to `epochs` in all, then analyses it.
async fn resume(
    state: &Rc<RefCell<State>>,
    cancel: &Cell<bool>,
    s: Session,
    epochs: usize,
    compute: Compute,
    note: Option<String>,
) {
    let (device, backend_name, device_note) = choose_device(state, compute).await;
    let device = backend::training_device(device, s.settings.seed);
    let (trainer, inputs) = match s.resume(epochs, &device) {
        Ok(x) => x,
        Err(e) => {
            return post(&Response::Failed {
                message: format!("this run cannot go on training: {e}"),
            })
        }
    };
    let target = trainer.config.epochs;
    let per_epoch = s.run.timings.seconds_per_epoch;
    post(&Response::Started {
        backend: backend_name.into(),
        note: match (note, device_note) {
            (Some(a), Some(b)) => Some(format!("{a} {b}")),
            (a, b) => a.or(b),
        },
        history: reports(&s.history, target, per_epoch),
    });
    let mut settings = s.settings.clone();
    settings.epochs = target;
    {
        let mut st = state.borrow_mut();
        st.history = s.history.clone();
        st.analysis = None;
        st.similar = None;
    }
    let job = Job {
        settings,
        dataset: Rc::new(s.dataset),
        inputs,
        backend: backend_name,
        train_s_before: s.run.timings.train_s,
    };
    drive(state, cancel, job, trainer).await;
}

/// One run being trained: what it needs besides the trainer.
struct Job {
    /// As asked for; `epochs` is the run's target.
    settings: TrainSettings,
    /// The genes it trains on.
    dataset: Rc<Dataset>,
    inputs: Prepared,
    backend: &'static str,
    /// Training seconds before this stretch (a resumed run's earlier ones).
    train_s_before: f64,
}

impl Job {
    fn run_info(&self, st: &State, trainer: &Trainer, train_s: f64) -> RunInfo {
        RunInfo {
            input: st.file_name.clone(),
            preset: self.settings.preset.label().to_lowercase(),
            backend: self.backend.into(),
            config: trainer.config.clone(),
            dataset: export::DatasetInfo::of(&self.dataset, st.cell_type.as_deref())
                .with_composition(self.inputs.log_factors.clone()),
            n_train_genes: trainer.n_train(),
            n_test_genes: trainer.n_test(),
            timings: export::Timings {
                ingest_s: st.read.seconds,
                train_s,
                seconds_per_epoch: train_s / trainer.epochs_done().max(1) as f64,
            },
            analysis: None,
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

/// Trains to the end, keeping a checkpoint every few seconds, then analyses and keeps the
/// whole session. A Cancel keeps a last checkpoint, from which `Continue` can go on.
async fn drive(state: &Rc<RefCell<State>>, cancel: &Cell<bool>, job: Job, mut trainer: Trainer) {
    {
        let mut st = state.borrow_mut();
        st.trained = Some(job.dataset.clone());
        st.settings = Some(job.settings.clone());
        st.run = None;
        if st.run_id.is_none() {
            st.run_id = Some(new_run_id());
        }
    }
    let t0 = now_s();
    let mut last_save: Option<f64> = None;
    while !trainer.is_done() {
        yield_to_event_loop().await;
        if cancel.get() {
            checkpoint(state, &job, &trainer, job.train_s_before + now_s() - t0).await;
            post(&Response::Cancelled {
                epochs: trainer.epochs_done(),
            });
            return;
        }
        if trainer.train_batch() {
            let e = trainer.finish_epoch().await;
            state.borrow_mut().history.push(e);
            let elapsed = job.train_s_before + now_s() - t0;
            post(&Response::Epoch(EpochReport {
                epoch: e.epoch,
                epochs: job.settings.epochs,
                train_loss: e.train,
                test_loss: e.test,
                elapsed,
            }));
            let fault = state.borrow().fault;
            if let Some((at, only_on_webgpu)) = fault {
                if e.epoch == at && (!only_on_webgpu || job.backend == "WebGPU") {
                    state.borrow_mut().fault = None;
                    if only_on_webgpu {
                        panic!("WebGPU device lost (injected by the tests at epoch {at})");
                    }
                    panic!("injected by the tests at epoch {at}");
                }
            }
            let due = last_save.is_none_or(|t| now_s() - t >= CHECKPOINT_S);
            if due && !trainer.is_done() {
                checkpoint(state, &job, &trainer, elapsed).await;
                last_save = Some(now_s());
            }
        }
    }
    let train_s = job.train_s_before + now_s() - t0;
    post(&Response::Finished {
        epochs: trainer.epochs_done(),
        seconds: train_s,
    });
    let weights = trainer.weights().await;
    let mut run = job.run_info(&state.borrow(), &trainer, train_s);
    {
        let mut st = state.borrow_mut();
        st.weights = Some(weights);
        st.run = Some(run.clone());
    }
    let (model, device) = trainer.inference_model();
    let result = analyse(
        &model,
        &device,
        &job.dataset,
        &job.inputs,
        session::analysis_config(&job.settings, job.dataset.n_genes()),
        &now_s,
        |p| async move {
            post(&Response::Progress {
                label: p.label,
                fraction: p.fraction,
            });
            yield_to_event_loop().await;
            !cancel.get()
        },
    )
    .await;
    match result {
        Ok(analysis) => {
            run.analysis = Some(export::AnalysisInfo::of(&analysis));
            post(&Response::Analysed(analysis.view()));
            {
                let mut st = state.borrow_mut();
                st.run = Some(run);
                st.analysis = Some(analysis);
            }
            keep(state, true).await;
        }
        Err(AnalysisError::Cancelled) => {
            keep(state, false).await;
            post(&Response::Cancelled {
                epochs: trainer.epochs_done(),
            })
        }
        Err(e) => post(&Response::Failed {
            message: e.to_string(),
        }),
    }
}

/// Reads the weights back and keeps the run as it stands in the browser's storage.
async fn checkpoint(state: &Rc<RefCell<State>>, job: &Job, trainer: &Trainer, train_s: f64) {
    let weights = trainer.weights().await;
    {
        let mut st = state.borrow_mut();
        let run = job.run_info(&st, trainer, train_s);
        st.weights = Some(weights);
        st.run = Some(run);
    }
    keep(state, false).await;
}

/// Writes the current run to the browser's storage; a failure is said once, never fatal.
async fn keep(state: &Rc<RefCell<State>>, finished: bool) {
    let (session, id) = {
        let st = state.borrow();
        (current_session(&st), st.run_id.clone())
    };
    let (Some(s), Some(id)) = (session, id) else {
        return;
    };
    let bytes = if finished {
        s.to_bytes()
    } else {
        s.to_bytes_fast()
    };
    let meta = SavedRun {
        id: id.clone(),
        source: s.source.clone(),
        cell_type: s.cell_type.clone(),
        preset: s.settings.preset.label().into(),
        epochs_done: s.epochs_done(),
        epochs_total: s.settings.epochs,
        finished,
        saved_at: js_sys::Date::now(),
        bytes: bytes.len() as f64,
    };
    match store::put(&meta, &bytes).await {
        Ok(()) => {
            post(&Response::Stored {
                id,
                epochs: meta.epochs_done,
                finished,
            });
            list_saved().await;
        }
        Err(e) => {
            let mut st = state.borrow_mut();
            if !st.storage_warned {
                st.storage_warned = true;
                post(&Response::Notice {
                    message: format!(
                        "This run could not be kept in the browser's storage ({e}); it goes on, but will not survive a reload: use Download session."
                    ),
                });
            }
        }
    }
}

/// What the gene selection left out, in one sentence (None when every gene is used).
fn selection_notice(s: &vrnn_engine::ingest::Selection, n_file: usize) -> Option<String> {
    let mut parts = Vec::new();
    if s.not_variable_enough > 0 {
        parts.push(format!(
            "training on the {} most variable of {n_file} genes (set \"Genes\" to change)",
            s.dataset.n_genes() - s.kept_of_interest.len()
        ));
    }
    if !s.kept_of_interest.is_empty() {
        parts.push(format!(
            "kept as genes of interest: {}",
            s.kept_of_interest.join(", ")
        ));
    }
    if !s.constant.is_empty() {
        let shown: Vec<&str> = s.constant.iter().take(10).map(String::as_str).collect();
        let more = s.constant.len().saturating_sub(10);
        parts.push(format!(
            "{} gene(s) never vary and were left out: {}{}",
            s.constant.len(),
            shown.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        ));
    }
    if parts.is_empty() {
        None
    } else {
        let mut m = parts.join("; ");
        if let Some(first) = m.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        m.push('.');
        Some(m)
    }
}

fn recluster(state: &Rc<RefCell<State>>, k: usize) {
    let mut st = state.borrow_mut();
    if st.running {
        return;
    }
    let Some(a) = st.analysis.as_mut() else {
        return;
    };
    if k < 1 || k > a.n_genes() {
        post(&Response::Failed {
            message: format!(
                "Clusters (k) must be between 1 and the number of genes ({})",
                a.n_genes()
            ),
        });
        return;
    }
    a.recluster(k);
    let view = a.cluster_view();
    let info = export::AnalysisInfo::of(a);
    if let Some(run) = st.run.as_mut() {
        run.analysis = Some(info);
    }
    // Cluster numbers in an earlier similar-genes table would now be stale.
    st.similar = None;
    post(&Response::Reclustered(view));
    // The kept copy reopens with this clustering.
    let state = state.clone();
    spawn_local(async move { keep(&state, true).await });
}

fn similar(state: &Rc<RefCell<State>>, gene: &str, n: usize) {
    let mut st = state.borrow_mut();
    let Some(a) = st.analysis.as_ref() else {
        return;
    };
    match a.similar_named(gene, n) {
        Ok(genes) => {
            let query = a.genes[a.gene_index(gene).unwrap_or(0)].clone();
            post(&Response::Similar {
                query: query.clone(),
                genes: genes.clone(),
            });
            st.similar = Some((query, genes));
        }
        Err(e) => post(&Response::Failed {
            message: e.to_string(),
        }),
    }
}

fn export_file(state: &Rc<RefCell<State>>, name: &str) {
    if name == "session.vrnn" {
        return export_session(state);
    }
    let st = state.borrow();
    let file = match name {
        "loss.csv" => Some(export::ExportFile {
            name: name.into(),
            mime: "text/csv",
            contents: export::loss_csv(&st.history),
        }),
        "run.json" => st.run.as_ref().map(|r| export::ExportFile {
            name: name.into(),
            mime: "application/json",
            contents: r.to_json(),
        }),
        "similar_genes.csv" => st.similar.as_ref().map(|q| export::ExportFile {
            name: name.into(),
            mime: "text/csv",
            contents: export::similar_csv(std::slice::from_ref(q)),
        }),
        _ => st
            .analysis
            .as_ref()
            .and_then(|a| export::analysis_file(a, name)),
    };
    match file {
        Some(f) => post(&Response::File {
            name: f.name,
            mime: f.mime.into(),
            contents: f.contents,
        }),
        None => post(&Response::Failed {
            message: format!("{name} is not available: train a model first"),
        }),
    }
}
