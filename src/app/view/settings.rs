//! The settings of a run (`Epochs`, `Seed`, `Clusters (k)` with the analysis's `Core
//! threshold`, `Genes`, `Gene selection` with its `FDR`, `Batch size`, `Stability runs`,
//! `Preset`, `Latent summary`, `Compute`, `Workers`), the `Train`, `Cancel` and `Resume` buttons, and the
//! preset's description.

use leptos::prelude::*;
use vrnn_protocol::{defaults, Compute, GeneSelection, LatentSummary, Preset};

use super::{DecimalSetting, NumberSetting};
use crate::app::commands::Commands;
use crate::app::state::{AppState, MAX_STABILITY_RUNS};

#[component]
pub fn Settings(state: AppState, commands: Commands) -> impl IntoView {
    let AppState {
        preset,
        latent,
        compute,
        selection,
        stability_runs,
        ..
    } = state;
    // The threshold re-clusters the analysis shown, so it works only while one is shown.
    let no_analysis = Signal::derive(move || state.analysis.with(|a| a.is_none()) || state.busy());
    view! {
        <section class="settings" aria-label="Settings">
            <NumberSetting label="Epochs" value=state.epochs min=1 />
            <NumberSetting label="Seed" value=state.seed min=0 />
            <NumberSetting label="Clusters (k)" value=state.k min=2 />
            <DecimalSetting label="Core threshold" value=state.core_threshold min=0.0 max=1.0
                step=0.05 disabled=no_analysis
                on_set=Callback::new(move |v| commands.set_core_threshold(v))
                hint="A gene is in its cluster's core when its membership in the cluster is at least this; changing it re-clusters the analysis shown without retraining" />
            <NumberSetting label="Genes" value=state.genes min=2 />
            <label>
                "Gene selection"
                <select on:change=move |ev| {
                    if let Some(g) = GeneSelection::parse(&event_target_value(&ev)) {
                        selection.set(g);
                    }
                }>
                    {GeneSelection::ALL
                        .into_iter()
                        .map(|g| {
                            view! {
                                <option value=g.label() prop:selected=move || selection.get() == g>
                                    {g.label()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </label>
            <DecimalSetting label="FDR" value=state.fdr min=0.0 max=1.0 step=0.01
                disabled=Signal::derive(move || selection.get() != GeneSelection::Change)
                hint="Changing over time keeps the genes whose change across time points has a false-discovery rate below this" />
            <NumberSetting label="Batch size" value=state.batch_size min=1 />
            <NumberSetting label="Stability runs" value=stability_runs min=0
                max=MAX_STABILITY_RUNS
                hint="Extra trainings with other seeds that measure how well the clusters reproduce; each one trains the model again" />
            <label>
                "Preset"
                <select on:change=move |ev| {
                    if let Some(p) = Preset::parse(&event_target_value(&ev)) {
                        state.choose_preset(p);
                    }
                }>
                    {Preset::ALL
                        .into_iter()
                        .map(|p| {
                            view! {
                                <option value=p.label() prop:selected=move || preset.get() == p>
                                    {p.label()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </label>
            <label>
                "Latent summary"
                <select on:change=move |ev| latent.set(LatentSummary::parse(&event_target_value(&ev)))>
                    <option value="preset" prop:selected=move || latent.get().is_none()>"As the preset"</option>
                    {LatentSummary::ALL
                        .into_iter()
                        .map(|l| {
                            view! {
                                <option value=l.label() prop:selected=move || latent.get() == Some(l)>
                                    {l.label()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </label>
            <label>
                "Compute"
                <select on:change=move |ev| {
                    if let Some(c) = Compute::parse(&event_target_value(&ev)) {
                        compute.set(c);
                    }
                }>
                    {Compute::ALL
                        .into_iter()
                        .map(|c| {
                            view! {
                                <option value=c.label() prop:selected=move || compute.get() == c>
                                    {c.label()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </label>
            <NumberSetting label="Workers" value=state.workers min=0 max=defaults::MAX_WORKERS
                hint="Training helpers (Web Workers) that share a CPU run's batches, one per core by default; 0 trains in one worker. The results are the same for any number." />
            <button type="button" on:click=move |_| commands.train()
                prop:disabled=move || !state.can_train()>"Train"</button>
            <button type="button" on:click=move |_| commands.cancel()
                prop:disabled=move || !state.busy()>"Cancel"</button>
            <button type="button" class="secondary" on:click=move |_| commands.resume()
                prop:disabled=move || !state.can_resume()
                title="Train the current run further from its last weights, up to Epochs in all">
                "Resume"
            </button>
        </section>

        <p class="muted preset-note">{move || preset.get().description()}</p>
        <Show when=move || { stability_runs.get() > 0 }>
            <p class="muted">
                {move || {
                    let n = stability_runs.get();
                    format!(
                        "Stability runs: the model is trained {n} more time{} with other seeds, so a run takes about {} times as long; the clusters' stability is measured over those trainings and {} k-means restarts.",
                        if n == 1 { "" } else { "s" },
                        n + 1,
                        defaults::STABILITY_RESTARTS
                    )
                }}
            </p>
        </Show>
    }
}
