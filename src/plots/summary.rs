//! The cluster summaries (`data-plot="cluster-summary"`): one panel per cluster with its mean,
//! the range of its genes, the genes of interest, and how well the cluster reproduces.

use plotly::common::{DashType, Fill, Line, Mode};
use plotly::{Plot, Scatter};
use serde_json::Value;
use vrnn_protocol::AnalysisView;

use super::panels::{axis_names, panel_layout};
use super::{cluster_colour, label, row, GOI_COLOURS, SELECTED};
use crate::clusters;
use crate::genes::members;

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
        &titles(a, &members),
    )
}

/// Each panel's title: the cluster, its size and, once measured, its stability, flagged when
/// the cluster does not reproduce.
fn titles(a: &AnalysisView, members: &[Vec<usize>]) -> Vec<String> {
    let s = &a.clusters.stability;
    members
        .iter()
        .enumerate()
        .map(|(c, m)| {
            // A second, smaller line: three panels share a row.
            let stable = match s.clusters.get(c) {
                Some(&v) if clusters::unstable(s, c + 1) => format!(
                    "<br><span style=\"font-size:11px\">{} stable: <b>does not reproduce</b></span>",
                    clusters::percent(v)
                ),
                Some(&v) => format!(
                    "<br><span style=\"font-size:11px\">{} stable</span>",
                    clusters::percent(v)
                ),
                None => String::new(),
            };
            format!("Cluster {} ({} genes){stable}", c + 1, m.len())
        })
        .collect()
}
