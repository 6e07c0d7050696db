//! Plots, built with the plotly crate and drawn into containers marked `data-plot`.
//!
//! Every plot of a run reads the one [`AnalysisView`] the worker sent, so cluster numbers and
//! colours agree everywhere. Panels per cluster are one figure on plotly's subplot grid (so
//! the toolbar saves them as one PNG or SVG); plotly.rs types only name eight axes, so the
//! axes beyond are added to the figure's JSON before drawing.

use plotly::common::{DashType, Fill, Line, Marker, MarkerSymbol, Mode, Title};
use plotly::layout::{Annotation, Axis, GridPattern, LayoutGrid, Margin};
use plotly::{Configuration, Layout, Plot, Scatter};
use serde_json::{json, Value};
use vrnn_protocol::{AnalysisView, EpochReport, SimilarGene};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Okabe–Ito colours: distinguishable with the common colour-vision deficiencies.
pub const TRAIN_COLOUR: &str = "#0072B2";
pub const TEST_COLOUR: &str = "#E69F00";

/// Cluster colours: the eight Okabe–Ito colours (yellow and black last, as they read worst on
/// white), then four of Paul Tol's colour-blind-safe "muted" set, for k up to 12.
const CLUSTER_COLOURS: [&str; 12] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
    "#882255", "#999933", "#332288", "#AA4499",
];

/// Colour of a 1-based cluster, the same in every plot.
/// User text (gene and column names) as plotly text: plotly reads `<b>`, `<br>`, `<a href>`
/// and entities in every label, so `<`, `>` and `&` are written as entities and a gene named
/// `<img src=x onerror=alert(1)>` shows literally.
pub fn label(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

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

/// Train and test loss per epoch.
pub fn loss_plot(history: &[EpochReport]) -> Plot {
    let epochs: Vec<usize> = history.iter().map(|e| e.epoch).collect();
    let train: Vec<f64> = history.iter().map(|e| e.train_loss).collect();
    let test: Vec<f64> = history.iter().map(|e| e.test_loss).collect();
    let mut plot = Plot::new();
    plot.add_trace(
        Scatter::new(epochs.clone(), train)
            .mode(Mode::LinesMarkers)
            .name("train")
            .line(Line::new().color(TRAIN_COLOUR))
            .marker(Marker::new().size(4)),
    );
    plot.add_trace(
        Scatter::new(epochs, test)
            .mode(Mode::LinesMarkers)
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

fn row(a: &AnalysisView, values: &[f32], g: usize) -> Vec<f32> {
    let t = a.times.len();
    values[g * t..(g + 1) * t].to_vec()
}

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

/// Genes of each 1-based cluster.
fn members(a: &AnalysisView) -> Vec<Vec<usize>> {
    let mut m = vec![Vec::new(); a.clusters.k];
    for (g, &c) in a.clusters.labels.iter().enumerate() {
        if (1..=a.clusters.k).contains(&c) {
            m[c - 1].push(g);
        }
    }
    m
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
    let members = members(a);
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
    let members = members(a);
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
    let members = members(a);
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

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = Plotly, js_name = react)]
    async fn plotly_react(id: &str, figure: JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(catch, js_namespace = Plotly, js_name = downloadImage)]
    async fn plotly_download_image(gd: JsValue, options: JsValue) -> Result<JsValue, JsValue>;
}

/// The file name a plot saves under: `vrnn-<data-plot>`.
fn file_stem(gd: &JsValue) -> String {
    let name = gd
        .dyn_ref::<web_sys::Element>()
        .and_then(|e| e.get_attribute("data-plot"))
        .unwrap_or_else(|| "plot".into());
    format!("vrnn-{name}")
}

thread_local! {
    /// One shared click handler for the toolbar's "save as SVG" button (plotly's own camera
    /// button saves PNG).
    static SVG_BUTTON: JsValue = svg_button();
}

fn svg_button() -> JsValue {
    let click = Closure::<dyn Fn(JsValue)>::new(|gd: JsValue| {
        let options = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&options, &"format".into(), &"svg".into());
        let _ = js_sys::Reflect::set(&options, &"filename".into(), &file_stem(&gd).into());
        leptos::task::spawn_local(async move {
            if let Err(e) = plotly_download_image(gd, options.into()).await {
                web_sys::console::error_2(&"saving the plot as SVG failed:".into(), &e);
            }
        });
    })
    .into_js_value();
    let icon = js_sys::Reflect::get(&js_sys::global(), &"Plotly".into())
        .and_then(|p| js_sys::Reflect::get(&p, &"Icons".into()))
        .and_then(|i| js_sys::Reflect::get(&i, &"camera".into()))
        .unwrap_or(JsValue::UNDEFINED);
    let button = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&button, &"name".into(), &"Download plot as SVG".into());
    let _ = js_sys::Reflect::set(&button, &"title".into(), &"Download plot as SVG".into());
    let _ = js_sys::Reflect::set(&button, &"icon".into(), &icon);
    let _ = js_sys::Reflect::set(&button, &"click".into(), &click);
    button.into()
}

