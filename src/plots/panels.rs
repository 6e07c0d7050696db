//! Figures with one panel per cluster: the trajectories and the cluster summaries. plotly.rs
//! types only name eight axes, so the axes beyond are added to the figure's JSON before
//! drawing.

use plotly::common::{DashType, Fill, Line, Marker, Mode};
use plotly::layout::{GridPattern, LayoutGrid, Margin};
use plotly::{Layout, Plot, Scatter};
use serde_json::{json, Value};
use vrnn_protocol::AnalysisView;

use super::{base_config, cluster_colour, label, row, GOI_COLOURS, SELECTED};
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
fn axis_names(c: usize) -> (String, String) {
    if c == 0 {
        ("x".into(), "y".into())
    } else {
        (format!("x{}", c + 1), format!("y{}", c + 1))
    }
}

/// A panel figure's JSON with one axis pair and title per cluster on a grid.
fn panel_layout(
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
    let mut plot = plot.clone();
    plot.set_layout(
        Layout::new()
            .title(title)
            .grid(
                LayoutGrid::new()
                    .rows(rows)
                    .columns(cols)
                    .pattern(GridPattern::Independent),
            )
            .margin(Margin::new().top(70).bottom(50).left(60).right(20))
            .height(90 + 260 * rows),
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

/// One panel per cluster: observed per-time means (solid) and the model's reconstruction
/// (dotted) of the sampled genes, or of all genes.
pub fn trajectories(
    a: &AnalysisView,
    time_title: &str,
    show_all: bool,
    selected: Option<usize>,
) -> Value {
    let members = members(&a.clusters);
    let mut plot = Plot::new();
    for (c, m) in members.iter().enumerate() {
        let genes: &[usize] = if show_all {
            m
        } else {
            a.clusters.shown.get(c).map_or(&[], |s| s)
        };
        let (xa, ya) = axis_names(c);
        let colour = cluster_colour(c + 1);
        let (x, y, text) = gapped(a, &a.means, genes);
        plot.add_trace(
            Scatter::new(x, y)
                .mode(Mode::LinesMarkers)
                .name("observed mean")
                .legend_group("observed")
                .show_legend(c == 0)
                .text_array(text)
                .hover_template("%{text}<br>t = %{x}: %{y:.3f}<extra>observed</extra>")
                .line(Line::new().color(colour).width(1.2))
                .marker(Marker::new().size(4).color(colour))
                .x_axis(&xa)
                .y_axis(&ya),
        );
        let (x, y, text) = gapped(a, &a.recon, genes);
        plot.add_trace(
            Scatter::new(x, y)
                .mode(Mode::Lines)
                .name("model reconstruction")
                .legend_group("model")
                .show_legend(c == 0)
                .text_array(text)
                .hover_template("%{text}<br>t = %{x}: %{y:.3f}<extra>model</extra>")
                .line(Line::new().color(colour).width(1.2).dash(DashType::Dot))
                .x_axis(&xa)
                .y_axis(&ya),
        );
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
        &format!("Trajectories per cluster ({what}; dotted: model)"),
        &panel_titles(&members),
    )
}

/// One panel per cluster: its mean over genes, the min–max band of its genes, and the genes
/// of interest that fall in it drawn dashed on top (the seed's "overall range" figure).
pub fn cluster_summary(
    a: &AnalysisView,
    time_title: &str,
    goi: &[usize],
    selected: Option<usize>,
) -> Value {
    let members = members(&a.clusters);
    let t = a.times.len();
    let mut plot = Plot::new();
    for (c, m) in members.iter().enumerate() {
        let (xa, ya) = axis_names(c);
        let colour = cluster_colour(c + 1);
        let mut lo = vec![f32::INFINITY; t];
        let mut hi = vec![f32::NEG_INFINITY; t];
        let mut mean = vec![0.0f64; t];
        for &g in m {
            for (i, v) in row(a, &a.means, g).into_iter().enumerate() {
                lo[i] = lo[i].min(v);
                hi[i] = hi[i].max(v);
                mean[i] += v as f64 / m.len().max(1) as f64;
            }
        }
        plot.add_trace(
            Scatter::new(a.times.clone(), hi)
                .mode(Mode::Lines)
                .name("max")
                .show_legend(false)
                .line(Line::new().color(colour).width(0.5))
                .hover_template("max %{y:.3f}<extra></extra>")
                .x_axis(&xa)
                .y_axis(&ya),
        );
        plot.add_trace(
            Scatter::new(a.times.clone(), lo)
                .mode(Mode::Lines)
                .name("min–max of the cluster's genes")
                .legend_group("band")
                .show_legend(c == 0)
                .fill(Fill::ToNextY)
                .fill_color(format!("{colour}33"))
                .line(Line::new().color(colour).width(0.5))
                .hover_template("min %{y:.3f}<extra></extra>")
                .x_axis(&xa)
                .y_axis(&ya),
        );
        plot.add_trace(
            Scatter::new(a.times.clone(), mean)
                .mode(Mode::LinesMarkers)
                .name("cluster mean")
                .legend_group("mean")
                .show_legend(c == 0)
                .line(Line::new().color(colour).width(3.0))
                .hover_template("mean %{y:.3f}<extra></extra>")
                .x_axis(&xa)
                .y_axis(&ya),
        );
    }
    let mut dashed: Vec<(usize, &str, String)> = goi
        .iter()
        .enumerate()
        .map(|(i, &g)| (g, GOI_COLOURS[i % GOI_COLOURS.len()], String::new()))
        .collect();
    if let Some(g) = selected.filter(|g| !goi.contains(g)) {
        dashed.push((g, SELECTED, " selected".into()));
    }
    for (g, colour, note) in dashed {
        let c = a.clusters.labels[g].max(1) - 1;
        let (xa, ya) = axis_names(c);
        plot.add_trace(
            Scatter::new(a.times.clone(), row(a, &a.means, g))
                .mode(Mode::LinesMarkers)
                .name(format!("{} (cluster {}{note})", label(&a.genes[g]), c + 1))
                .line(Line::new().color(colour).width(2.5).dash(DashType::Dash))
                .x_axis(&xa)
                .y_axis(&ya),
        );
    }
    panel_layout(
        &plot,
        a,
        time_title,
        "mean expression",
        "Cluster means with the range of their genes (dashed: genes of interest)",
        &panel_titles(&members),
    )
}
