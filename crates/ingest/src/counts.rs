//! Raw counts or values: the `Normalise counts` rule, shared by every format. Counts are
//! normalised as the reference's input was: per cell `log1p(count / cell total × 1e4)`; bulk
//! samples by counts per million, `log1p(count / sample total × 1e6)`.

use vrnn_types::{Normalization, Normalize};

/// With fewer genes than this, a cell's total is no library size (one gene's total is the gene
/// itself, which normalisation would flatten to a constant), so `Auto` leaves whole numbers as
/// they are.
pub const MIN_GENES_FOR_TOTAL: usize = 50;

/// Scale of the per-cell normalisation (counts per 10,000, as the reference's input).
pub const CELL_SCALE: f64 = 1e4;
/// Scale of the per-sample normalisation of bulk counts (counts per million).
pub const SAMPLE_SCALE: f64 = 1e6;

/// Whether a value could be a count.
#[inline]
pub fn is_count(x: f64) -> bool {
    x >= 0.0 && x.fract() == 0.0
}

/// The decision, from whether every value seen was a whole non-negative number.
pub fn decide(choice: Normalize, all_counts: bool, genes: usize, bulk: bool) -> Normalization {
    let rule = if bulk {
        "log1p(count / sample total x 1e6), counts per million"
    } else {
        "log1p(count / cell total x 1e4)"
    };
    let (applied, why) = match choice {
        Normalize::Yes => (true, "Normalise counts: Yes"),
        Normalize::No => (false, "Normalise counts: No"),
        Normalize::Auto if !all_counts => (false, "Auto: the values are not all whole numbers"),
        Normalize::Auto if genes < MIN_GENES_FOR_TOTAL => (
            false,
            "Auto: whole numbers, but fewer than 50 genes, too few for a total to be a library size",
        ),
        Normalize::Auto => (true, "Auto: every value is a whole number"),
    };
    Normalization {
        applied,
        rule: if applied {
            format!("{rule} ({why})")
        } else {
            format!("values used as they are ({why})")
        },
    }
}

/// `log1p(x / total × scale)`; 0 for a cell without counts.
#[inline]
pub fn normalise(x: f64, total: f64, scale: f64) -> f64 {
    if total > 0.0 {
        (x / total * scale).ln_1p()
    } else {
        0.0
    }
}
