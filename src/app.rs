//! The page: load a file, see what was read, train, watch the loss, then explore the one
//! analysis of the run (clusters, UMAP, trajectories, similar genes) and download its files.

use std::rc::Rc;

use leptos::prelude::*;
use vrnn_protocol::{
    AnalysisView, Compute, DatasetSummary, EpochReport, LatentSummary, Preset, Request, Response,
    SavedRun, SimilarGene, TrainSettings,
};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
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
    Analysing,
    Done,
}

/// Genes of interest of the seed study, shown by default when the data has them.
const DEFAULT_GENES_OF_INTEREST: &str = "IRF1, CXCL9, CXCL10";

/// Saves a file (text or bytes, as Blob parts) through a temporary link: the browser's
/// download, nothing uploaded.
fn save_file(name: &str, mime: &str, parts: &js_sys::Array) {
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_u8_array_sequence_and_options(parts, &opts) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    let doc = document();
    if let Ok(a) = doc.create_element("a") {
        let a: web_sys::HtmlAnchorElement = a.unchecked_into();
        a.set_href(&url);
        a.set_download(name);
        if let Some(body) = doc.body() {
            let _ = body.append_child(&a);
            a.click();
            let _ = body.remove_child(&a);
        }
    }
    // Give the download time to start before the URL is released.
    let revoke = wasm_bindgen::closure::Closure::once_into_js(move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    let _ = window()
        .set_timeout_with_callback_and_timeout_and_arguments_0(revoke.unchecked_ref(), 10_000);
}

/// `?inject-panic=N` or `?inject-gpu-loss=N`: a testing aid that makes the worker panic at the
/// end of epoch N (the second only when training on WebGPU, as a lost device would).
fn url_fault() -> Option<Request> {
    let search = window().location().search().unwrap_or_default();
    let params = web_sys::UrlSearchParams::new_with_str(&search).ok()?;
    let at = |k: &str| params.get(k).and_then(|v| v.parse().ok());
    if let Some(at_epoch) = at("inject-panic") {
        return Some(Request::InjectPanic {
            at_epoch,
            only_on_webgpu: false,
        });
    }
    at("inject-gpu-loss").map(|at_epoch| Request::InjectPanic {
        at_epoch,
        only_on_webgpu: true,
    })
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
    let preset = RwSignal::new(Preset::default());
    let epochs = RwSignal::new(url_epochs.unwrap_or(Preset::default().default_epochs()));
    let seed = RwSignal::new(42u64);
    let compute = RwSignal::new(url_compute.unwrap_or_default());
    let backend_used = RwSignal::new(None::<String>);
    let k = RwSignal::new(6usize);
    let genes = RwSignal::new(2000usize);
    let batch_size = RwSignal::new(400usize);
    let goi_text = RwSignal::new(DEFAULT_GENES_OF_INTEREST.to_string());
    // Columns the user may name as time, and the last file, to read it again with that choice.
    let time_options = RwSignal::new(Vec::<String>::new());
    let last_file = StoredValue::new_local(None::<web_sys::File>);
    // None: the preset's own latent summary.
    let latent = RwSignal::new(None::<LatentSummary>);
    let analysis = RwSignal::new(None::<AnalysisView>);
    let selected = RwSignal::new(None::<usize>);
    let similar = RwSignal::new(None::<(String, Vec<SimilarGene>)>);
    let trained = RwSignal::new(String::new());
    // Runs kept in this browser, and the latest one stored for the current run.
    let saved = RwSignal::new(Vec::<SavedRun>::new());
    let stored = RwSignal::new(None::<(String, usize, bool)>);
    let fault = StoredValue::new(url_fault());
    let keep_alert = StoredValue::new(false);
    let client = StoredValue::new_local(None::<Rc<WorkerClient>>);
    let with_client = move |f: &dyn Fn(&Rc<WorkerClient>)| {
        client.with_value(|c| {
            if let Some(c) = c {
                f(c)
            }
        })
    };

    // After a load that did not happen: back to where the page was.
    let settled = move || {
        if history.with_untracked(|h| h.is_empty()) {
            Phase::Idle
        } else {
            Phase::Done
        }
    };
    let on_response = move |r: Response| match r {
        Response::Ready => {
            if phase.get_untracked() == Phase::Starting {
                phase.set(Phase::Idle);
                status.set("Ready: drop a CSV file to begin.".into());
            }
            with_client(&|c| {
                c.send(&Request::ListSaved);
                if let Some(f) = fault.get_value() {
                    c.send(&f);
                }
            });
            fault.set_value(None);
        }
        Response::SavedRuns(runs) => saved.set(runs),
        Response::Stored {
            id,
            epochs,
            finished,
        } => stored.set(Some((id, epochs, finished))),
        Response::Crashed { message } => {
            let was = phase.get_untracked();
            let kept = stored.get_untracked();
            let on_webgpu = matches!(&was, Phase::Training { backend } if backend == "WebGPU");
            match kept {
                Some((id, epochs, false)) if on_webgpu => {
                    error.set(Some(format!(
                        "WebGPU failed during training ({message}); the run continues on the CPU backend from the checkpoint at epoch {epochs}."
                    )));
                    compute.set(Compute::Cpu);
                    keep_alert.set_value(true);
                    with_client(&|c| {
                        c.send(&Request::OpenSaved {
                            id: id.clone(),
                            resume: Some(Compute::Cpu),
                        })
                    });
                }
                Some((id, epochs, finished)) => {
                    let advice = if finished {
                        "Nothing was lost.".to_string()
                    } else {
                        format!("The checkpoint at epoch {epochs} is reopened: press \"Resume\" to go on.")
                    };
                    error.set(Some(format!(
                        "The analysis worker crashed ({message}); a new one was started. {advice}"
                    )));
                    keep_alert.set_value(true);
                    with_client(&|c| {
                        c.send(&Request::OpenSaved {
                            id: id.clone(),
                            resume: None,
                        })
                    });
                }
                None => {
                    error.set(Some(format!(
                        "The analysis worker crashed ({message}); a new one was started. Load the file again to go on."
                    )));
                    summary.set(None);
                    history.set(Vec::new());
                    analysis.set(None);
                    phase.set(Phase::Idle);
                    status.set("Ready: drop a CSV file to begin.".into());
                }
            }
        }
        Response::Reading {
            file_name,
            bytes,
            total,
            rows,
            seconds,
        } => {
            let rate = bytes / seconds.max(1e-3);
            let eta = (total - bytes).max(0.0) / rate.max(1.0);
            status.set(format!(
                "Reading {file_name}: {} of {} ({:.0} %) · {} rows · {:.1} MB/s · {} rows/s · ETA {}",
                format::bytes(bytes),
                format::bytes(total),
                100.0 * bytes / total.max(1.0),
                format::count(rows as f64),
                rate / 1e6,
                format::count(rows as f64 / seconds.max(1e-3)),
                format::duration(eta)
            ));
        }
        Response::Loaded(s) => {
            let of_type = s
                .cell_type
                .as_ref()
                .map(|t| format!(" of type {t}"))
                .unwrap_or_default();
            let read = if s.read.seconds > 0.0 {
                format!(
                    " Read {} in {} ({:.1} MB/s).",
                    format::bytes(s.read.bytes),
                    format::duration(s.read.seconds),
                    s.read.bytes / 1e6 / s.read.seconds
                )
            } else {
                String::new()
            };
            status.set(format!(
                "Loaded {}: {} cells{of_type}, {} genes, {} time points.{read}",
                s.file_name,
                s.n_cells,
                s.n_genes,
                s.times.len()
            ));
            genes.set(vrnn_protocol::default_gene_count(s.n_genes));
            time_options.set(
                std::iter::once(s.time_column.clone())
                    .chain(s.metadata_columns.iter().cloned())
                    .collect(),
            );
            summary.set(Some(s));
            stored.set(None);
            history.set(Vec::new());
            analysis.set(None);
            selected.set(None);
            similar.set(None);
            backend_used.set(None);
            // The data set a new worker reopens after a crash must not hide the crash's alert.
            if !keep_alert.get_value() {
                error.set(None);
            }
            keep_alert.set_value(false);
            phase.set(Phase::Idle);
        }
        Response::LoadFailed {
            message,
            time_candidates,
            ..
        } => {
            if !time_candidates.is_empty() {
                time_options.set(time_candidates);
            }
            error.set(Some(message));
            phase.set(settled());
            status.set("The file was not loaded; the previous data and results are kept.".into());
        }
        Response::LoadCancelled { file_name } => {
            phase.set(settled());
            status.set(format!(
                "Reading {file_name} was cancelled; the previous data and results are kept."
            ));
        }
        Response::Notice { message } => notice.set(Some(message)),
        Response::Started {
            backend,
            note,
            history: so_far,
        } => {
            // The earlier results stay until a run has really started (a refused run, such as
            // more clusters than genes, keeps them).
            if so_far.is_empty() {
                stored.set(None);
            }
            history.set(so_far);
            analysis.set(None);
            selected.set(None);
            similar.set(None);
            backend_used.set(Some(backend.clone()));
            if let Some(note) = note {
                notice.update(|n| {
                    *n = Some(match n.take() {
                        Some(earlier) => format!("{earlier} {note}"),
                        None => note,
                    })
                });
            }
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
            let t = format!(
                "{epochs} epochs in {} on {} ({:.3} s per epoch)",
                format::duration(seconds),
                backend_used.get_untracked().unwrap_or_default(),
                seconds / epochs.max(1) as f64
            );
            status.set(format!("Trained {t}; analysing…"));
            trained.set(t);
            phase.set(Phase::Analysing);
        }
        Response::Progress { label, fraction } => {
            status.set(format!("Analysing: {label} ({:.0} %)", fraction * 100.0));
        }
        Response::Analysed(view) => {
            let t = &view.timings;
            status.set(format!(
                "Finished: {} · {} clusters of {} genes · analysis {} (latent summary {}, k choice {}, clustering {}, UMAP {}).",
                trained.get_untracked(),
                view.clusters.k,
                view.genes.len(),
                format::duration(t.latent_s + t.k_choice_s + t.cluster_s + t.umap_s),
                format::duration(t.latent_s),
                format::duration(t.k_choice_s),
                format::duration(t.cluster_s),
                format::duration(t.umap_s),
            ));
            k.set(view.clusters.k);
            selected.set(None);
            similar.set(None);
            analysis.set(Some(view));
            phase.set(Phase::Done);
        }
        Response::Reclustered(clusters) => {
            let n = clusters.k;
            analysis.update(|a| {
                if let Some(a) = a {
                    a.clusters = clusters;
                }
            });
            // The similar-genes table shows cluster numbers: it is asked for again (an effect
            // below watches the clustering).
            similar.set(None);
            status.set(format!(
                "Finished: re-clustered into {n} clusters without retraining."
            ));
        }
        Response::Similar { query, genes } => similar.set(Some((query, genes))),
        Response::File {
            name,
            mime,
            contents,
        } => save_file(&name, &mime, &js_sys::Array::of1(&contents.into())),
        Response::BinaryFile { name, mime, bytes } => save_file(
            &name,
            &mime,
            &js_sys::Array::of1(&js_sys::Uint8Array::from(&bytes[..])),
        ),
        Response::Restored {
            file_name,
            history: h,
            backend,
            seconds,
            epochs_total,
            analysed,
        } => {
            let done = h.len();
            trained.set(format!(
                "{done} epochs in {} on {backend}, reopened from {file_name}",
                format::duration(seconds)
            ));
            backend_used.set(Some(backend));
            history.set(h);
            if analysed {
                phase.set(Phase::Analysing);
            } else {
                epochs.set(epochs_total.max(done + 1));
                status.set(format!(
                    "Reopened {file_name}: a checkpoint at epoch {done} of {epochs_total}. Press \"Resume\" to go on from there."
                ));
                phase.set(Phase::Done);
            }
        }
        Response::Cancelled { epochs } => {
            status.set(format!(
                "Cancelled after {epochs} epochs; the losses so far are kept, and Resume goes on from here."
            ));
            phase.set(Phase::Done);
        }
        Response::Failed { message } => {
            error.set(Some(message));
            status.set("Stopped with an error.".into());
            phase.set(settled());
        }
    };

    match WorkerClient::start(on_response) {
        Ok(c) => client.set_value(Some(c)),
        Err(e) => error.set(Some(e)),
    }

    let load_with = move |file: web_sys::File, time_column: Option<String>| {
        let name = file.name();
        error.set(None);
        phase.set(Phase::Loading(name.clone()));
        status.set(format!("Reading {name}…"));
        with_client(&|c| {
            c.send_with_file(
                &Request::Load {
                    file_name: name.clone(),
                    time_column: time_column.clone(),
                },
                &file,
            )
        });
        last_file.set_value(Some(file));
    };
    let load_file = move |file: web_sys::File| {
        time_options.set(Vec::new());
        load_with(file, None);
    };
    let choose_time = move |column: String| {
        if let Some(file) = last_file.get_value() {
            load_with(file, (!column.is_empty()).then_some(column));
        }
    };

    let load_demo = move |_| {
        error.set(None);
        phase.set(Phase::Loading("demo".into()));
        status.set("Generating the demo data (simulated in this tab)…".into());
        with_client(&|c| c.send(&Request::LoadDemo));
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
        status.set("Starting training…".into());
        phase.set(Phase::Training {
            backend: String::new(),
        });
        let settings = TrainSettings {
            epochs: epochs.get_untracked().max(1),
            seed: seed.get_untracked(),
            compute: compute.get_untracked(),
            k: k.get_untracked().max(1),
            preset: preset.get_untracked(),
            latent: latent.get_untracked(),
            genes: Some(genes.get_untracked().max(1)),
            keep: goi_text
                .get_untracked()
                .split([',', ' ', ';', '\t', '\n'])
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
            batch_size: Some(batch_size.get_untracked().max(1)),
        };
        with_client(&|c| c.send(&Request::Train(settings.clone())));
    };
    let cancel = move |_| with_client(&|c| c.send(&Request::Cancel));
    let continue_training = move |_| {
        error.set(None);
        notice.set(None);
        status.set("Going on training from the last weights…".into());
        phase.set(Phase::Training {
            backend: String::new(),
        });
        with_client(&|c| {
            c.send(&Request::Continue {
                epochs: epochs.get_untracked().max(1),
                compute: compute.get_untracked(),
            })
        });
    };
    let reopen = Callback::new(move |id: String| {
        error.set(None);
        notice.set(None);
        status.set("Reopening the saved analysis…".into());
        with_client(&|c| {
            c.send(&Request::OpenSaved {
                id: id.clone(),
                resume: None,
            })
        });
    });
    let delete = Callback::new(move |id: String| {
        with_client(&|c| c.send(&Request::DeleteSaved { id: id.clone() }))
    });

    // Changing k after training re-clusters the same latents: no retraining.
    Effect::new(move || {
        let k = k.get();
        let current = analysis.with(|a| a.as_ref().map(|a| a.clusters.k));
        if current.is_some_and(|c| c != k) && k >= 1 && phase.get_untracked() == Phase::Done {
            with_client(&|c| c.send(&Request::Recluster { k }));
        }
    });
    let similar_n = RwSignal::new(20usize);
    // The similar-genes table follows the selected gene, N and the clustering.
    Effect::new(move || {
        let gene = selected
            .get()
            .and_then(|g| analysis.with(|a| a.as_ref().and_then(|a| a.genes.get(g).cloned())));
        let _ = analysis.with(|a| a.as_ref().map(|a| a.clusters.labels.len() + a.clusters.k));
        let n = similar_n.get();
        if let Some(gene) = gene {
            with_client(&|c| {
                c.send(&Request::Similar {
                    gene: gene.clone(),
                    n,
                })
            });
        }
    });
    let export = Callback::new(move |name: String| {
        with_client(&|c| c.send(&Request::Export { name: name.clone() }))
    });

    let busy = move || {
        matches!(
            phase.get(),
            Phase::Loading(_) | Phase::Training { .. } | Phase::Analysing
        )
    };
    let choose_cell_type = move |value: String| {
        error.set(None);
        let cell_type = (!value.is_empty()).then_some(value);
        with_client(&|c| {
            c.send(&Request::FilterCellType {
                cell_type: cell_type.clone(),
            })
        });
    };
    let can_train =
        move || summary.with(|s| s.is_some()) && matches!(phase.get(), Phase::Idle | Phase::Done);
    let can_continue = move || phase.get() == Phase::Done && history.with(|h| !h.is_empty());

    // While training, the loss plot redraws at most five times a second: a small data set
    // trains hundreds of epochs a second, and redrawing after each would hold up the page.
    // Once training stops it draws at once, so the final plot is never late.
    let loss_draw_pending = StoredValue::new(false);
    Effect::new(move || {
        history.track();
        if !matches!(phase.get(), Phase::Training { .. }) {
            plots::draw("plot-loss", plots::loss_plot(&history.get_untracked()));
            return;
        }
        if loss_draw_pending.get_value() {
            return;
        }
        loss_draw_pending.set_value(true);
        let draw = Closure::once_into_js(move || {
            loss_draw_pending.set_value(false);
            plots::draw("plot-loss", plots::loss_plot(&history.get_untracked()));
        });
        let _ = window()
            .set_timeout_with_callback_and_timeout_and_arguments_0(draw.unchecked_ref(), 200);
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
                <p>"Drop a CSV file here (one row per cell: cell id, cell type, time, then one column per gene; CSV, TSV or semicolon-separated, optionally .gz) or a saved session (.vrnn), or "</p>
                <label class="file-label" for="csv-file">"CSV file"</label>
                <input id="csv-file" type="file" accept=".csv,.tsv,.txt,.gz,.vrnn,text/csv,text/tab-separated-values" on:change=on_pick />
                <p class="demo">
                    "No data at hand? "
                    <button type="button" class="secondary" on:click=load_demo
                        prop:disabled=move || matches!(phase.get(), Phase::Starting | Phase::Training { .. } | Phase::Analysing)>
                        "Try demo data"
                    </button>
                    " (2000 simulated genes with planted IFN-gamma response modules, generated in this tab)"
                </p>
            </section>

            <Show when=move || error.get().is_some()>
                <div class="alert" role="alert">{move || error.get().unwrap_or_default()}</div>
            </Show>
            <Show when=move || notice.get().is_some()>
                <p class="notice">{move || notice.get().unwrap_or_default()}</p>
            </Show>

            {move || summary.get().map(|s| view! { <Summary s=s /> })}
            <Show when=move || !time_options.with(Vec::is_empty)>
                <label class="time-column">
                    "Time column"
                    <select on:change=move |ev| choose_time(event_target_value(&ev))>
                        <option value="">"Choose…"</option>
                        {move || {
                            let current = summary.with(|s| s.as_ref().map(|s| s.time_column.clone()));
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

            <Show when=move || summary.with(|s| s.as_ref().is_some_and(|s| !s.cell_types.is_empty()))>
                <label class="cell-type">
                    "Cell type"
                    <select
                        aria-label="CellType"
                        prop:disabled=busy
                        on:change=move |ev| choose_cell_type(event_target_value(&ev))
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

            <section class="settings" aria-label="Settings">
                <NumberSetting label="Epochs" value=epochs min=1 />
                <NumberSetting label="Seed" value=seed min=0 />
                <NumberSetting label="Clusters (k)" value=k min=2 />
                <NumberSetting label="Genes" value=genes min=2 />
                <NumberSetting label="Batch size" value=batch_size min=1 />
                <label>
                    "Preset"
                    <select on:change=move |ev| {
                        if let Some(p) = Preset::parse(&event_target_value(&ev)) {
                            preset.set(p);
                            if url_epochs.is_none() {
                                epochs.set(p.default_epochs());
                            }
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
                <button type="button" on:click=train prop:disabled=move || !can_train()>"Train"</button>
                <button type="button" on:click=cancel prop:disabled=move || !busy()>"Cancel"</button>
                <button type="button" class="secondary" on:click=continue_training prop:disabled=move || !can_continue()
                    title="Train the current run further from its last weights, up to Epochs in all">
                    "Resume"
                </button>
            </section>

            <p class="muted preset-note">{move || preset.get().description()}</p>

            <p class="status" role="status" aria-live="polite">{move || status.get()}</p>
            <p class="backend">
                {move || backend_used.get().map(|b| format!("Compute in use: {b}")).unwrap_or_default()}
            </p>

            <section class="plots">
                <div id="plot-loss" class="plot" data-plot="loss"></div>
            </section>

            <Show when=move || !saved.with(Vec::is_empty)>
                <SavedList saved=saved reopen=reopen delete=delete busy=Signal::derive(busy) />
            </Show>

            <Show when=move || analysis.with(|a| a.is_some())>
                <Results
                    analysis=analysis
                    selected=selected
                    similar=similar
                    similar_n=similar_n
                    time_title=Signal::derive(move || {
                        summary.with(|s| s.as_ref().map(|s| s.time_column.clone()).unwrap_or_else(|| "time".into()))
                    })
                    export=export
                    goi_text=goi_text
                />
            </Show>
        </main>
    }
}

/// Gene indices named in a comma- or space-separated list, and the names not found.
fn parse_genes(a: &AnalysisView, text: &str) -> (Vec<usize>, Vec<String>) {
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for name in text
        .split([',', ' ', ';', '\t', '\n'])
        .filter(|s| !s.is_empty())
    {
        match find_gene(a, name) {
            Some(g) if !found.contains(&g) => found.push(g),
            Some(_) => {}
            None => missing.push(name.to_string()),
        }
    }
    (found, missing)
}

/// Exact name first, then case-insensitive.
fn find_gene(a: &AnalysisView, name: &str) -> Option<usize> {
    let name = name.trim();
    a.genes
        .iter()
        .position(|g| g == name)
        .or_else(|| a.genes.iter().position(|g| g.eq_ignore_ascii_case(name)))
}

/// Up to `n` gene names matching what was typed: prefix matches first, then substring.
fn suggestions(a: &AnalysisView, typed: &str, n: usize) -> Vec<usize> {
    let q = typed.trim().to_lowercase();
    if q.is_empty() {
        return Vec::new();
    }
    let lower: Vec<String> = a.genes.iter().map(|g| g.to_lowercase()).collect();
    let mut out: Vec<usize> = (0..lower.len())
        .filter(|&g| lower[g].starts_with(&q))
        .take(n)
        .collect();
    if out.len() < n {
        out.extend(
            (0..lower.len())
                .filter(|&g| !lower[g].starts_with(&q) && lower[g].contains(&q))
                .take(n - out.len()),
        );
    }
    out
}

/// Everything shown after a run: plots, the gene search with similar genes, and downloads.
#[component]
fn Results(
    analysis: RwSignal<Option<AnalysisView>>,
    selected: RwSignal<Option<usize>>,
    similar: RwSignal<Option<(String, Vec<SimilarGene>)>>,
    similar_n: RwSignal<usize>,
    time_title: Signal<String>,
    export: Callback<String>,
    goi_text: RwSignal<String>,
) -> impl IntoView {
    let show_all = RwSignal::new(false);
    let query = RwSignal::new(String::new());
    let search_note = RwSignal::new(None::<String>);
    let goi = Memo::new(move |_| {
        analysis.with(|a| {
            a.as_ref()
                .map(|a| goi_text.with(|t| parse_genes(a, t)))
                .unwrap_or_default()
        })
    });

    let choose = move |g: usize| {
        let name = analysis.with_untracked(|a| a.as_ref().and_then(|a| a.genes.get(g).cloned()));
        if let Some(name) = name {
            query.set(name);
            search_note.set(None);
            selected.set(Some(g));
        }
    };
    let search = move || {
        let typed = query.get_untracked();
        let hit = analysis.with_untracked(|a| {
            a.as_ref().and_then(|a| {
                find_gene(a, &typed).or_else(|| suggestions(a, &typed, 1).first().copied())
            })
        });
        match hit {
            Some(g) => choose(g),
            None if typed.trim().is_empty() => {}
            None => search_note.set(Some(format!(
                "No gene named \"{}\" in this data set.",
                typed.trim()
            ))),
        }
    };

    Effect::new(move || {
        let sel = selected.get();
        analysis.with(|a| {
            if let Some(a) = a {
                plots::draw_then(
                    "plot-umap",
                    plots::figure(&plots::umap(a, sel)),
                    move || plots::on_point_click("plot-umap", choose),
                );
            }
        });
    });
    Effect::new(move || {
        let (sel, all, title) = (selected.get(), show_all.get(), time_title.get());
        analysis.with(|a| {
            if let Some(a) = a {
                plots::draw_figure(
                    "plot-trajectories",
                    plots::trajectories(a, &title, all, sel),
                );
            }
        });
    });
    Effect::new(move || {
        let (sel, title, (goi, _)) = (selected.get(), time_title.get(), goi.get());
        analysis.with(|a| {
            if let Some(a) = a {
                plots::draw_figure(
                    "plot-cluster-summary",
                    plots::cluster_summary(a, &title, &goi, sel),
                );
                plots::draw("plot-goi", plots::genes_of_interest(a, &title, &goi, sel));
            }
        });
    });
    Effect::new(move || {
        analysis.with(|a| {
            if let Some(a) = a {
                plots::draw("plot-k-choice", plots::k_choice(a));
            }
        });
    });
    Effect::new(move || {
        let title = time_title.get();
        let (sel, sim) = (selected.get(), similar.get());
        analysis.with(|a| {
            if let (Some(a), Some(g), Some((_, genes))) = (a, sel, sim) {
                plots::draw("plot-similar", plots::similar_genes(a, &title, g, &genes));
            }
        });
    });

    let sizes = move || {
        analysis.with(|a| {
            a.as_ref()
                .map(|a| {
                    let mut s = vec![0usize; a.clusters.k];
                    for &c in &a.clusters.labels {
                        if (1..=a.clusters.k).contains(&c) {
                            s[c - 1] += 1;
                        }
                    }
                    s
                })
                .unwrap_or_default()
        })
    };
    let download = move |label: &'static str, file: &'static str| {
        view! {
            <button type="button" class="secondary" on:click=move |_| export.run(file.to_string())>
                {label}
            </button>
        }
    };

    view! {
        <section class="results" aria-label="Results">
            <h2>"Results"</h2>
            <div class="gene-search">
                <label>
                    "Gene"
                    <input
                        type="search"
                        placeholder="e.g. IRF1"
                        autocomplete="off"
                        prop:value=move || query.get()
                        on:input=move |ev| {
                            query.set(event_target_value(&ev));
                            search_note.set(None);
                        }
                        on:keydown=move |ev: web_sys::KeyboardEvent| {
                            if ev.key() == "Enter" {
                                ev.prevent_default();
                                search();
                            }
                        }
                    />
                </label>
                <NumberSetting label="Neighbours to list" value=similar_n min=1 />
                <ul class="suggestions" aria-label="Matching genes">
                    {move || {
                        let typed = query.get();
                        analysis.with(|a| {
                            a.as_ref()
                                .map(|a| {
                                    let exact = find_gene(a, &typed);
                                    suggestions(a, &typed, 8)
                                        .into_iter()
                                        .filter(|&g| Some(g) != exact || selected.get() != Some(g))
                                        .map(|g| {
                                            let name = a.genes[g].clone();
                                            view! {
                                                <li>
                                                    <button type="button" class="chip" on:click=move |_| choose(g)>
                                                        {name}
                                                    </button>
                                                </li>
                                            }
                                        })
                                        .collect_view()
                                })
                        })
                    }}
                </ul>
                <Show when=move || search_note.get().is_some()>
                    <p class="notice">{move || search_note.get().unwrap_or_default()}</p>
                </Show>
            </div>

            {move || similar.get().map(|(q, genes)| view! { <SimilarTable query=q genes=genes export=export /> })}
            <div id="plot-similar" class="plot" data-plot="similar-genes"
                style:display=move || if similar.with(|s| s.is_some()) { "block" } else { "none" }></div>

            <div id="plot-umap" class="plot" data-plot="umap"></div>
            <div id="plot-k-choice" class="plot" data-plot="k-choice"></div>
            <label class="inline">
                <input type="checkbox" prop:checked=move || show_all.get()
                    on:change=move |ev| show_all.set(event_target_checked(&ev)) />
                "Show all genes in the trajectory panels"
            </label>
            <div id="plot-trajectories" class="plot" data-plot="trajectories"></div>
            <label class="wide">
                "Genes of interest"
                <input type="text" prop:value=move || goi_text.get()
                    on:change=move |ev| goi_text.set(event_target_value(&ev)) />
            </label>
            <Show when=move || !goi.with(|g| g.1.is_empty())>
                <p class="muted">
                    {move || format!("Not in this data set: {}", goi.with(|g| g.1.join(", ")))}
                </p>
            </Show>
            <div id="plot-cluster-summary" class="plot" data-plot="cluster-summary"></div>
            <div id="plot-goi" class="plot" data-plot="genes-of-interest"></div>

            <section class="downloads" aria-label="Downloads">
                <h3>"Downloads"</h3>
                <p class="muted">"The same files as the command-line tool writes. Cluster numbers match the plots."</p>
                <div class="buttons">
                    {download("Download clusters CSV", "clusters.csv")}
                    {download("Download memberships CSV", "memberships.csv")}
                    {download("Download gene sets (GMT)", "clusters.gmt")}
                    {download("Download latents CSV", "latents.csv")}
                    {download("Download UMAP CSV", "umap.csv")}
                    {download("Download means CSV", "means.csv")}
                    {download("Download reconstruction CSV", "reconstruction.csv")}
                    {download("Download loss CSV", "loss.csv")}
                    {download("Download run JSON", "run.json")}
                    {download("Download session", "session.vrnn")}
                </div>
                <div class="buttons">
                    {move || {
                        sizes()
                            .into_iter()
                            .enumerate()
                            .map(|(c, n)| {
                                let file = format!("cluster_{}.txt", c + 1);
                                view! {
                                    <button type="button" class="secondary"
                                        on:click=move |_| export.run(file.clone())>
                                        {format!("Cluster {} gene list ({n})", c + 1)}
                                    </button>
                                }
                            })
                            .collect_view()
                    }}
                </div>
            </section>
        </section>
    }
}

#[component]
fn SimilarTable(query: String, genes: Vec<SimilarGene>, export: Callback<String>) -> impl IntoView {
    view! {
        <div class="similar">
            <table aria-label="Similar genes">
                <caption>{format!("Genes with dynamics most similar to {query}")}</caption>
                <thead>
                    <tr><th>"Rank"</th><th>"Gene"</th><th>"Distance"</th><th>"Cluster"</th></tr>
                </thead>
                <tbody>
                    {genes
                        .into_iter()
                        .enumerate()
                        .map(|(i, g)| {
                            view! {
                                <tr>
                                    <td>{i + 1}</td>
                                    <td>{g.gene}</td>
                                    <td>{format!("{:.4}", g.distance)}</td>
                                    <td>{g.cluster}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
            <button type="button" class="secondary"
                on:click=move |_| export.run("similar_genes.csv".into())>
                "Download similar genes CSV"
            </button>
        </div>
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
    let cells = match &s.cell_type {
        Some(t) => format!("{} of type {t}", s.n_cells),
        None => s.n_cells.to_string(),
    };
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
                <dt>"Cells"</dt>
                <dd>{cells}</dd>
                <dt>"Cell types"</dt>
                <dd>{types}</dd>
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

/// The runs kept in this browser: a reload or a crash costs only the epochs since the last
/// checkpoint.
#[component]
fn SavedList(
    saved: RwSignal<Vec<SavedRun>>,
    reopen: Callback<String>,
    delete: Callback<String>,
    busy: Signal<bool>,
) -> impl IntoView {
    view! {
        <section class="saved" role="region" aria-label="Saved analyses">
            <h2>"Saved analyses"</h2>
            <p class="muted">
                "Kept in this browser only (never uploaded) and saved every few seconds while training, so a closed tab loses at most a few seconds."
            </p>
            <ul>
                {move || {
                    saved
                        .get()
                        .into_iter()
                        .map(|r| {
                            let when = js_sys::Date::new(&r.saved_at.into())
                                .to_locale_string("default", &JsValue::UNDEFINED)
                                .as_string()
                                .unwrap_or_default();
                            let of_type = r
                                .cell_type
                                .as_ref()
                                .map(|t| format!(" ({t})"))
                                .unwrap_or_default();
                            let state = if r.finished {
                                format!("finished, {} epochs", r.epochs_done)
                            } else {
                                format!("checkpoint at epoch {} of {}", r.epochs_done, r.epochs_total)
                            };
                            let text = format!(
                                "{}{of_type} · {} · {state} · {} · saved {when}",
                                r.source,
                                r.preset,
                                format::bytes(r.bytes)
                            );
                            let (id_open, id_delete) = (r.id.clone(), r.id.clone());
                            view! {
                                <li data-finished=r.finished.to_string()>
                                    <span class="saved-label">{text.clone()}</span>
                                    <button type="button" class="secondary"
                                        aria-label=format!("Reopen {text}")
                                        prop:disabled=move || busy.get()
                                        on:click=move |_| reopen.run(id_open.clone())>
                                        "Reopen"
                                    </button>
                                    <button type="button" class="secondary"
                                        aria-label=format!("Delete {text}")
                                        on:click=move |_| delete.run(id_delete.clone())>
                                        "Delete"
                                    </button>
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
        </section>
    }
}
