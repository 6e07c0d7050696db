//! What the page says while it works: the alert and the notice, the status line with the
//! compute in use, and the loss plot that follows training epoch by epoch.

use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

use crate::app::state::{AppState, Phase};
use crate::plots;

/// The alert (`role=alert`, errors) and the notice (what the user should know).
#[component]
pub fn Messages(state: AppState) -> impl IntoView {
    let (error, notice) = (state.error, state.notice);
    view! {
        <Show when=move || error.get().is_some()>
            <div class="alert" role="alert">{move || error.get().unwrap_or_default()}</div>
        </Show>
        <Show when=move || notice.get().is_some()>
            <p class="notice">{move || notice.get().unwrap_or_default()}</p>
        </Show>
    }
}

/// The status line (`role=status`) and the compute in use, with why `Auto` chose it.
#[component]
pub fn StatusLine(state: AppState) -> impl IntoView {
    view! {
        <p class="status" role="status" aria-live="polite">{move || state.status.get()}</p>
        <p class="backend">
            {move || {
                let reason = state.backend_reason.get();
                let workers = state.backend_workers.get();
                state
                    .backend
                    .get()
                    .map(|b| {
                        let compute = b.with_workers(workers);
                        match reason {
                            Some(r) => format!("Compute in use: {compute} ({r})"),
                            None => format!("Compute in use: {compute}"),
                        }
                    })
                    .unwrap_or_default()
            }}
        </p>
    }
}

/// The least wait between two redraws of the loss plot while training, in milliseconds.
const LOSS_REDRAW_MIN_MS: f64 = 200.0;
/// While training, the loss plot waits this many times as long as its last redraw took before
/// the next, so that redrawing takes at most a fifth of the page's main thread on any machine.
const LOSS_REDRAW_FACTOR: f64 = 4.0;

/// Train and test loss per epoch (`data-plot="loss"`).
#[component]
pub fn LossPlot(state: AppState) -> impl IntoView {
    let history = state.history;
    // While training, the loss plot redraws at most five times a second, and less often where
    // a redraw is slow (a slow machine, a long run): a small data set trains hundreds of epochs
    // a second, and redrawing after each would hold up the page. Once training stops it draws
    // at once, so the final plot is never late.
    let draw_pending = StoredValue::new(false);
    let last_draw_ms = StoredValue::new(0.0_f64);
    Effect::new(move || {
        history.track();
        if !matches!(state.phase.get(), Phase::Training { .. }) {
            plots::draw("plot-loss", plots::loss_plot(&history.get_untracked()));
            return;
        }
        if draw_pending.get_value() {
            return;
        }
        draw_pending.set_value(true);
        let draw = Closure::once_into_js(move || {
            draw_pending.set_value(false);
            let started = js_sys::Date::now();
            let figure = plots::figure(&plots::loss_plot(&history.get_untracked()));
            plots::draw_then("plot-loss", figure, move || {
                last_draw_ms.set_value(js_sys::Date::now() - started);
            });
        });
        let wait = LOSS_REDRAW_MIN_MS.max(LOSS_REDRAW_FACTOR * last_draw_ms.get_value());
        let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(
            draw.unchecked_ref(),
            wait as i32,
        );
    });
    view! {
        <section class="plots">
            <div id="plot-loss" class="plot" data-plot="loss"></div>
        </section>
    }
}
