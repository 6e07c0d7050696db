//! How the data are read, where the reader cannot know: the `Time values` table (a time for
//! each label, sample or 10x input, prefilled with what was read from the names), and the
//! `.h5ad`'s `Matrix` and `Gene names` and the `Normalise counts` rule. Each change reads the
//! same files again; the previous data set and results stay until that read succeeds.

use leptos::prelude::*;
use vrnn_protocol::{time_label, Normalize};

use crate::app::commands::Commands;
use crate::app::state::AppState;

/// `Time values`: one row per label with a textbox for its time (`Time of LABEL`; text, not a
/// number input, as the interface names it, with a decimal keyboard), and `Apply times`.
#[component]
pub fn TimeValues(state: AppState, commands: Commands) -> impl IntoView {
    let rows = state.time_values;
    view! {
        <Show when=move || !rows.with(Vec::is_empty)>
            <section class="time-values" aria-label="Time values section">
                <table aria-label="Time values">
                    <thead>
                        <tr><th>"Label"</th><th>"Time"</th><th>"Read as"</th></tr>
                    </thead>
                    <tbody>
                        {move || {
                            rows.get()
                                .into_iter()
                                .enumerate()
                                .map(|(i, v)| {
                                    let label = v.label.clone();
                                    let read = match (v.time, v.given) {
                                        (_, true) => "given".to_string(),
                                        (Some(_), false) => v.unit.clone().unwrap_or_else(|| "number".into()),
                                        (None, false) => "needs a time".to_string(),
                                    };
                                    view! {
                                        <tr class:missing=v.time.is_none()>
                                            <td>{label.clone()}</td>
                                            <td>
                                                <input
                                                    type="text"
                                                    inputmode="decimal"
                                                    aria-label=format!("Time of {label}")
                                                    prop:value=v.time.map(time_label).unwrap_or_default()
                                                    on:change=move |ev| {
                                                        let t = event_target_value(&ev).trim().parse::<f64>().ok().filter(|t| t.is_finite());
                                                        rows.update(|r| {
                                                            if let Some(row) = r.get_mut(i) {
                                                                row.time = t;
                                                                row.given = t.is_some();
                                                            }
                                                        });
                                                    }
                                                />
                                            </td>
                                            <td>{read}</td>
                                        </tr>
                                    }
                                })
                                .collect_view()
                        }}
                    </tbody>
                </table>
                <button
                    type="button"
                    prop:disabled=move || state.busy() || rows.with(|r| r.iter().any(|v| v.time.is_none()))
                    on:click=move |_| commands.apply_times()
                >
                    "Apply times"
                </button>
            </section>
        </Show>
    }
}

/// `Matrix` and `Gene names` (an `.h5ad`'s), and `Normalise counts`.
#[component]
pub fn ReadOptions(state: AppState, commands: Commands) -> impl IntoView {
    let (summary, options) = (state.summary, state.load_options);
    let h5ad = move || summary.with(|s| s.as_ref().and_then(|s| s.h5ad.clone()));
    let select = move |label: &'static str,
                       choices: Vec<String>,
                       current: String,
                       set: fn(&mut vrnn_protocol::LoadOptions, String)| {
        view! {
            <label>
                {label}
                <select
                    prop:disabled=move || state.busy()
                    on:change=move |ev| {
                        let v = event_target_value(&ev);
                        commands.set_option(move |o| set(o, v));
                    }
                >
                    {choices
                        .into_iter()
                        .map(|c| {
                            let selected = c == current;
                            view! { <option value=c.clone() selected=selected>{c.clone()}</option> }
                        })
                        .collect_view()}
                </select>
            </label>
        }
    };
    view! {
        <Show when=move || summary.with(Option::is_some) && !state.last_files.with_value(Vec::is_empty)>
            <div class="read-options">
                {move || {
                    h5ad().map(|h| {
                        let o = options.get();
                        view! {
                            {select("Matrix", h.matrices.clone(), o.matrix.clone().unwrap_or_else(|| "X".into()), |o, v| o.matrix = Some(v))}
                            {select("Gene names", h.gene_names.clone(), o.gene_names.clone().unwrap_or_default(), |o, v| o.gene_names = Some(v))}
                        }
                    })
                }}
                {move || {
                    let current = options.get().normalize.label().to_string();
                    select(
                        "Normalise counts",
                        Normalize::ALL.iter().map(|n| n.label().to_string()).collect(),
                        current,
                        |o, v| o.normalize = Normalize::parse(&v).unwrap_or_default(),
                    )
                }}
            </div>
        </Show>
    }
}
