//! `Cluster stability`, beside the cluster summaries: how often each cluster's genes are
//! clustered together again, so a cluster that would not come back on another seed is not
//! read as biology. A cluster below the threshold is flagged (`does not reproduce`, class
//! `unstable`).

use leptos::prelude::*;
use vrnn_protocol::StabilityView;

use crate::app::state::AppState;
use crate::clusters;

#[component]
pub fn Stability(state: AppState) -> impl IntoView {
    let stability = Memo::new(move |_| {
        state
            .analysis
            .with(|a| a.as_ref().map(|a| a.clusters.stability.clone()))
            .unwrap_or_default()
    });
    view! {
        <section class="stability" aria-label="Cluster stability">
            <h3>"Cluster stability"</h3>
            {move || stability.with(view_of)}
        </section>
    }
}

fn view_of(s: &StabilityView) -> AnyView {
    if s.clusters.is_empty() {
        return view! {
            <p class="muted">"Stability was not measured for this analysis."</p>
        }
        .into_any();
    }
    let basis = clusters::stability_basis(s);
    let items = s
        .clusters
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let c = i + 1;
            let unstable = clusters::unstable(s, c);
            view! {
                <li class:unstable=unstable data-cluster=c>
                    {format!("Cluster {c}: {} stable", clusters::percent(v))}
                    {unstable.then(|| view! { <strong>" · does not reproduce"</strong> })}
                </li>
            }
        })
        .collect_view();
    view! {
        <p class="muted">
            {format!(
                "How often each cluster's genes land together again, measured over {basis}. Below {} a cluster is flagged: it does not reproduce, so read it with care.",
                clusters::percent(s.threshold)
            )}
        </p>
        <ul class="stability-list">{items}</ul>
    }
    .into_any()
}
