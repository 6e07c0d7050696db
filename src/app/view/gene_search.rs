//! The `Gene` search with its completion, and what follows a chosen gene: the table of the
//! genes with the most similar dynamics (`Similar genes`) and their plot.

use leptos::prelude::*;
use vrnn_protocol::files::SIMILAR_GENES_CSV;

use super::NumberSetting;
use crate::app::commands::Commands;
use crate::app::state::{AppState, SimilarList};
use crate::genes;
use crate::plots;

/// What is typed in the search box, and why nothing was found; shared with the UMAP, whose
/// clicks choose a gene too.
#[derive(Clone, Copy)]
pub struct Search {
    state: AppState,
    query: RwSignal<String>,
    note: RwSignal<Option<String>>,
}

impl Search {
    pub fn new(state: AppState) -> Self {
        Self {
            state,
            query: RwSignal::new(String::new()),
            note: RwSignal::new(None),
        }
    }

    /// Selects gene `g` (its row in the analysis) and shows its name in the box.
    pub fn choose(self, g: usize) {
        let name = self
            .state
            .analysis
            .with_untracked(|a| a.as_ref().and_then(|a| a.genes.get(g).cloned()));
        if let Some(name) = name {
            self.query.set(name);
            self.note.set(None);
            self.state.selected.set(Some(g));
        }
    }

    /// Enter in the box: the gene named, else the first completion, else a note.
    fn submit(self) {
        let typed = self.query.get_untracked();
        let hit = self.state.analysis.with_untracked(|a| {
            a.as_ref().and_then(|a| {
                genes::find(&a.genes, &typed)
                    .or_else(|| genes::suggestions(&a.genes, &typed, 1).first().copied())
            })
        });
        match hit {
            Some(g) => self.choose(g),
            None if typed.trim().is_empty() => {}
            None => self.note.set(Some(format!(
                "No gene named \"{}\" in this data set.",
                typed.trim()
            ))),
        }
    }
}

/// The search box (`Gene`), `Neighbours to list`, and the matching genes as buttons.
#[component]
pub fn GeneSearch(state: AppState, search: Search) -> impl IntoView {
    let Search { query, note, .. } = search;
    let (analysis, selected) = (state.analysis, state.selected);
    view! {
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
                        note.set(None);
                    }
                    on:keydown=move |ev: web_sys::KeyboardEvent| {
                        if ev.key() == "Enter" {
                            ev.prevent_default();
                            search.submit();
                        }
                    }
                />
            </label>
            <NumberSetting label="Neighbours to list" value=state.similar_n min=1 />
            <ul class="suggestions" aria-label="Matching genes">
                {move || {
                    let typed = query.get();
                    analysis.with(|a| {
                        a.as_ref()
                            .map(|a| {
                                let exact = genes::find(&a.genes, &typed);
                                genes::suggestions(&a.genes, &typed, 8)
                                    .into_iter()
                                    .filter(|&g| Some(g) != exact || selected.get() != Some(g))
                                    .map(|g| {
                                        let name = a.genes[g].clone();
                                        view! {
                                            <li>
                                                <button type="button" class="chip" on:click=move |_| search.choose(g)>
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
            <Show when=move || note.get().is_some()>
                <p class="notice">{move || note.get().unwrap_or_default()}</p>
            </Show>
        </div>
    }
}

/// The genes most similar to the selected one: a table and a plot (`data-plot="similar-genes"`).
#[component]
pub fn SimilarGenes(state: AppState, commands: Commands) -> impl IntoView {
    let (analysis, selected, similar) = (state.analysis, state.selected, state.similar);
    Effect::new(move || {
        let title = state.time_title();
        let (sel, sim) = (selected.get(), similar.get());
        analysis.with(|a| {
            if let (Some(a), Some(g), Some(sim)) = (a, sel, sim) {
                plots::draw(
                    "plot-similar",
                    plots::similar_genes(a, &title, g, &sim.genes),
                );
            }
        });
    });
    view! {
        {move || similar.get().map(|list| view! { <SimilarTable list=list commands=commands /> })}
        <div id="plot-similar" class="plot" data-plot="similar-genes"
            style:display=move || if similar.with(|s| s.is_some()) { "block" } else { "none" }></div>
    }
}

#[component]
fn SimilarTable(list: SimilarList, commands: Commands) -> impl IntoView {
    view! {
        <div class="similar">
            <table aria-label="Similar genes">
                <caption>{format!("Genes with dynamics most similar to {}", list.query)}</caption>
                <thead>
                    <tr><th>"Rank"</th><th>"Gene"</th><th>"Distance"</th><th>"Cluster"</th></tr>
                </thead>
                <tbody>
                    {list
                        .genes
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
                on:click=move |_| commands.export(SIMILAR_GENES_CSV.into())>
                "Download similar genes CSV"
            </button>
        </div>
    }
}
