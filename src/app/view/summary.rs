//! What was read: the data summary, and the two choices that read the data differently (the
//! `Time column` and the cell type).

use leptos::prelude::*;
use vrnn_protocol::DatasetSummary;

use crate::app::commands::Commands;
use crate::app::state::AppState;

/// The data summary of the loaded data set, when there is one.
#[component]
pub fn DataSummary(state: AppState) -> impl IntoView {
    move || state.summary.get().map(|s| view! { <Summary s=s /> })
}

#[component]
fn Summary(s: DatasetSummary) -> impl IntoView {
    let times = s
        .shape
        .times
        .iter()
        .zip(&s.shape.cells_per_time)
        .map(|(t, n)| {
            format!(
                "{} ({n} {})",
                vrnn_protocol::time_label(*t),
                s.info.format.unit()
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let meta = if s.shape.metadata_columns.is_empty() {
        "none".to_string()
    } else {
        s.shape.metadata_columns.join(", ")
    };
    let cells = match &s.cell_type {
        Some(t) => format!("{} of type {t}", s.shape.n_cells),
        None => s.shape.n_cells.to_string(),
    };
    let unit = s.info.format.unit();
    let unit_title = if unit == "samples" {
        "Samples"
    } else {
        "Cells"
    };
    let notices = s.info.notices.clone();
    let types = match &s.cell_type_column {
        Some(c) => format!("{} (column {c})", s.cell_types.len()),
        None => "none recognised".to_string(),
    };
    view! {
        <section
            class="summary"
            aria-label="Data summary"
            data-worker-memory=s.read.memory_bytes
            data-read-bytes=s.read.bytes
            data-read-seconds=s.read.seconds
        >
            <h2>{s.file_name}</h2>
            <dl>
                <dt>"Format"</dt>
                <dd>{s.info.format.describe()}</dd>
                <dt>"Values"</dt>
                <dd>{s.info.normalization.rule.clone()}</dd>
                <dt>{unit_title}</dt>
                <dd>{cells}</dd>
                <dt>"Cell types"</dt>
                <dd>{types}</dd>
                <dt>"Genes"</dt>
                <dd>{s.shape.n_genes}</dd>
                <dt>"Time column"</dt>
                <dd>{s.shape.time_column}</dd>
                <dt>"Time points"</dt>
                <dd>{times}</dd>
                <dt>"Metadata columns"</dt>
                <dd>{meta}</dd>
            </dl>
            <ul class="notices">
                {notices.into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}
            </ul>
        </section>
    }
}

/// `Time column`: after a file loads (or names no time column), read it again with another.
#[component]
pub fn TimeColumn(state: AppState, commands: Commands) -> impl IntoView {
    let (summary, time_options) = (state.summary, state.time_options);
    view! {
        <Show when=move || !time_options.with(Vec::is_empty)>
            <label class="time-column">
                "Time column"
                <select on:change=move |ev| commands.choose_time(event_target_value(&ev))>
                    <option value="">"Choose…"</option>
                    {move || {
                        let current = summary.with(|s| s.as_ref().map(|s| s.shape.time_column.clone()));
                        time_options
                            .get()
                            .into_iter()
                            .map(|c| {
                                let selected = current.as_deref() == Some(c.as_str());
                                view! { <option value=c.clone() selected=selected>{c.clone()}</option> }
                            })
                            .collect_view()
                    }}
                </select>
            </label>
        </Show>
    }
}

/// `CellType` ("Cell type"): keep the cells of one type, from the sums already read.
#[component]
pub fn CellType(state: AppState, commands: Commands) -> impl IntoView {
    let summary = state.summary;
    view! {
        <Show when=move || summary.with(|s| s.as_ref().is_some_and(|s| !s.cell_types.is_empty()))>
            <label class="cell-type">
                "Cell type"
                <select
                    aria-label="CellType"
                    prop:disabled=move || state.busy()
                    on:change=move |ev| commands.choose_cell_type(event_target_value(&ev))
                >
                    {move || {
                        let s = summary.get().unwrap_or_default();
                        let total: u64 = s.cell_types.iter().map(|t| t.cells).sum();
                        let current = s.cell_type.clone();
                        std::iter::once(view! {
                            <option value=String::new() selected=current.is_none()>
                                {format!("All cell types ({total} cells)")}
                            </option>
                        })
                        .chain(s.cell_types.into_iter().map(|t| {
                            let selected = current.as_deref() == Some(t.name.as_str());
                            view! {
                                <option value=t.name.clone() selected=selected>
                                    {format!("{} ({} cells)", t.name, t.cells)}
                                </option>
                            }
                        }))
                        .collect_view()
                    }}
                </select>
            </label>
        </Show>
    }
}