/// Draws (or updates) a plot in the element with this id.
pub fn draw(id: &'static str, plot: Plot) {
    draw_figure(id, figure(&plot));
}

/// Draws a figure given as plotly JSON. Errors are logged, never panics (a panic would kill
/// the app).
pub fn draw_figure(id: &'static str, figure: Value) {
    draw_then(id, figure, || {});
}

/// [`draw_figure`], then `after` once the plot exists (plotly draws asynchronously).
pub fn draw_then(id: &'static str, figure: Value, after: impl FnOnce() + 'static) {
    let mut figure = figure;
    if let Some(el) = leptos::prelude::document().get_element_by_id(id) {
        figure["config"]["toImageButtonOptions"] = json!({ "filename": file_stem(&el.into()) });
    }
    leptos::task::spawn_local(async move {
        let Ok(obj) = js_sys::JSON::parse(&figure.to_string()) else {
            return;
        };
        if let Ok(config) = js_sys::Reflect::get(&obj, &"config".into()) {
            let buttons = js_sys::Array::of1(&SVG_BUTTON.with(|b| b.clone()));
            let _ = js_sys::Reflect::set(&config, &"modeBarButtonsToAdd".into(), &buttons);
        }
        match plotly_react(id, obj).await {
            Ok(_) => after(),
            Err(e) => web_sys::console::error_2(&format!("plot {id} failed:").into(), &e),
        }
    });
}

/// A plotly.rs plot as figure JSON.
pub fn figure(plot: &Plot) -> Value {
    serde_json::from_str(&plot.to_json()).unwrap_or(Value::Null)
}

/// Calls `on_click(gene index)` when a point carrying a gene index is clicked. Binds once per
/// element (plotly keeps listeners across `react`).
pub fn on_point_click(id: &'static str, on_click: impl Fn(usize) + 'static) {
    let Some(el) = leptos::prelude::document().get_element_by_id(id) else {
        return;
    };
    let key = JsValue::from_str("__vrnnClickBound");
    if js_sys::Reflect::get(&el, &key)
        .map(|v| v.is_truthy())
        .unwrap_or(false)
    {
        return;
    }
    let Ok(on) = js_sys::Reflect::get(&el, &JsValue::from_str("on")) else {
        return;
    };
    let Some(on) = on.dyn_ref::<js_sys::Function>() else {
        return;
    };
    let handler = Closure::<dyn Fn(JsValue)>::new(move |data: JsValue| {
        let index = js_sys::Reflect::get(&data, &"points".into())
            .ok()
            .and_then(|p| p.dyn_into::<js_sys::Array>().ok())
            .map(|p| p.get(0))
            .and_then(|pt| js_sys::Reflect::get(&pt, &"customdata".into()).ok())
            .and_then(|c| c.as_f64());
        if let Some(i) = index {
            on_click(i as usize);
        }
    });
    if on
        .call2(&el, &JsValue::from_str("plotly_click"), handler.as_ref())
        .is_ok()
    {
        let _ = js_sys::Reflect::set(&el, &key, &JsValue::TRUE);
        handler.forget();
    }
}
