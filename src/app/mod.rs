//! The page: load a file, see what was read, train, watch the loss, then explore the one
//! analysis of the run (clusters, UMAP, trajectories, similar genes) and download its files.
//!
//! Where things are:
//! - [`state`]: every signal of the page in one `AppState`, with its defaults;
//! - [`reducer`]: the worker's responses applied to that state;
//! - `commands`: every request the page sends, and the changes of state that send one;
//! - `browser`: the settings in the URL, and saving files;
//! - `view`: one component per part of the page.
//!
//! `state` and `reducer` touch neither the worker nor the browser, so they also compile
//! natively and are tested there; the rest is built for the browser only.

pub mod reducer;
pub mod state;

#[cfg(target_arch = "wasm32")]
mod browser;
#[cfg(target_arch = "wasm32")]
mod commands;
#[cfg(target_arch = "wasm32")]
mod view;

/// The page: its state, the worker it talks to, and its parts top to bottom.
#[cfg(target_arch = "wasm32")]
#[leptos::component]
pub fn App() -> impl leptos::IntoView {
    use leptos::prelude::*;
    use view::benchmark::Benchmark;
    use view::drop_zone::DropZone;
    use view::input::{ReadOptions, TimeValues};
    use view::results::Results;
    use view::saved::SavedList;
    use view::settings::Settings;
    use view::status::{LossPlot, Messages, StatusLine};
    use view::summary::{CellType, DataSummary, TimeColumn};

    let state = state::AppState::new(browser::url_settings());
    let commands = commands::Commands::start(state);
    commands.follow_state();

    view! {
        <header>
            <h1>"VRNN gene clustering"</h1>
            <p class="tagline">
                "Train a variational recurrent network on each gene's expression over time, in this browser tab. Your data never leaves this computer."
            </p>
        </header>
        <main>
            <DropZone state=state commands=commands />
            <Messages state=state />
            <DataSummary state=state />
            <TimeColumn state=state commands=commands />
            <CellType state=state commands=commands />
            <TimeValues state=state commands=commands />
            <ReadOptions state=state commands=commands />
            <Settings state=state commands=commands />
            <Benchmark state=state commands=commands />
            <StatusLine state=state />
            <LossPlot state=state />
            <SavedList state=state commands=commands />
            <Results state=state commands=commands />
        </main>
    }
}
