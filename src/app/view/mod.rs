//! The page's view, one component per part of the page, top to bottom: the drop zone
//! ([`drop_zone`]), alerts and the status line ([`status`]), what was read ([`summary`]), the
//! settings with `Train`, `Cancel` and `Resume` ([`settings`]), the loss plot ([`status`]), the
//! runs kept in the browser ([`saved`]), and the results of a run ([`results`], with the gene
//! search in [`gene_search`]).
//!
//! The accessible names of the controls (labels, `aria-label`s, button texts, `data-plot`)
//! are a fixed contract with the browser tests: see `../shared/spec/interfaces.md`.

pub mod drop_zone;
pub mod gene_search;
pub mod results;
pub mod saved;
pub mod settings;
pub mod status;
pub mod summary;

use leptos::prelude::*;

/// A labelled whole-number input bound to a setting; values below `min` are raised to it and
/// text that is not a number leaves the setting unchanged.
#[component]
pub fn NumberSetting<T>(label: &'static str, value: RwSignal<T>, min: T) -> impl IntoView
where
    T: std::str::FromStr + std::fmt::Display + PartialOrd + Copy + Send + Sync + 'static,
{
    view! {
        <label>
            {label}
            <input
                type="number"
                min=min.to_string()
                step="1"
                prop:value=move || value.get().to_string()
                on:input=move |ev| {
                    if let Ok(v) = event_target_value(&ev).parse::<T>() {
                        value.set(if v < min { min } else { v });
                    }
                }
            />
        </label>
    }
}
