//! Figures with one panel per cluster: the trajectories here, the cluster summaries in
//! [`super::summary`]. plotly.rs types only name eight axes, so the axes beyond are added to the
//! figure's JSON before drawing.

use plotly::common::{DashType, Line, Marker, Mode};
use plotly::layout::{GridPattern, LayoutGrid, Margin};
use plotly::{Layout, Plot, Scatter};
use serde_json::{json, Value};
use vrnn_protocol::AnalysisView;

use super::{base_config, cluster_colour, label, row, SELECTED};
use crate::genes::members;

/// Several genes' time courses as one line trace, broken by gaps between genes (one trace
/// instead of thousands keeps "show all genes" fast).
fn gapped(
    a: &AnalysisView,
    values: &[f32],
    genes: &[usize],
) -> (Vec<Option<f64>>, Vec<Option<f32>>, Vec<String>) {
    let (mut x, mut y, mut text) = (Vec::new(), Vec::new(), Vec::new());
    for &g in genes {
        for (t, v) in a.times.iter().zip(row(a, values, g)) {
            x.push(Some(*t));
            y.push(Some(v));
            text.push(label(&a.genes[g]));
        }
        x.push(None);
        y.push(None);
        text.push(String::new());
    }
    (x, y, text)
}

/// Axis reference names of panel `c` (0-based): `x`, `x2`, ...
pub(super) fn axis_names(c: usize) -> (String, String) {
    if c == 0 {
        ("x".into(), "y".into())
    } else {
        (format!("x{}", c + 1), format!("y{}", c + 1))
    }
}

/// A panel figure's JSON with one axis pair and title per cluster on a grid.
pub(super) fn panel_layout(
    plot: &Plot,
    a: &AnalysisView,
    time_title: &str,
    y_title: &str,
    title: &str,
    panel_titles: &[String],
) -> Value {
    let k = panel_titles.len().max(1);
    let cols = k.min(3);
    let rows = k.div_ceil(cols);
    // Titles of two lines (the summaries' stability) need more room between the rows.
    let two_lines = panel_titles.iter().any(|t| t.contains("<br>"));
    let mut plot = plot.clone();
    plot.set_layout(
        Layout::new()
            .title(title)
            .grid(
                LayoutGrid::new()
                    .rows(rows)
                    .columns(cols)
                    .pattern(GridPattern::Independent)
                    .y_gap(if two_lines { 0.42 } else { 0.3 }),
            )
            .margin(Margin::new().top(70).bottom(50).left(60).right(20))
            .height(90 + if two_lines { 285 } else { 260 } * rows),
    );
    plot.set_configuration(base_config());
    let mut fig: Value = serde_json::from_str(&plot.to_json()).unwrap_or(Value::Null);
    let layout = &mut fig["layout"];
    let mut annotations = Vec::new();
    for (c, panel_title) in panel_titles.iter().enumerate() {
        let suffix = if c == 0 {
            String::new()
        } else {
            (c + 1).to_string()
        };
        layout[format!("xaxis{suffix}")] = json!({
            "title": {"text": label(time_title)},
            "tickvals": a.times,
            "ticktext": a.times.iter().map(|t| vrnn_protocol::time_label(*t)).collect::<Vec<_>>(),
            "zeroline": false,
        });
        layout[format!("yaxis{suffix}")] = json!({"title": {"text": y_title}});
        let (x, y) = axis_names(c);
        annotations.push(json!({
            "text": panel_title,
            "xref": format!("{x} domain"),
            "yref": format!("{y} domain"),
            "x": 0.5, "y": 1.0,
            "xanchor": "center", "yanchor": "bottom",
            "showarrow": false,
            "font": {"size": 13},
        }));
    }
    layout["annotations"] = Value::Array(annotations);
    fig
}

fn panel_titles(members: &[Vec<usize>]) -> Vec<String> {
    members
        .iter()
        .enumerate()
        .map(|(c, m)| format!("Cluster {} ({} genes)", c + 1, m.len()))
        .collect()
}

/// How a group of genes is drawn in a trajectory panel: a cluster's core solid, the genes
/// outside its core faded and dashed, so the genes that define a cluster stand out.
struct Style {
    opacity: f64,
    dash: DashType,
    name: &'static str,
}

const CORE: Style = Style {
    opacity: 1.0,
    dash: DashType::Solid,
    name: "core",
};
/// Every gene, where the analysis has no memberships (an older session).
const ALL_GENES: Style = Style {
    opacity: 1.0,
    dash: DashType::Solid,
    name: "",
};
/// Faded, as the heatmap fades the same genes.
const NOT_CORE: Style = Style {
    opacity: 0.25,
    dash: DashType::Dash,
    name: "outside the core (faded)",
};

