//! `Results`: everything shown after a run, all read from its one analysis: the gene search
//! and similar genes, the UMAP, the k-choice curve, the trajectories and cluster summaries
//! with the clusters' stability, the genes of interest, the heatmap, the enrichment in the
//! user's gene sets, and the downloads.

use leptos::prelude::*;
use vrnn_protocol::files;

use super::enrichment::Enrichment;
use super::gene_search::{GeneSearch, Search, SimilarGenes};
use super::stability::Stability;
use crate::app::commands::Commands;
use crate::app::state::AppState;
use crate::genes;
use crate::plots;

/// The results, shown once a run is analysed.
#[component]
pub fn Results(state: AppState, commands: Commands) -> impl IntoView {
    let analysis = state.analysis;
    view! {
        <Show when=move || analysis.with(|a| a.is_some())>
            <ResultsSection state=state commands=commands />
        </Show>
    }
}

#[component]
fn ResultsSection(state: AppState, commands: Commands) -> impl IntoView {
    let (analysis, selected, goi_text) = (state.analysis, state.selected, state.goi_text);
    let show_all = RwSignal::new(false);
    let search = Search::new(state);
    // The genes of interest found in the data, and the names not found.
    let goi = Memo::new(move |_| {
        analysis.with(|a| {
            a.as_ref()
                .map(|a| goi_text.with(|t| genes::parse(&a.genes, t)))
                .unwrap_or_default()
        })
    });

    Effect::new(move || {
        let sel = selected.get();
        analysis.with(|a| {
            if let Some(a) = a {
                plots::draw_then(
                    "plot-umap",
                    plots::figure(&plots::umap(a, sel)),
                    move || plots::on_point_click("plot-umap", move |g| search.choose(g)),
                );
            }
        });
    });
    Effect::new(move || {
        let (sel, all, title) = (selected.get(), show_all.get(), state.time_title());
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
        let (sel, title, (goi, _)) = (selected.get(), state.time_title(), goi.get());
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
    // Not redrawn for the selected gene: at 20,000 genes the heatmap is the costliest figure.
    Effect::new(move || {
        let (title, (goi, _)) = (state.time_title(), goi.get());
        analysis.with(|a| {
            if let Some(a) = a {
                plots::draw_figure("plot-heatmap", plots::heatmap(a, &title, &goi));
            }
        });
    });

    view! {
        <section class="results" aria-label="Results">
            <h2>"Results"</h2>
            <GeneSearch state=state search=search />
            <SimilarGenes state=state commands=commands />

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
            <Stability state=state />
            <div id="plot-goi" class="plot" data-plot="genes-of-interest"></div>
            <div id="plot-heatmap" class="plot" data-plot="heatmap"></div>
            <p class="muted caption">{move || heatmap_caption(state)}</p>
            <Enrichment state=state commands=commands />

            <Downloads state=state commands=commands />
        </section>
    }
}

/// What the heatmap shows, in words (its faded rows above all).
fn heatmap_caption(state: AppState) -> String {
    state.analysis.with(|a| {
        let Some(c) = a.as_ref().map(|a| &a.clusters) else {
            return String::new();
        };
        let cores = if c.membership.is_empty() {
            String::new()
        } else {
            format!(
                " Faded rows are genes outside their cluster's core (membership below {:.2}); the trajectory panels draw them faded and dashed.",
                c.core_threshold
            )
        };
        let terms = if c.enrichment.is_some() {
            " Right: each cluster's top enriched term."
        } else {
            ""
        };
        format!(
            "Heatmap: one row per gene, cluster by cluster (the colour strip), each cluster's genes by the time of their peak; colour: the gene's means z-scored over time. Beside each block: the cluster's mean trajectory. Genes of interest are named.{cores}{terms}"
        )
    })
}

/// The run's files, the same as the command line writes, and one gene list per cluster.
#[component]
fn Downloads(state: AppState, commands: Commands) -> impl IntoView {
    let download = move |label: &'static str, file: &'static str| {
        view! {
            <button type="button" class="secondary" on:click=move |_| commands.export(file.into())>
                {label}
            </button>
        }
    };
    let has_enrichment = move || {
        state
            .analysis
            .with(|a| a.as_ref().is_some_and(|a| a.clusters.enrichment.is_some()))
    };
    let sizes = move || {
        state.analysis.with(|a| {
            a.as_ref()
                .map(|a| {
                    genes::members(&a.clusters)
                        .iter()
                        .map(Vec::len)
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };
    view! {
        <section class="downloads" aria-label="Downloads">
            <h3>"Downloads"</h3>
            <p class="muted">"The same files as the command-line tool writes. Cluster numbers match the plots."</p>
            <div class="buttons">
                {download("Download clusters CSV", files::CLUSTERS_CSV)}
                {download("Download memberships CSV", files::MEMBERSHIPS_CSV)}
                {download("Download gene sets (GMT)", files::CLUSTERS_GMT)}
                {download("Download core gene sets (GMT)", files::CORES_GMT)}
                {download("Download genes CSV", files::GENES_CSV)}
                {download("Download stability CSV", files::STABILITY_CSV)}
                <Show when=has_enrichment>
                    {download("Download enrichment CSV", files::ENRICHMENT_CSV)}
                </Show>
                {download("Download latents CSV", files::LATENTS_CSV)}
                {download("Download UMAP CSV", files::UMAP_CSV)}
                {download("Download means CSV", files::MEANS_CSV)}
                {download("Download reconstruction CSV", files::RECONSTRUCTION_CSV)}
                {download("Download loss CSV", files::LOSS_CSV)}
                {download("Download run JSON", files::RUN_JSON)}
                {download("Download session", files::SESSION)}
            </div>
            <div class="buttons">
                {move || {
                    sizes()
                        .into_iter()
                        .enumerate()
                        .map(|(c, n)| {
                            let file = files::cluster_list(c + 1);
                            view! {
                                <button type="button" class="secondary"
                                    on:click=move |_| commands.export(file.clone())>
                                    {format!("Cluster {} gene list ({n})", c + 1)}
                                </button>
                            }
                        })
                        .collect_view()
                }}
            </div>
        </section>
    }
}
