//! `Benchmark this machine`: the worker times each compute path of this browser on the same
//! small training (not the user's data), and the page shows seconds per epoch and offers the
//! report as `benchmark.json`, for users to send with a speed question or a bug report.

use leptos::prelude::*;
use vrnn_protocol::{files, BenchmarkReport};

use crate::app::browser::save_file;
use crate::app::commands::Commands;
use crate::app::reducer::{Body, Download};
use crate::app::state::AppState;

#[component]
pub fn Benchmark(state: AppState, commands: Commands) -> impl IntoView {
    let report = state.benchmark;
    view! {
        <section class="benchmark" role="region" aria-label="Machine benchmark">
            <button type="button" class="secondary" on:click=move |_| commands.benchmark()
                prop:disabled=move || state.busy()
                title="Trains a few epochs of a fixed simulated data set on each compute path of this browser and reports the seconds per epoch; your data is not used">
                "Benchmark this machine"
            </button>
            {move || report.get().map(|r| view! { <Report report=r /> })}
        </section>
    }
}

/// The table of one report, and its download.
#[component]
fn Report(report: BenchmarkReport) -> impl IntoView {
    let caption = format!(
        "Seconds per epoch in this browser ({} logical cores reported): {}",
        report.cores, report.workload
    );
    let rows = report
        .paths
        .iter()
        .map(|p| {
            let seconds = p
                .seconds_per_epoch
                .map_or_else(|| "not timed".to_string(), |s| format!("{s:.3}"));
            view! {
                <tr>
                    <td>{p.path.clone()}</td>
                    <td>{seconds}</td>
                    <td>{p.note.clone().unwrap_or_default()}</td>
                </tr>
            }
        })
        .collect_view();
    let json = serde_json::to_string_pretty(&report).unwrap_or_default();
    let download = move |_| {
        save_file(Download {
            name: files::BENCHMARK_JSON.into(),
            mime: "application/json".into(),
            body: Body::Text(json.clone()),
        })
    };
    view! {
        <table aria-label="Benchmark results">
            <caption>{caption}</caption>
            <thead>
                <tr><th>"Compute"</th><th>"Seconds per epoch"</th><th>"Note"</th></tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
        <button type="button" on:click=download>"Download benchmark JSON"</button>
    }
}
