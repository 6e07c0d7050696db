//! `Saved analyses`: the runs kept in this browser, each with `Reopen …` and `Delete …`. A
//! reload or a crash costs only the epochs since the last checkpoint.

use leptos::prelude::*;
use vrnn_protocol::SavedRun;
use wasm_bindgen::JsValue;

use crate::app::commands::Commands;
use crate::app::state::AppState;
use crate::format;

/// The list, shown while any run is kept.
#[component]
pub fn SavedList(state: AppState, commands: Commands) -> impl IntoView {
    let saved = state.saved;
    view! {
        <Show when=move || !saved.with(Vec::is_empty)>
            <section class="saved" role="region" aria-label="Saved analyses">
                <h2>"Saved analyses"</h2>
                <p class="muted">
                    "Kept in this browser only (never uploaded) and saved every few seconds while training, so a closed tab loses at most a few seconds."
                </p>
                <ul>
                    {move || {
                        saved
                            .get()
                            .into_iter()
                            .map(|r| view! { <SavedItem run=r state=state commands=commands /> })
                            .collect_view()
                    }}
                </ul>
            </section>
        </Show>
    }
}

/// What a kept run is, in one line: the buttons' accessible names start from it.
fn describe(r: &SavedRun) -> String {
    let when = js_sys::Date::new(&r.saved_at.into())
        .to_locale_string("default", &JsValue::UNDEFINED)
        .as_string()
        .unwrap_or_default();
    let of_type = r
        .cell_type
        .as_ref()
        .map(|t| format!(" ({t})"))
        .unwrap_or_default();
    let progress = if r.finished {
        format!("finished, {} epochs", r.epochs_done)
    } else {
        format!(
            "checkpoint at epoch {} of {}",
            r.epochs_done, r.epochs_total
        )
    };
    format!(
        "{}{of_type} · {} · {progress} · {} · saved {when}",
        r.source,
        r.preset,
        format::bytes(r.bytes)
    )
}

#[component]
fn SavedItem(run: SavedRun, state: AppState, commands: Commands) -> impl IntoView {
    let text = describe(&run);
    let (id_open, id_delete) = (run.id.clone(), run.id);
    view! {
        <li data-finished=run.finished.to_string()>
            <span class="saved-label">{text.clone()}</span>
            <button type="button" class="secondary"
                aria-label=format!("Reopen {text}")
                prop:disabled=move || state.busy()
                on:click=move |_| commands.reopen(id_open.clone())>
                "Reopen"
            </button>
            <button type="button" class="secondary"
                aria-label=format!("Delete {text}")
                on:click=move |_| commands.delete(id_delete.clone())>
                "Delete"
            </button>
        </li>
    }
}
