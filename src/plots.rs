//! Plots, drawn with the plotly crate into containers marked `data-plot`.

use plotly::common::{Line, Marker, Mode};
use plotly::layout::{Axis, Margin};
use plotly::{Configuration, Layout, Plot, Scatter};
use vrnn_protocol::EpochReport;

/// Okabe–Ito colours: distinguishable with the common colour-vision deficiencies.
pub const TRAIN_COLOUR: &str = "#0072B2";
pub const TEST_COLOUR: &str = "#E69F00";

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
            .margin(Margin::new().top(40).bottom(50).left(60).right(20))
            .height(320),
    );
    plot.set_configuration(Configuration::new().responsive(true).display_logo(false));
    plot
}

/// Draws (or updates) the plot in the element with this id.
pub fn draw(id: &'static str, plot: Plot) {
    leptos::task::spawn_local(async move {
        plotly::bindings::react(id, &plot).await;
    });
}
