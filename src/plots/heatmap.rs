//! The heatmap (`data-plot="heatmap"`): every gene's z-scored means over time, one row per gene,
//! cluster by cluster, with each cluster's mean trajectory beside its block.
//!
//! It must stay responsive at 20,000 genes, so its cost follows the clusters, not the genes:
//! one `heatmap` trace holds every row, the rows outside their cluster's core are faded by a
//! trace of white rectangles (one per run of consecutive such rows, not one per gene), and
//! clusters are marked by a few shapes each. plotly.js draws a heatmap as one image.

use plotly::common::{Fill, Line, Mode};
use plotly::{HeatMap, Plot, Scatter};
use serde_json::{json, Value};
use vrnn_protocol::{time_label, AnalysisView};

use super::{base_config, cluster_colour, label};
use crate::clusters::{self, Block};
use crate::format;

/// z-scores beyond this share the end colours (the largest z over T time points is √(T−1)).
const Z_CAP: f64 = 2.5;
/// Above this many rows the genes are not named on the axis (their names would overlap).
const NAMED_ROWS: usize = 60;
/// How much of a faded row's colour is covered.
const FADE: f64 = 0.7;
/// Longest term name written beside a block; the whole name shows on hover.
const TERM_CHARS: usize = 30;
/// The heatmap's and the trajectories' share of the width (the rest is for the colour bar
/// and the enriched terms).
const HEATMAP_DOMAIN: [f64; 2] = [0.0, 0.5];
/// The cluster strip, right of the heatmap.
const STRIP_DOMAIN: [f64; 2] = [0.505, 0.52];
const MEANS_DOMAIN: [f64; 2] = [0.6, 0.76];

/// The heatmap figure; `goi` are the rows (in the analysis) of the genes of interest.
pub fn heatmap(a: &AnalysisView, time_title: &str, goi: &[usize]) -> Value {
    let t = a.times.len();
    let c = &a.clusters;
    let z = clusters::zscores(&a.means, t);
    let rows = clusters::heatmap_rows(c, &z, t);
    let blocks = clusters::blocks(&c.labels, &rows);
    let n = rows.len();
    let times: Vec<String> = a.times.iter().map(|&x| time_label(x)).collect();

    let mut plot = Plot::new();
    let zrows: Vec<Vec<f32>> = rows
        .iter()
        .map(|&g| z[g * t..(g + 1) * t].to_vec())
        .collect();
    plot.add_trace(
        HeatMap::new(times.clone(), (0..n).collect(), zrows)
            .name("z-score")
            .zmin(-Z_CAP)
            .zmax(Z_CAP)
            .zmid(0.0)
            .hover_template("%{text}<br>%{x}: z = %{z:.2f}<extra></extra>"),
    );
    // The faded rows over the heatmap, and the same rows tinted in the cluster strip beside it
    // (a separate axis: a trace cannot draw outside its own), so they show even where a
    // gene's colours are pale anyway.
    let runs = clusters::non_core_runs(c, &rows);
    plot.add_trace(faded_rows(&runs, c.core_threshold, "x3", true));
    plot.add_trace(faded_rows(&runs, c.core_threshold, "x4", false));
    let means = clusters::cluster_means(&z, t, &c.labels, c.k);
    let scale = means.iter().flatten().fold(1e-9f64, |m, v| m.max(v.abs()));
    for b in &blocks {
        if let Some(m) = b.cluster.checked_sub(1).and_then(|i| means.get(i)) {
            plot.add_trace(mean_line(b, m, scale, &times));
        }
    }
    plot.set_configuration(base_config());

    let mut fig = super::figure(&plot);
    // The gene's name alone on hover (the strip and the block say its cluster): a heatmap's
    // text is one string per cell, the largest part of the figure at 20,000 genes.
    let text: Vec<Vec<String>> = rows.iter().map(|&g| vec![gene(a, g); t]).collect();
    // Indexing a missing array would panic: the trace is looked up instead.
    if let Some(trace) = fig.pointer_mut("/data/0") {
        trace["text"] = json!(text);
        trace["colorscale"] = json!([
            [0.0, "#2166ac"],
            [0.25, "#92c5de"],
            [0.5, "#f7f7f7"],
            [0.75, "#f4a582"],
            [1.0, "#b2182b"]
        ]);
        trace["colorbar"] = json!({
            "title": {"text": "z-score"}, "x": 0.535, "xanchor": "left", "len": 0.5,
            "thickness": 12,
        });
    }
    fig["layout"] = layout(a, time_title, goi, &rows, &blocks, &times);
    fig
}

