//! `Gene sets` and the enrichment table (`data-plot="enrichment"`): the user's gene sets (a GMT,
//! or a `gene,set` table) go to the worker, which tests every cluster of this analysis and of
//! every later run; each cluster's terms are listed here, smallest p first, with `Filter terms`
//! to find a set or a gene.

use leptos::prelude::*;
use vrnn_protocol::{EnrichedTerm, EnrichmentView};
use wasm_bindgen::JsCast;
use web_sys::{Event, HtmlInputElement};

use crate::app::commands::Commands;
use crate::app::state::AppState;
use crate::clusters::term_matches;
use crate::format;
use crate::genes::members;

/// Terms shown per cluster before "more terms" (the rest stay one click away).
const TOP_TERMS: usize = 10;
/// Overlapping genes written in a row; the whole list is its title.
const ROW_GENES: usize = 8;

#[component]
pub fn Enrichment(state: AppState, commands: Commands) -> impl IntoView {
    let gene_sets = state.gene_sets;
    let filter = RwSignal::new(String::new());
    let enrichment = Memo::new(move |_| {
        state.analysis.with(|a| {
            a.as_ref().and_then(|a| {
                let sizes = members(&a.clusters).iter().map(Vec::len).collect();
                a.clusters.enrichment.clone().map(|e| (e, sizes))
            })
        })
    });
    let on_pick = move |ev: Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
        else {
            return;
        };
        if let Some(f) = input.files().and_then(|fl| fl.get(0)) {
            commands.load_gene_sets(f);
        }
        // Picking the same file again reads it again.
        input.set_value("");
    };
    let sets_line = move || {
        gene_sets.with(|g| match (&g.reading, &g.loaded) {
            (Some(name), _) => format!("Reading {name}…"),
            (None, Some((name, sets, genes))) => format!(
                "{name}: {} sets, {} genes",
                format::count(*sets as f64),
                format::count(*genes as f64)
            ),
            (None, None) => String::new(),
        })
    };
    view! {
        <section class="enrichment" aria-label="Enrichment">
            <h3>"Enrichment in gene sets"</h3>
            <div class="gene-sets">
                <label>
                    "Gene sets"
                    <input type="file" accept=".gmt,.txt,.csv,.tsv" on:change=on_pick />
                </label>
                <p class="muted gene-sets-status">{sets_line}</p>
            </div>
            <Show when=move || gene_sets.with(|g| g.error.is_some())>
                <p class="alert" role="alert">
                    {move || gene_sets.with(|g| g.error.clone().unwrap_or_default())}
                </p>
            </Show>
            <div class="enrichment-table" data-plot="enrichment">
                {move || match enrichment.get() {
                    None => view! {
                        <p class="muted">
                            "No gene sets yet: add a GMT file (or a gene,set table) with Gene sets to test each cluster for enriched terms."
                        </p>
                    }
                    .into_any(),
                    Some((e, sizes)) => view! { <Terms e=e sizes=sizes filter=filter /> }.into_any(),
                }}
            </div>
        </section>
    }
}

/// The coverage line, `Filter terms`, and one table per cluster.
#[component]
fn Terms(e: EnrichmentView, sizes: Vec<usize>, filter: RwSignal<String>) -> impl IntoView {
    let coverage = format!(
        "{} of {} genes of the gene sets are among the analysed genes; {} of {} sets from {} were tested.",
        format::count(e.genes_found as f64),
        format::count(e.genes_in_file as f64),
        format::count(e.sets_tested as f64),
        format::count(e.sets as f64),
        e.source
    );
    let clusters = e.clusters;
    view! {
        <p class="muted">{coverage}</p>
        <label>
            "Filter terms"
            <input type="search" placeholder="a set name or a gene" autocomplete="off"
                prop:value=move || filter.get()
                on:input=move |ev| filter.set(event_target_value(&ev)) />
        </label>
        {move || {
            let f = filter.get();
            clusters
                .iter()
                .enumerate()
                .map(|(i, terms)| {
                    let terms: Vec<EnrichedTerm> =
                        terms.iter().filter(|t| term_matches(t, &f)).cloned().collect();
                    let size = sizes.get(i).copied().unwrap_or(0);
                    cluster_terms(i + 1, size, terms, !f.trim().is_empty())
                })
                .collect_view()
        }}
    }
}

/// One cluster's terms: the first [`TOP_TERMS`], then the rest behind "more terms".
fn cluster_terms(c: usize, size: usize, mut terms: Vec<EnrichedTerm>, filtered: bool) -> AnyView {
    let heading = format!("Cluster {c} ({size} genes)");
    if terms.is_empty() {
        let none = if filtered {
            "No terms match the filter."
        } else {
            "No set shares a gene with this cluster."
        };
        return view! {
            <div class="cluster-terms"><h4>{heading}</h4><p class="muted">{none}</p></div>
        }
        .into_any();
    }
    let rest = terms.split_off(terms.len().min(TOP_TERMS));
    let more = (!rest.is_empty()).then(|| {
        view! {
            <details>
                <summary>{format!("{} more terms", rest.len())}</summary>
                {table(format!("More enriched terms of cluster {c}"), rest)}
            </details>
        }
    });
    view! {
        <div class="cluster-terms">
            <h4>{heading}</h4>
            {table(format!("Enriched terms of cluster {c}"), terms)}
            {more}
        </div>
    }
    .into_any()
}

fn table(name: String, terms: Vec<EnrichedTerm>) -> impl IntoView {
    view! {
        <table aria-label=name>
            <thead>
                <tr>
                    <th>"Set"</th><th>"Overlap / set size"</th><th>"Fold"</th>
                    <th>"p"</th><th>"q"</th><th>"Genes"</th>
                </tr>
            </thead>
            <tbody>{terms.into_iter().map(row).collect_view()}</tbody>
        </table>
    }
}

fn row(t: EnrichedTerm) -> impl IntoView {
    let all = t.genes.join(", ");
    let shown = if t.genes.len() > ROW_GENES {
        format!(
            "{} … (+{})",
            t.genes[..ROW_GENES].join(", "),
            t.genes.len() - ROW_GENES
        )
    } else {
        all.clone()
    };
    // Bold where the term passes the default FDR.
    let significant = t.q < vrnn_protocol::defaults::FDR;
    view! {
        <tr class:significant=significant>
            <td class="set">{t.set}</td>
            <td>{format!("{} / {}", t.overlap, t.set_size)}</td>
            <td>{format!("{:.1}", t.fold)}</td>
            <td>{format::p_value(t.p)}</td>
            <td>{format::p_value(t.q)}</td>
            <td class="genes" title=all>{shown}</td>
        </tr>
    }
}
