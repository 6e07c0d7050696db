//! The drop zone (`Drop a CSV file`), its `CSV file` input and `Try demo data`: how data and
//! saved sessions get onto the page.

use leptos::prelude::*;
use vrnn_protocol::files::SESSION_EXTENSION;
use wasm_bindgen::JsCast;
use web_sys::{DragEvent, Event, HtmlInputElement};

use crate::app::commands::Commands;
use crate::app::state::{AppState, Phase};

#[component]
pub fn DropZone(state: AppState, commands: Commands) -> impl IntoView {
    let on_drop = move |ev: DragEvent| {
        ev.prevent_default();
        if let Some(f) = ev
            .data_transfer()
            .and_then(|dt| dt.files())
            .and_then(|fl| fl.get(0))
        {
            commands.load_file(f);
        }
    };
    let on_pick = move |ev: Event| {
        let input: HtmlInputElement = ev.target().expect("change has a target").unchecked_into();
        if let Some(f) = input.files().and_then(|fl| fl.get(0)) {
            commands.load_file(f);
        }
        // Picking the same file again should load it again.
        input.set_value("");
    };
    let accept =
        format!(".csv,.tsv,.txt,.gz,.{SESSION_EXTENSION},text/csv,text/tab-separated-values");
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
            aria-label="Drop a CSV file"
            on:dragover=move |ev: DragEvent| ev.prevent_default()
            on:drop=on_drop
        >
            <p>
                {format!(
                    "Drop a CSV file here (one row per cell: cell id, cell type, time, then one column per gene; CSV, TSV or semicolon-separated, optionally .gz) or a saved session (.{SESSION_EXTENSION}), or "
                )}
            </p>
            <label class="file-label" for="csv-file">"CSV file"</label>
            <input id="csv-file" type="file" accept=accept on:change=on_pick />
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