fn gene(a: &AnalysisView, g: usize) -> String {
    a.genes.get(g).map_or_else(String::new, |s| label(s))
}

/// One trace of white rectangles over the runs of rows outside their cluster's core, on an
/// axis that spans 0 to 1 across its area; one legend entry for both such traces.
fn faded_rows(
    runs: &[(usize, usize)],
    threshold: f64,
    axis: &str,
    legend: bool,
) -> Box<Scatter<Option<f64>, Option<f64>>> {
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for &(start, end) in runs {
        let (top, bottom) = (start as f64 - 0.5, end as f64 - 0.5);
        x.extend([Some(0.0), Some(1.0), Some(1.0), Some(0.0), Some(0.0), None]);
        y.extend([
            Some(top),
            Some(top),
            Some(bottom),
            Some(bottom),
            Some(top),
            None,
        ]);
    }
    Scatter::new(x, y)
        .mode(Mode::Lines)
        .name(format!(
            "faded: outside the cluster's core (membership < {threshold:.2})"
        ))
        .legend_group("faded")
        .fill(Fill::ToSelf)
        .fill_color(format!("rgba(255,255,255,{FADE})"))
        .line(Line::new().width(0.0).color("rgba(255,255,255,0)"))
        .hover_info(plotly::common::HoverInfo::Skip)
        .show_legend(legend && !runs.is_empty())
        .x_axis(axis)
        .y_axis("y")
}

/// A cluster's mean z-scored trajectory drawn inside its block's rows (up is high).
fn mean_line(b: &Block, mean: &[f64], scale: f64, times: &[String]) -> Box<Scatter<usize, f64>> {
    let mid = (b.start + b.end) as f64 / 2.0 - 0.5;
    let half = 0.42 * (b.end - b.start) as f64;
    Scatter::new(
        (0..mean.len()).collect(),
        mean.iter().map(|v| mid - v / scale * half).collect(),
    )
    .mode(Mode::LinesMarkers)
    .name(format!("cluster {} mean", b.cluster))
    .show_legend(false)
    .text_array(times.to_vec())
    .custom_data(mean.to_vec())
    .hover_template(format!(
        "cluster {} mean<br>%{{text}}: z = %{{customdata:.2f}}<extra></extra>",
        b.cluster
    ))
    .line(Line::new().color(cluster_colour(b.cluster)).width(2.0))
    .x_axis("x2")
    .y_axis("y")
}

/// What is written beside a block: its cluster and size, and its top enriched term when gene
/// sets were given (the whole name and the overlap on hover).
fn block_note(c: &vrnn_protocol::ClusterView, b: &Block) -> Value {
    let mut text = format!(
        "<span style=\"color:{}\"><b>Cluster {}</b></span> ({})",
        cluster_colour(b.cluster),
        b.cluster,
        b.end - b.start
    );
    let mut hover = String::new();
    let top_term = c.enrichment.as_ref().and_then(|e| {
        e.clusters
            .get(b.cluster.wrapping_sub(1))
            .and_then(|terms| terms.first())
    });
    if let Some(term) = top_term {
        let short: String = if term.set.chars().count() > TERM_CHARS {
            term.set.chars().take(TERM_CHARS - 1).chain(['…']).collect()
        } else {
            term.set.clone()
        };
        text += &format!("<br>{}<br>q = {}", label(&short), format::p_value(term.q));
        hover = format!(
            "{}: {} of {} genes, fold {:.1}",
            label(&term.set),
            term.overlap,
            term.set_size,
            term.fold
        );
    }
    let mut note = json!({"xref": "x2 domain", "yref": "y", "x": 1.04,
        "y": (b.start + b.end) as f64 / 2.0 - 0.5, "xanchor": "left", "align": "left",
        "showarrow": false, "font": {"size": 10}, "text": text});
    if !hover.is_empty() {
        note["hovertext"] = json!(hover);
    }
    note
}

