//! The settings of a run (`Epochs`, `Seed`, `Clusters (k)`, `Genes`, `Batch size`, `Preset`,
//! `Latent summary`, `Compute`), the `Train`, `Cancel` and `Resume` buttons, and the preset's
//! description.

use leptos::prelude::*;
use vrnn_protocol::{Compute, LatentSummary, Preset};

use super::NumberSetting;
use crate::app::commands::Commands;
use crate::app::state::AppState;

#[component]
pub fn Settings(state: AppState, commands: Commands) -> impl IntoView {
    let AppState {
        preset,
        latent,
        compute,
        ..
    } = state;
    view! {
        <section class="settings" aria-label="Settings">
            <NumberSetting label="Epochs" value=state.epochs min=1 />
            <NumberSetting label="Seed" value=state.seed min=0 />
            <NumberSetting label="Clusters (k)" value=state.k min=2 />
            <NumberSetting label="Genes" value=state.genes min=2 />
            <NumberSetting label="Batch size" value=state.batch_size min=1 />
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
    }
}
