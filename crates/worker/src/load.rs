//! Data in: a read data set installed (files are read in [`crate::intake`]), the demo data set,
//! and a cell type chosen from the sums already read.

use std::rc::Rc;

use vrnn_engine::export;
use vrnn_engine::ingest::{ingest, Tally};
use vrnn_engine::simulate::{simulate, SimulationConfig};
use vrnn_engine::{Dataset, IngestOptions};
use vrnn_protocol::{CellTypeCount, DatasetSummary, H5adChoices, ReadStats, Response};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::state::{now_s, post, Data, Shared, State};

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
        info: data.info.clone(),
        time_columns: data.extras.time_columns.clone(),
        h5ad: data.extras.h5ad.clone(),
    }
}

/// What the page offers to choose after a read, beside the data: the columns that can be
/// time, and an `.h5ad`'s matrices and gene-name columns.
#[derive(Debug, Clone, Default)]
pub struct Extras {
    pub time_columns: Vec<String>,
    pub h5ad: Option<H5adChoices>,
}

pub fn loaded(
    state: &Shared,
    file_name: String,
    tally: Tally,
    dataset: Dataset,
    mut read: ReadStats,
    extras: Extras,
) {
    read.memory_bytes = wasm_memory_bytes();
    let data = Data {
        dataset: Rc::new(dataset),
        info: tally.read_info(),
        tally: Some(Rc::new(tally)),
        file_name,
        cell_type: None,
        read,
        extras,
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
            loaded(&state, file_name, tally, d, read, Extras::default())
        }
        Err(message) => post(&Response::LoadFailed {
            file_name,
            message,
            time_candidates: vec![],
            time_values: vec![],
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
            time_values: vec![],
        })
    };
    if st.running {
        return failed("the cell type can be changed once training has finished".into());
    }
    let Some(
        old @ Data {
            tally: Some(tally), ..
        },
    ) = st.data.as_ref()
    else {
        return failed("load a file before choosing a cell type".into());
    };
    let (tally, read, info, extras) = (
        tally.clone(),
        old.read.clone(),
        old.info.clone(),
        old.extras.clone(),
    );
    match tally.dataset(cell_type.as_deref()) {
        Ok(d) => install(
            &mut st,
            Data {
                dataset: Rc::new(d),
                tally: Some(tally),
                file_name,
                cell_type,
                read,
                info,
                extras,
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
