//! What the format tests share: two data sets read from different layouts of the same cells
//! must agree on times, genes and counts, and on every mean and standard error to 1e-5; and
//! the time labels as read.

#![allow(dead_code)] // each test file uses its own share of these

use vrnn_ingest::{Dataset, Tally};

/// Each time label with the time it was read as, in the tally's order.
pub fn labels(t: &Tally) -> Vec<(String, Option<f64>)> {
    t.time_values
        .iter()
        .map(|v| (v.label.clone(), v.time))
        .collect()
}

fn close(a: &[f32], b: &[f32]) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() <= 1e-5 * (1.0 + y.abs()), "{x} vs {y}");
    }
}

/// `a` and `b` hold the same per-time summary, to 1e-5.
pub fn same(a: &Dataset, b: &Dataset) {
    assert_eq!(a.times, b.times);
    assert_eq!(a.genes, b.genes);
    assert_eq!(a.cells_per_time, b.cells_per_time);
    close(&a.means, &b.means);
    close(&a.std_errors, &b.std_errors);
}