/// Axes, the cluster shapes and the annotations (genes of interest, enriched terms).
fn layout(
    a: &AnalysisView,
    time_title: &str,
    goi: &[usize],
    rows: &[usize],
    blocks: &[Block],
    times: &[String],
) -> Value {
    let n = rows.len();
    let c = &a.clusters;
    let named = n <= NAMED_ROWS;
    let mut shapes = Vec::new();
    let mut notes = Vec::new();
    for b in blocks {
        let (top, bottom) = (b.start as f64 - 0.5, b.end as f64 - 0.5);
        let colour = cluster_colour(b.cluster);
        let rect = |xref: &str, x0: f64, x1: f64, fill: String| {
            json!({"type": "rect", "xref": xref, "yref": "y", "x0": x0, "x1": x1,
                   "y0": top, "y1": bottom, "fillcolor": fill, "line": {"width": 0},
                   "layer": "below"})
        };
        shapes.push(rect("x4 domain", 0.0, 1.0, colour.to_string()));
        shapes.push(rect("x2 domain", 0.0, 1.0, format!("{colour}1f")));
        if b.start > 0 {
            shapes.push(
                json!({"type": "line", "xref": "x domain", "yref": "y", "x0": 0,
                "x1": 1.04, "y0": top, "y1": top, "line": {"color": "#000000", "width": 1}}),
            );
        }
        // A band too thin for text is left unnamed (its colour and hover still say it).
        if n > 0 && (b.end - b.start) as f64 / (n as f64) >= 0.04 {
            notes.push(block_note(c, b));
        }
    }
    let position: Vec<Option<usize>> = {
        let mut p = vec![None; a.genes.len()];
        for (i, &g) in rows.iter().enumerate() {
            if let Some(slot) = p.get_mut(g) {
                *slot = Some(i);
            }
        }
        p
    };
    // Named by an arrow at their rows; where every row is named on the axis, the arrow's name
    // takes the place of the axis's.
    for &g in goi {
        if let Some(Some(i)) = position.get(g) {
            notes.push(json!({"xref": "x domain", "yref": "y", "x": 0.0, "y": i,
                "text": format!("<b>{}</b>", gene(a, g)), "showarrow": true, "arrowhead": 2,
                "ax": -45, "ay": 0, "font": {"size": 11}}));
        }
    }
    let range = [n as f64 - 0.5, -0.5];
    let yaxis = if named {
        let ticks: Vec<String> = rows
            .iter()
            .map(|&g| match goi.contains(&g) {
                true => String::new(),
                false => gene(a, g),
            })
            .collect();
        json!({"range": range, "showgrid": false, "zeroline": false,
               "tickvals": (0..n).collect::<Vec<_>>(), "ticktext": ticks})
    } else {
        json!({"range": range, "showgrid": false, "zeroline": false, "showticklabels": false,
               "title": {"text": format!("{n} genes (rows)")}})
    };
    let height = if named { (140 + 16 * n).max(360) } else { 640 };
    let cores = if c.membership.is_empty() {
        String::new()
    } else {
        "; faded rows: genes outside their cluster's core".into()
    };
    json!({
        "title": {"text": format!(
            "Heatmap of {n} genes (z-scored means, by cluster and peak time{cores}); beside: cluster means"
        ), "font": {"size": 14}},
        "height": height,
        "margin": {"t": 80, "b": 60, "l": if named { 110 } else { 90 }, "r": 20},
        "legend": {"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
        "xaxis": {"domain": HEATMAP_DOMAIN, "type": "category", "anchor": "y", "fixedrange": true,
                  "title": {"text": label(time_title)}},
        "xaxis2": {"domain": MEANS_DOMAIN, "anchor": "y", "range": [-0.5, times.len() as f64 - 0.5],
                   "tickvals": (0..times.len()).collect::<Vec<_>>(), "ticktext": times,
                   "title": {"text": "cluster mean (up: high)"}, "showgrid": false,
                   "zeroline": false},
        "xaxis3": {"overlaying": "x", "range": [0, 1], "visible": false, "fixedrange": true},
        "xaxis4": {"domain": STRIP_DOMAIN, "anchor": "y", "range": [0, 1], "visible": false,
                   "fixedrange": true},
        "yaxis": yaxis,
        "shapes": shapes,
        "annotations": notes,
    })
}
