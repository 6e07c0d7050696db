//! Plots, built with the plotly crate and drawn into containers marked `data-plot`.
//!
//! Every plot of a run reads the one [`AnalysisView`] the worker sent, so cluster numbers and
//! colours agree everywhere. The figures are in [`charts`] (one axis: loss, UMAP, k choice,
//! genes over time), [`panels`] and [`summary`] (one panel per cluster on plotly's subplot
//! grid, so the toolbar saves them as one PNG or SVG) and [`heatmap`] (every gene, cluster by
//! cluster); [`draw`] hands them to plotly.js, with the same PNG and SVG buttons for each. This module holds
//! what they share: the colours and the escaping of user text.

mod charts;
mod draw;
mod heatmap;
mod panels;
mod summary;

use plotly::layout::Margin;
use plotly::Configuration;
use vrnn_protocol::AnalysisView;

pub use charts::{genes_of_interest, k_choice, loss_plot, similar_genes, umap};
pub use draw::{draw, draw_figure, draw_then, figure, on_point_click};
pub use heatmap::heatmap;
pub use panels::trajectories;
pub use summary::cluster_summary;

/// Okabe–Ito colours: distinguishable with the common colour-vision deficiencies.
pub const TRAIN_COLOUR: &str = "#0072B2";
pub const TEST_COLOUR: &str = "#E69F00";

/// Cluster colours: the eight Okabe–Ito colours (yellow and black last, as they read worst on
/// white), then four of Paul Tol's colour-blind-safe "muted" set, for k up to 12.
const CLUSTER_COLOURS: [&str; 12] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
    "#882255", "#999933", "#332288", "#AA4499",
];

/// User text (gene and column names) as plotly text: plotly reads `<b>`, `<br>`, `<a href>`
/// and entities in every label, so `<`, `>` and `&` are written as entities and a gene named
/// `<img src=x onerror=alert(1)>` shows literally.
pub fn label(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Colour of a 1-based cluster, the same in every plot.
pub fn cluster_colour(cluster: usize) -> &'static str {
    CLUSTER_COLOURS[(cluster.max(1) - 1) % CLUSTER_COLOURS.len()]
}

/// Highlight for the gene the user chose.
const SELECTED: &str = "#000000";

/// Lines for genes of interest, distinct from the cluster colours' first entries.
const GOI_COLOURS: [&str; 6] = [
    "#D55E00", "#0072B2", "#009E73", "#CC79A7", "#E69F00", "#56B4E9",
];

fn base_config() -> Configuration {
    Configuration::new().responsive(true).display_logo(false)
}

fn margin() -> Margin {
    Margin::new().top(50).bottom(50).left(60).right(20)
}

fn row(a: &AnalysisView, values: &[f32], g: usize) -> Vec<f32> {
    let t = a.times.len();
    values[g * t..(g + 1) * t].to_vec()
}
