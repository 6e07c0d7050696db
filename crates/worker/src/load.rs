//! Data in: a dropped file read in slices, the demo data set, a cell type chosen from the sums
//! already read, and a dropped session file.

use std::cell::Cell;
use std::rc::Rc;

use vrnn_engine::ingest::{ingest, Ingest, Tally};
use vrnn_engine::simulate::{simulate, SimulationConfig};
use vrnn_engine::{export, session};
use vrnn_engine::{Dataset, IngestError, IngestOptions, Session};
use vrnn_protocol::{CellTypeCount, DatasetSummary, ReadStats, Response};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::saved;
use crate::state::{now_s, post, yield_to_event_loop, CancelFlag, Data, Shared, State};

/// A data set is in: it replaces the previous one and its results (which stayed until now).
fn install(st: &mut State, data: Data) {
    post(&Response::Loaded(summary(&data)));
    st.data = Some(data);
    st.current = None;
}

/// The page's summary of a data set.
pub fn summary(data: &Data) -> DatasetSummary {
    let d = &data.dataset;
    let tally = data.tally.as_deref();
    DatasetSummary {
        file_name: data.file_name.clone(),
        shape: export::shape(d),
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
        cell_type: data.cell_type.clone(),
        read: data.read.clone(),
    }
}

fn loaded(state: &Shared, file_name: String, tally: Tally, dataset: Dataset, mut read: ReadStats) {
    read.memory_bytes = wasm_memory_bytes();
    let data = Data {
        dataset: Rc::new(dataset),
        tally: Some(Rc::new(tally)),
        file_name,
        cell_type: None,
        read,
    };
    install(&mut state.borrow_mut(), data);
}

/// The project's default simulation at `cells_per_time` cells per time point, read as a
/// dropped CSV would be: its sums, its data set and the CSV's size in bytes.
pub fn simulated(cells_per_time: usize) -> Result<(Tally, Dataset, usize), String> {
    let config = SimulationConfig::new().with_cells_per_time(cells_per_time);
    let mut csv = Vec::new();
    simulate(&config, &mut csv).map_err(|e| e.to_string())?;
    let tally = ingest(&csv[..], &IngestOptions::default()).map_err(|e| e.to_string())?;
    let d = tally.dataset(None).map_err(|e| e.to_string())?;
    Ok((tally, d, csv.len()))
}

/// The project's default simulation, with fewer cells so it loads in a moment.
pub async fn demo(state: Shared) {
    let file_name = "demo: simulated IFN-gamma time course".to_string();
    let t0 = now_s();
    match simulated(100) {
        Ok((tally, d, bytes)) => {
            let read = ReadStats {
                bytes: bytes as f64,
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
}

/// Keeps one cell type, or all cells again, from the sums already read: no second pass.
pub fn filter_cell_type(state: &Shared, cell_type: Option<String>) {
    let mut st = state.borrow_mut();
    let file_name = st
        .data
        .as_ref()
        .map(|d| d.file_name.clone())
        .unwrap_or_default();
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
    let Some(Data {
        tally: Some(tally),
        read,
        ..
    }) = st.data.as_ref()
    else {
        return failed("load a file before choosing a cell type".into());
    };
    let (tally, read) = (tally.clone(), read.clone());
    match tally.dataset(cell_type.as_deref()) {
        Ok(d) => install(
            &mut st,
            Data {
                dataset: Rc::new(d),
                tally: Some(tally),
                file_name,
                cell_type,
                read,
            },
        ),
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

/// Reads a whole (small) file.
pub async fn read_all(blob: &web_sys::Blob) -> Result<Vec<u8>, String> {
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
pub async fn load(
    state: Shared,
    cancel: CancelFlag,
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
            Ok(s) => saved::show(&state, &file_name, s, None),
            Err(e) => failed(format!("{file_name}: {e}"), vec![]),
        };
    }
    let opts = IngestOptions {
        time_column,
        ..IngestOptions::default()
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