/// One panel per cluster: observed per-time means (solid, or faded and dashed outside the
/// cluster's core) and the model's reconstruction (dotted) of the sampled genes, or of all
/// genes.
pub fn trajectories(
    a: &AnalysisView,
    time_title: &str,
    show_all: bool,
    selected: Option<usize>,
) -> Value {
    let members = members(&a.clusters);
    let mut plot = Plot::new();
    let mut legend_done = [false; 2];
    for (c, m) in members.iter().enumerate() {
        let genes: &[usize] = if show_all {
            m
        } else {
            a.clusters.shown.get(c).map_or(&[], |s| s)
        };
        let genes: Vec<usize> = genes
            .iter()
            .copied()
            .filter(|&g| g < a.genes.len())
            .collect();
        let (core, rest): (Vec<usize>, Vec<usize>) =
            genes.into_iter().partition(|&g| a.clusters.is_core(g));
        let core_style = if a.clusters.membership.is_empty() {
            ALL_GENES
        } else {
            CORE
        };
        for (i, (group, style)) in [(core, core_style), (rest, NOT_CORE)]
            .into_iter()
            .enumerate()
        {
            if group.is_empty() {
                continue;
            }
            let legend = !std::mem::replace(&mut legend_done[i], true);
            for trace in group_traces(a, &group, c, &style, legend) {
                plot.add_trace(trace);
            }
        }
    }
    if let Some(g) = selected {
        let c = a.clusters.labels[g].max(1) - 1;
        let (xa, ya) = axis_names(c);
        plot.add_trace(
            Scatter::new(a.times.clone(), row(a, &a.means, g))
                .mode(Mode::LinesMarkers)
                .name(format!("{} (selected)", label(&a.genes[g])))
                .line(Line::new().color(SELECTED).width(3.0))
                .marker(Marker::new().size(7).color(SELECTED))
                .x_axis(&xa)
                .y_axis(&ya),
        );
    }
    let what = if show_all {
        "all genes"
    } else {
        "up to 10 random genes"
    };
    panel_layout(
        &plot,
        a,
        time_title,
        "mean expression",
        &format!(
            "Trajectories per cluster ({what}; dotted: model{})",
            core_caption(&a.clusters)
        ),
        &panel_titles(&members),
    )
}

/// The two traces (observed and model) of one group of a cluster's genes.
fn group_traces(
    a: &AnalysisView,
    genes: &[usize],
    c: usize,
    style: &Style,
    legend: bool,
) -> [Box<Scatter<Option<f64>, Option<f32>>>; 2] {
    let (xa, ya) = axis_names(c);
    let colour = cluster_colour(c + 1);
    let of = match style.name {
        "" => String::new(),
        name => format!(", {name}"),
    };
    let (x, y, text) = gapped(a, &a.means, genes);
    let observed = Scatter::new(x, y)
        .mode(Mode::LinesMarkers)
        .name(format!("observed mean{of}"))
        .legend_group(format!("genes{of}"))
        .show_legend(legend)
        .opacity(style.opacity)
        .text_array(text)
        .hover_template(format!(
            "%{{text}}<br>t = %{{x}}: %{{y:.3f}}<extra>observed{of}</extra>"
        ))
        .line(
            Line::new()
                .color(colour)
                .width(1.2)
                .dash(style.dash.clone()),
        )
        .marker(Marker::new().size(4).color(colour))
        .x_axis(&xa)
        .y_axis(&ya);
    let (x, y, text) = gapped(a, &a.recon, genes);
    let model = Scatter::new(x, y)
        .mode(Mode::Lines)
        .name(format!("model reconstruction{of}"))
        .legend_group(format!("genes{of}"))
        .show_legend(legend)
        .opacity(style.opacity)
        .text_array(text)
        .hover_template("%{text}<br>t = %{x}: %{y:.3f}<extra>model</extra>")
        .line(Line::new().color(colour).width(1.2).dash(DashType::Dot))
        .x_axis(&xa)
        .y_axis(&ya);
    [observed, model]
}

/// What the faded lines are, for a figure's title (nothing when every gene is core).
pub(super) fn core_caption(c: &vrnn_protocol::ClusterView) -> String {
    if c.membership.is_empty() {
        String::new()
    } else {
        format!(
            "; faded dashed: outside the cluster's core, membership < {:.2}",
            c.core_threshold
        )
    }
}
