//! Figures on one pair of axes: the loss per epoch, genes over time (genes of interest,
//! similar genes), the UMAP and the k-choice curve.

use plotly::common::{DashType, Line, Marker, MarkerSymbol, Mode, Title};
use plotly::layout::{Annotation, Axis, Margin};
use plotly::{Layout, Plot, Scatter};
use vrnn_protocol::{AnalysisView, EpochReport, SimilarGene};

use super::{
    base_config, cluster_colour, label, margin, row, GOI_COLOURS, SELECTED, TEST_COLOUR,
    TRAIN_COLOUR,
};
use crate::genes::members;

/// Up to this many epochs the loss plot marks each epoch; above it, lines only. plotly draws
/// every marker as an SVG element of its own, so with markers a long run's redraw grew with
/// each epoch: 60-130 ms of the page's main thread per redraw at 100-900 epochs in headless
/// Chromium, while the run trains on.
pub const LOSS_MARKERS_UP_TO: usize = 200;

/// Train and test loss per epoch.
pub fn loss_plot(history: &[EpochReport]) -> Plot {
    let epochs: Vec<usize> = history.iter().map(|e| e.epoch).collect();
    let train: Vec<f64> = history.iter().map(|e| e.train_loss).collect();
    let test: Vec<f64> = history.iter().map(|e| e.test_loss).collect();
    let mode = if history.len() <= LOSS_MARKERS_UP_TO {
        Mode::LinesMarkers
    } else {
        Mode::Lines
    };
    let mut plot = Plot::new();
    plot.add_trace(
        Scatter::new(epochs.clone(), train)
            .mode(mode.clone())
            .name("train")
            .line(Line::new().color(TRAIN_COLOUR))
            .marker(Marker::new().size(4)),
    );
    plot.add_trace(
        Scatter::new(epochs, test)
            .mode(mode)
            .name("test")
            .line(Line::new().color(TEST_COLOUR))
            .marker(Marker::new().size(4)),
    );
    plot.set_layout(
        Layout::new()
            .title("Loss per epoch")
            .x_axis(Axis::new().title("epoch"))
            .y_axis(Axis::new().title("loss (recon + β·KL)"))
            .margin(margin())
            .height(320),
    );
    plot.set_configuration(base_config());
    plot
}

fn time_axis(a: &AnalysisView, time_title: &str) -> Axis {
    Axis::new()
        .title(Title::with_text(label(time_title)))
        .tick_values(a.times.clone())
        .tick_text(
            a.times
                .iter()
                .map(|t| vrnn_protocol::time_label(*t))
                .collect(),
        )
        .zero_line(false)
}

