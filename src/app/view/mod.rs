//! The page's view, one component per part of the page, top to bottom: the drop zone
//! ([`drop_zone`]), alerts and the status line ([`status`]), what was read ([`summary`]) and
//! how ([`input`]: `Time values`, `Matrix`, `Gene names`, `Normalise counts`), the
//! settings with `Train`, `Cancel` and `Resume` ([`settings`]), `Benchmark this machine`
//! ([`benchmark`]), the loss plot ([`status`]), the
//! runs kept in the browser ([`saved`]), and the results of a run ([`results`], with the gene
//! search in [`gene_search`], the clusters' stability in [`stability`] and the gene sets with
//! their enrichment in [`enrichment`]).
//!
//! The accessible names of the controls (labels, `aria-label`s, button texts, `data-plot`)
//! are a fixed contract with the browser tests: see `../shared/spec/interfaces.md`.

pub mod benchmark;
pub mod drop_zone;
pub mod enrichment;
pub mod gene_search;
pub mod input;
pub mod results;
pub mod saved;
pub mod settings;
pub mod stability;
pub mod status;
pub mod summary;

use leptos::prelude::*;

/// A labelled whole-number input bound to a setting; values below `min` (or above `max`) are
/// brought to it and text that is not a number leaves the setting unchanged. `hint` becomes
/// the input's description (its title), never part of its accessible name.
#[component]
pub fn NumberSetting<T>(
    label: &'static str,
    value: RwSignal<T>,
    min: T,
    #[prop(optional)] max: Option<T>,
    #[prop(optional)] hint: Option<&'static str>,
) -> impl IntoView
where
    T: std::str::FromStr + std::fmt::Display + PartialOrd + Copy + Send + Sync + 'static,
{
    view! {
        <label>
            {label}
            <input
                type="number"
                min=min.to_string()
                max=max.map(|m| m.to_string())
                step="1"
                title=hint
                prop:value=move || value.get().to_string()
                on:input=move |ev| {
                    if let Ok(v) = event_target_value(&ev).parse::<T>() {
                        value.set(match max {
                            _ if v < min => min,
                            Some(m) if v > m => m,
                            _ => v,
                        });
                    }
                }
            />
        </label>
    }
}

/// How long typing in a [`DecimalSetting`] pauses before the value is taken.
const SETTLE: std::time::Duration = std::time::Duration::from_millis(400);

/// A labelled decimal input (`FDR`, `Core threshold`). Its value is taken once typing pauses
/// (a half-typed `0.` must not re-cluster) or at once when the user commits it (Enter,
/// leaving the field, a spinner click). Values are brought into `min..=max`; `on_set`, when
/// given, receives the value instead of the signal (the core threshold re-clusters through a
/// command).
#[component]
pub fn DecimalSetting(
    label: &'static str,
    value: RwSignal<f64>,
    min: f64,
    max: f64,
    step: f64,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional, into)] disabled: MaybeProp<bool>,
    #[prop(optional)] on_set: Option<Callback<f64>>,
) -> impl IntoView {
    // Each keystroke's id: a pause takes the value only if no keystroke or commit followed.
    let typed = StoredValue::new(0u32);
    let take = move |text: &str| {
        let v = text.trim().parse::<f64>().ok().filter(|v| v.is_finite())?;
        Some(v.clamp(min, max))
    };
    let apply = move |v: f64| match on_set {
        Some(f) => f.run(v),
        None => value.set(v),
    };
    view! {
        <label>
            {label}
            <input
                type="number"
                min=min.to_string()
                max=max.to_string()
                step=step.to_string()
                title=hint
                prop:disabled=move || disabled.get().unwrap_or(false)
                prop:value=move || value.get().to_string()
                on:input=move |ev| {
                    let text = event_target_value(&ev);
                    let id = typed.get_value().wrapping_add(1);
                    typed.set_value(id);
                    set_timeout(
                        move || {
                            if typed.try_get_value() == Some(id) {
                                if let Some(v) = take(&text) {
                                    apply(v);
                                }
                            }
                        },
                        SETTLE,
                    );
                }
                on:change=move |ev| {
                    typed.update_value(|id| *id = id.wrapping_add(1));
                    let input = event_target::<web_sys::HtmlInputElement>(&ev);
                    let v = take(&input.value()).unwrap_or_else(|| value.get_untracked());
                    // Shows the value taken, even when the signal already held it.
                    input.set_value(&v.to_string());
                    apply(v);
                }
            />
        </label>
    }
}
