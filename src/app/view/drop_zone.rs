//! The drop zone (`Drop data files`), its `Data files` and `Data folders` inputs and `Try demo
//! data`: how data and saved sessions get onto the page. Several files or folders may come at
//! once (10x samples, a bulk table with its sample sheet); a dropped folder is walked, and
//! each file keeps its path inside it (`t3h/filtered_feature_bc_matrix/matrix.mtx.gz`), which
//! groups a 10x sample's files and names the sample.

use leptos::prelude::*;
use leptos::task::spawn_local;
use vrnn_protocol::files::SESSION_EXTENSION;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{DragEvent, Event, File, FileSystemEntry, HtmlInputElement};

use crate::app::commands::Commands;
use crate::app::state::{AppState, Phase};

/// A file and its path (its `webkitRelativePath` when a folder was picked).
fn with_path(f: File) -> (String, File) {
    let rel = js_sys::Reflect::get(&f, &JsValue::from_str("webkitRelativePath"))
        .ok()
        .and_then(|v| v.as_string())
        .filter(|p| !p.is_empty());
    (rel.unwrap_or_else(|| f.name()), f)
}

fn files_of(list: Option<web_sys::FileList>) -> Vec<(String, File)> {
    let Some(list) = list else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.get(i))
        .map(with_path)
        .collect()
}

/// Calls a callback-taking browser method and awaits the value it passes.
async fn callback<F: FnOnce(&js_sys::Function)>(call: F) -> Result<JsValue, JsValue> {
    let mut call = Some(call);
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        if let Some(c) = call.take() {
            c(&resolve);
        }
    });
    JsFuture::from(promise).await
}

/// Every file under a dropped entry, with its path.
async fn walk(entry: FileSystemEntry, out: &mut Vec<(String, File)>) {
    let mut stack = vec![entry];
    while let Some(e) = stack.pop() {
        let path = e.full_path().trim_start_matches('/').to_string();
        if e.is_file() {
            let fe: web_sys::FileSystemFileEntry = e.unchecked_into();
            if let Ok(f) = callback(|cb| fe.file_with_callback(cb)).await {
                out.push((path, f.unchecked_into()));
            }
        } else if e.is_directory() {
            let de: web_sys::FileSystemDirectoryEntry = e.unchecked_into();
            let reader = de.create_reader();
            // readEntries answers in batches until it answers with none.
            loop {
                let Ok(batch) = callback(|cb| {
                    let _ = reader.read_entries_with_callback(cb);
                })
                .await
                else {
                    break;
                };
                let batch: js_sys::Array = batch.unchecked_into();
                if batch.length() == 0 {
                    break;
                }
                stack.extend(batch.iter().map(|v| v.unchecked_into::<FileSystemEntry>()));
            }
        }
    }
}

#[component]
pub fn DropZone(state: AppState, commands: Commands) -> impl IntoView {
    let on_drop = move |ev: DragEvent| {
        ev.prevent_default();
        let Some(dt) = ev.data_transfer() else {
            return;
        };
        // Entries (which can be folders) must be taken during the event; their files after.
        let items = dt.items();
        let entries: Vec<FileSystemEntry> = (0..items.length())
            .filter_map(|i| items.get(i))
            .filter_map(|item| item.webkit_get_as_entry().ok().flatten())
            .collect();
        let plain = files_of(dt.files());
        if entries.is_empty() || entries.iter().all(|e| e.is_file()) {
            return commands.load_files(plain);
        }
        spawn_local(async move {
            let mut files = Vec::new();
            for e in entries {
                walk(e, &mut files).await;
            }
            files.sort_by(|a, b| a.0.cmp(&b.0));
            commands.load_files(files);
        });
    };
    let on_pick = move |ev: Event| {
        let input: HtmlInputElement = ev.target().expect("change has a target").unchecked_into();
        commands.load_files(files_of(input.files()));
        // Picking the same files again should load them again.
        input.set_value("");
    };
    let accept = format!(
        ".csv,.tsv,.txt,.gz,.h5ad,.h5,.mtx,.{SESSION_EXTENSION},text/csv,text/tab-separated-values"
    );
    let demo_disabled = move || {
        matches!(
            state.phase.get(),
            Phase::Starting | Phase::Training { .. } | Phase::Analysing
        )
    };

    view! {
        <section
            class="dropzone"
            role="region"
            aria-label="Drop data files"
            on:dragover=move |ev: DragEvent| ev.prevent_default()
            on:drop=on_drop
        >
            <p>
                {format!(
                    "Drop your data here: a cells x genes table (one row per cell with its time; CSV or TSV, optionally .gz), an AnnData .h5ad, 10x Genomics samples (one .h5, MEX folder or matrix.mtx with its features and barcodes per time point), or a bulk genes x samples table with its sample sheet; or a saved session (.{SESSION_EXTENSION}). Or pick "
                )}
            </p>
            <label class="file-label" for="data-files">"Data files"</label>
            <input id="data-files" type="file" multiple accept=accept on:change=on_pick />
            <label class="file-label" for="data-folders">"Data folders"</label>
            <input id="data-folders" type="file" multiple prop:webkitdirectory=true on:change=on_pick />
            <p class="demo">
                "No data at hand? "
                <button type="button" class="secondary" on:click=move |_| commands.load_demo()
                    prop:disabled=demo_disabled>
                    "Try demo data"
                </button>
                " (2000 simulated genes with planted IFN-gamma response modules, generated in this tab)"
            </p>
        </section>
    }
}
