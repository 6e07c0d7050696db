//! The page: load a file, see what was read, train, watch the loss.

use std::rc::Rc;

use leptos::prelude::*;
use vrnn_protocol::{Compute, DatasetSummary, EpochReport, Request, Response, TrainSettings};
use wasm_bindgen::JsCast;
use web_sys::{DragEvent, Event, HtmlInputElement};

use crate::client::WorkerClient;
use crate::format;
use crate::plots;

/// Where the page is in its life cycle; drives the status line and which buttons work.
#[derive(Debug, Clone, PartialEq)]
enum Phase {
    Starting,
    Idle,
    Loading(String),
    Training { backend: String },
    Done,
}

/// `?backend=cpu|webgpu&epochs=N` as initial settings.
fn url_settings() -> (Option<Compute>, Option<usize>) {
    let search = window().location().search().unwrap_or_default();
    let params = web_sys::UrlSearchParams::new_with_str(&search).ok();
    let get = |k: &str| params.as_ref().and_then(|p| p.get(k));
    (
        get("backend").and_then(|b| Compute::parse(&b)),
        get("epochs")
            .and_then(|e| e.parse().ok())
            .filter(|&e: &usize| e > 0),
    )
}

#[component]
pub fn App() -> impl IntoView {
    let (url_compute, url_epochs) = url_settings();
    let phase = RwSignal::new(Phase::Starting);
    let status = RwSignal::new(String::from("Starting the analysis worker…"));
    let error = RwSignal::new(None::<String>);
    let notice = RwSignal::new(None::<String>);
    let summary = RwSignal::new(None::<DatasetSummary>);
    let history = RwSignal::new(Vec::<EpochReport>::new());
    let epochs = RwSignal::new(url_epochs.unwrap_or(2000));
    let seed = RwSignal::new(42u64);
    let compute = RwSignal::new(url_compute.unwrap_or_default());
    let backend_used = RwSignal::new(None::<String>);

    let on_response = move |r: Response| match r {
        Response::Ready => {
            phase.set(Phase::Idle);
            status.set("Ready: drop a CSV file to begin.".into());
        }
        Response::Loaded(s) => {
            status.set(format!(
                "Loaded {}: {} cells, {} genes, {} time points.",
                s.file_name,
                s.n_cells,
                s.n_genes,
                s.times.len()
            ));
            summary.set(Some(s));
            history.set(Vec::new());
            backend_used.set(None);
            error.set(None);
            phase.set(Phase::Idle);
        }
        Response::LoadFailed { message, .. } => {
            error.set(Some(message));
            phase.set(if history.with_untracked(|h| h.is_empty()) {
                Phase::Idle
            } else {
                Phase::Done
            });
            status.set("The file was not loaded; the previous data and results are kept.".into());
        }
        Response::Started { backend, note } => {
            backend_used.set(Some(backend.clone()));
            notice.set(note);
            status.set(format!("Training on {backend}…"));
            phase.set(Phase::Training { backend });
        }
        Response::Epoch(e) => {
            let eta = format::eta(e.epoch, e.epochs, e.elapsed);
            status.set(format!(
                "Epoch {}/{} · train loss {:.4} · test loss {:.4} · ETA {} · {}",
                e.epoch,
                e.epochs,
                e.train_loss,
                e.test_loss,
                format::duration(eta),
                backend_used.get_untracked().unwrap_or_default()
            ));
            history.update(|h| h.push(e));
        }
        Response::Finished { epochs, seconds } => {
            status.set(format!(
                "Finished {epochs} epochs in {} on {} ({:.3} s per epoch).",
                format::duration(seconds),
                backend_used.get_untracked().unwrap_or_default(),
                seconds / epochs.max(1) as f64
            ));
            phase.set(Phase::Done);
        }
        Response::Cancelled { epochs } => {
            status.set(format!(
                "Cancelled after {epochs} epochs; the losses so far are kept."
            ));
            phase.set(Phase::Done);
        }
        Response::Failed { message } => {
            error.set(Some(message));
            status.set("Stopped with an error.".into());
            phase.set(Phase::Done);
        }
    };

    let client = match WorkerClient::start(on_response) {
        Ok(c) => Some(c),
        Err(e) => {
            error.set(Some(e));
            None
        }
    };
    let client = StoredValue::new_local(client);
    let with_client = move |f: &dyn Fn(&Rc<WorkerClient>)| {
        client.with_value(|c| {
            if let Some(c) = c {
                f(c)
            }
        })
    };

    let load_file = move |file: web_sys::File| {
        let name = file.name();
        error.set(None);
        phase.set(Phase::Loading(name.clone()));
        status.set(format!("Reading {name}…"));
        with_client(&|c| {
            c.send_with_file(
                &Request::Load {
                    file_name: name.clone(),
                    time_column: None,
                },
                &file,
            )
        });
    };

    let on_drop = move |ev: DragEvent| {
        ev.prevent_default();
        if let Some(f) = ev
            .data_transfer()
            .and_then(|dt| dt.files())
            .and_then(|fl| fl.get(0))
        {
            load_file(f);
        }
    };
    let on_pick = move |ev: Event| {
        let input: HtmlInputElement = ev.target().expect("change has a target").unchecked_into();
        if let Some(f) = input.files().and_then(|fl| fl.get(0)) {
            load_file(f);
        }
        // Picking the same file again should load it again.
        input.set_value("");
    };

    let train = move |_| {
        error.set(None);
        notice.set(None);
        history.set(Vec::new());
        status.set("Starting training…".into());
        phase.set(Phase::Training {
            backend: String::new(),
        });
        let settings = TrainSettings {
            epochs: epochs.get_untracked().max(1),
            seed: seed.get_untracked(),
            compute: compute.get_untracked(),
        };
        with_client(&|c| c.send(&Request::Train(settings.clone())));
    };
    let cancel = move |_| with_client(&|c| c.send(&Request::Cancel));

    let training = move || matches!(phase.get(), Phase::Training { .. });
    let can_train =
        move || summary.with(|s| s.is_some()) && matches!(phase.get(), Phase::Idle | Phase::Done);

    Effect::new(move || {
        let h = history.get();
        plots::draw("plot-loss", plots::loss_plot(&h));
    });

    view! {
        <header>
            <h1>"VRNN gene clustering"</h1>
            <p class="tagline">
                "Train a variational recurrent network on each gene's expression over time, in this browser tab. Your data never leaves this computer."
            </p>
        </header>
        <main>
            <section
                class="dropzone"
                role="region"
                aria-label="Drop a CSV file"
                on:dragover=move |ev: DragEvent| ev.prevent_default()
                on:drop=on_drop
            >
                <p>"Drop a CSV file here (one row per cell: cell id, cell type, time, then one column per gene), or "</p>
                <label class="file-label" for="csv-file">"CSV file"</label>
                <input id="csv-file" type="file" accept=".csv,.tsv,.txt,text/csv" on:change=on_pick />
            </section>

            <Show when=move || error.get().is_some()>
                <div class="alert" role="alert">{move || error.get().unwrap_or_default()}</div>
            </Show>
            <Show when=move || notice.get().is_some()>
                <p class="notice">{move || notice.get().unwrap_or_default()}</p>
            </Show>

            {move || summary.get().map(|s| view! { <Summary s=s /> })}

            <section class="settings" aria-label="Settings">
                <NumberSetting label="Epochs" value=epochs min=1 />
                <NumberSetting label="Seed" value=seed min=0 />
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
                <button type="button" on:click=train prop:disabled=move || !can_train()>"Train"</button>
                <button type="button" on:click=cancel prop:disabled=move || !training()>"Cancel"</button>
            </section>

            <p class="status" role="status" aria-live="polite">{move || status.get()}</p>
            <p class="backend">
                {move || backend_used.get().map(|b| format!("Compute in use: {b}")).unwrap_or_default()}
            </p>

            <section class="plots">
                <div id="plot-loss" class="plot" data-plot="loss"></div>
            </section>
        </main>
    }
}

/// A labelled whole-number input bound to a setting; values below `min` are raised to it and
/// text that is not a number leaves the setting unchanged.
#[component]
fn NumberSetting<T>(label: &'static str, value: RwSignal<T>, min: T) -> impl IntoView
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

#[component]
fn Summary(s: DatasetSummary) -> impl IntoView {
    let times = s
        .times
        .iter()
        .zip(&s.cells_per_time)
        .map(|(t, n)| format!("{} ({n} cells)", vrnn_protocol::time_label(*t)))
        .collect::<Vec<_>>()
        .join(", ");
    let meta = if s.metadata_columns.is_empty() {
        "none".to_string()
    } else {
        s.metadata_columns.join(", ")
    };
    view! {
        <section class="summary" aria-label="Data summary">
            <h2>{s.file_name}</h2>
            <dl>
                <dt>"Cells"</dt>
                <dd>{s.n_cells}</dd>
                <dt>"Genes"</dt>
                <dd>{s.n_genes}</dd>
                <dt>"Time column"</dt>
                <dd>{s.time_column}</dd>
                <dt>"Time points"</dt>
                <dd>{times}</dd>
                <dt>"Metadata columns"</dt>
                <dd>{meta}</dd>
            </dl>
        </section>
    }
}