/// Observed means (solid) and reconstruction (dotted) of chosen genes on the real time axis.
fn gene_lines(a: &AnalysisView, genes: &[(usize, &'static str, f64)]) -> Plot {
    let mut plot = Plot::new();
    for &(g, colour, width) in genes {
        let c = a.clusters.labels[g];
        plot.add_trace(
            Scatter::new(a.times.clone(), row(a, &a.means, g))
                .mode(Mode::LinesMarkers)
                .name(format!("{} (cluster {c})", label(&a.genes[g])))
                .legend_group(label(&a.genes[g]))
                .line(Line::new().color(colour).width(width))
                .marker(Marker::new().color(colour)),
        );
        plot.add_trace(
            Scatter::new(a.times.clone(), row(a, &a.recon, g))
                .mode(Mode::Lines)
                .name(format!("{} model", label(&a.genes[g])))
                .legend_group(label(&a.genes[g]))
                .show_legend(false)
                .line(Line::new().color(colour).width(1.0).dash(DashType::Dot)),
        );
    }
    plot
}

/// The chosen genes of interest (and the selected gene) over real time.
pub fn genes_of_interest(
    a: &AnalysisView,
    time_title: &str,
    goi: &[usize],
    selected: Option<usize>,
) -> Plot {
    let mut genes: Vec<(usize, &str, f64)> = goi
        .iter()
        .enumerate()
        .map(|(i, &g)| (g, GOI_COLOURS[i % GOI_COLOURS.len()], 2.5))
        .collect();
    if let Some(g) = selected.filter(|g| !goi.contains(g)) {
        genes.push((g, SELECTED, 4.0));
    }
    let mut plot = gene_lines(a, &genes);
    plot.set_layout(
        Layout::new()
            .title("Genes of interest (dotted: model)")
            .x_axis(time_axis(a, time_title))
            .y_axis(Axis::new().title("mean expression"))
            .margin(margin())
            .height(380),
    );
    plot.set_configuration(base_config());
    plot
}

/// The queried gene (thick, black) and its nearest genes in latent space, coloured by cluster.
pub fn similar_genes(
    a: &AnalysisView,
    time_title: &str,
    query: usize,
    similar: &[SimilarGene],
) -> Plot {
    let mut genes: Vec<(usize, &str, f64)> = vec![(query, SELECTED, 4.0)];
    genes.extend(
        similar
            .iter()
            .filter(|s| s.index < a.genes.len())
            .map(|s| (s.index, cluster_colour(s.cluster), 1.2)),
    );
    let mut plot = gene_lines(a, &genes);
    plot.set_layout(
        Layout::new()
            .title(format!(
                "Genes with dynamics similar to {} (nearest in latent space)",
                label(&a.genes[query])
            ))
            .x_axis(time_axis(a, time_title))
            .y_axis(Axis::new().title("mean expression"))
            .margin(margin())
            .height(420),
    );
    plot.set_configuration(base_config());
    plot
}

/// UMAP of the latent summary, one trace per cluster; the selected gene is ringed and named.
pub fn umap(a: &AnalysisView, selected: Option<usize>) -> Plot {
    let members = members(&a.clusters);
    let mut plot = Plot::new();
    for (c, m) in members.iter().enumerate() {
        let colour = cluster_colour(c + 1);
        let trace = Scatter::new(
            m.iter().map(|&g| a.umap[g][0]).collect(),
            m.iter().map(|&g| a.umap[g][1]).collect(),
        )
        .mode(Mode::Markers)
        .name(format!("Cluster {} ({})", c + 1, m.len()))
        .text_array(m.iter().map(|&g| label(&a.genes[g])).collect())
        .custom_data(m.iter().map(|&g| g as f64).collect::<Vec<_>>())
        .hover_template(format!("%{{text}}<extra>cluster {}</extra>", c + 1))
        // SVG, not WebGL, at every size: plotly's WebGL traces compile code with `Function`,
        // which the page's Content-Security-Policy (no 'unsafe-eval') forbids.
        .marker(Marker::new().color(colour).size(6).opacity(0.8));
        plot.add_trace(trace);
    }
    let mut layout = Layout::new()
        .title("UMAP of the latent summary (click a point to select its gene)")
        .x_axis(Axis::new().title("UMAP 1").zero_line(false))
        .y_axis(Axis::new().title("UMAP 2").zero_line(false))
        .margin(margin())
        .height(520);
    if let Some(g) = selected {
        plot.add_trace(
            Scatter::new(vec![a.umap[g][0]], vec![a.umap[g][1]])
                .mode(Mode::Markers)
                .name(format!("{} (selected)", label(&a.genes[g])))
                .text(label(&a.genes[g]))
                .custom_data(vec![g as f64])
                .hover_template("%{text}<extra>selected</extra>")
                .marker(
                    Marker::new()
                        .size(16)
                        .symbol(MarkerSymbol::CircleOpen)
                        .color(SELECTED)
                        .line(Line::new().width(3.0).color(SELECTED)),
                ),
        );
        layout = layout.annotations(vec![Annotation::new()
            .x(a.umap[g][0] as f64)
            .y(a.umap[g][1] as f64)
            .text(label(&a.genes[g]))
            .show_arrow(true)
            .arrow_head(2)]);
    }
    plot.set_layout(layout);
    plot.set_configuration(base_config());
    plot
}

/// Inertia (elbow) and mean silhouette against k, with the current k marked.
pub fn k_choice(a: &AnalysisView) -> Plot {
    let ks: Vec<usize> = a.k_choice.iter().map(|p| p.k).collect();
    let mut plot = Plot::new();
    plot.add_trace(
        Scatter::new(ks.clone(), a.k_choice.iter().map(|p| p.inertia).collect())
            .mode(Mode::LinesMarkers)
            .name("inertia (elbow)")
            .line(Line::new().color(TRAIN_COLOUR)),
    );
    plot.add_trace(
        Scatter::new(ks, a.k_choice.iter().map(|p| p.silhouette).collect())
            .mode(Mode::LinesMarkers)
            .name("mean silhouette")
            .y_axis("y2")
            .line(Line::new().color(TEST_COLOUR).dash(DashType::Dash)),
    );
    let current = a.clusters.k;
    if let Some(p) = a.k_choice.iter().find(|p| p.k == current) {
        plot.add_trace(
            Scatter::new(vec![p.k], vec![p.silhouette])
                .mode(Mode::Markers)
                .name(format!("current k = {current}"))
                .y_axis("y2")
                .marker(
                    Marker::new()
                        .size(16)
                        .symbol(MarkerSymbol::CircleOpen)
                        .color(SELECTED)
                        .line(Line::new().width(2.0).color(SELECTED)),
                ),
        );
    }
    plot.set_layout(
        Layout::new()
            .title(format!("Choosing k (current: {current})"))
            .x_axis(Axis::new().title("k (clusters)").dtick(1.0))
            .y_axis(Axis::new().title("inertia").color(TRAIN_COLOUR))
            .y_axis2(
                Axis::new()
                    .title("mean silhouette")
                    .overlaying("y")
                    .side(plotly::common::AxisSide::Right)
                    .color("#B07800"),
            )
            .margin(Margin::new().top(50).bottom(50).left(70).right(70))
            .height(340),
    );
    plot.set_configuration(base_config());
    plot
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history(epochs: usize) -> Vec<EpochReport> {
        (1..=epochs)
            .map(|epoch| EpochReport {
                epoch,
                train_loss: 1.0 / epoch as f64,
                test_loss: 2.0 / epoch as f64,
                epochs,
                elapsed: 0.0,
            })
            .collect()
    }

    fn modes(plot: &Plot) -> Vec<String> {
        let figure: serde_json::Value = serde_json::from_str(&plot.to_json()).unwrap();
        figure["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["mode"].as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn the_loss_plot_marks_epochs_only_while_they_are_few() {
        assert_eq!(
            modes(&loss_plot(&history(LOSS_MARKERS_UP_TO))),
            ["lines+markers"; 2]
        );
        let long = loss_plot(&history(LOSS_MARKERS_UP_TO + 1));
        assert_eq!(modes(&long), ["lines"; 2]);
        let figure: serde_json::Value = serde_json::from_str(&long.to_json()).unwrap();
        assert_eq!(
            figure["data"][1]["y"].as_array().unwrap().len(),
            LOSS_MARKERS_UP_TO + 1
        );
    }
}
