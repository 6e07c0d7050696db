//! What was read and how: the input's format, the counts rule, and the time each label stands
//! for. The reader fills these in; the page, `inspect` and `run.json` show them.

use serde::{Deserialize, Serialize};

/// The layouts the reader recognises, from the bytes (not the file name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputFormat {
    /// A cells × genes CSV/TSV with a time column (one row per cell).
    #[default]
    CellsTable,
    /// A bulk genes × samples CSV/TSV (one row per gene), samples' times from a sheet or names.
    BulkTable,
    /// 10x Genomics MatrixMarket: `matrix.mtx` with `features.tsv` and `barcodes.tsv`.
    TenxMex,
    /// AnnData `.h5ad` (HDF5).
    AnnData,
    /// 10x Genomics `.h5` (HDF5).
    TenxH5,
}

impl InputFormat {
    /// How the page and `inspect` name it.
    pub fn describe(self) -> &'static str {
        match self {
            InputFormat::CellsTable => "cells x genes table (one row per cell)",
            InputFormat::BulkTable => "bulk genes x samples table (one row per gene)",
            InputFormat::TenxMex => "10x Genomics MatrixMarket (matrix.mtx, features, barcodes)",
            InputFormat::AnnData => "AnnData .h5ad",
            InputFormat::TenxH5 => "10x Genomics .h5",
        }
    }
    /// What one observation is: a cell, or a sample (bulk replicates play the cells' part).
    pub fn unit(self) -> &'static str {
        match self {
            InputFormat::BulkTable => "samples",
            _ => "cells",
        }
    }
}

/// `Normalise counts`: whether the matrix is raw counts to normalise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Normalize {
    /// Counts when every value is a whole number (and there are enough genes for a total to
    /// be a library size); otherwise the values are used as they are.
    #[default]
    Auto,
    Yes,
    No,
}

impl Normalize {
    pub const ALL: [Normalize; 3] = [Normalize::Auto, Normalize::Yes, Normalize::No];
    pub fn label(self) -> &'static str {
        match self {
            Normalize::Auto => "Auto",
            Normalize::Yes => "Yes",
            Normalize::No => "No",
        }
    }
    pub fn parse(s: &str) -> Option<Normalize> {
        Normalize::ALL
            .into_iter()
            .find(|n| n.label().eq_ignore_ascii_case(s.trim()))
    }
}

/// The rule the reader applied to the values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Normalization {
    /// Whether the values were normalised as counts.
    pub applied: bool,
    /// The rule in words, e.g. `log1p(count / cell total x 1e4)`, or why none was applied.
    pub rule: String,
}

impl Default for Normalization {
    fn default() -> Self {
        Normalization {
            applied: false,
            rule: "values used as they are".into(),
        }
    }
}

/// One time label (of a time column, a sample or a 10x input) and the time it stands for:
/// a row of the `Time values` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeValue {
    pub label: String,
    /// `None` when the label could not be read as a time and the user has not given one.
    pub time: Option<f64>,
    /// The unit the labels named (`hours`, `days`, ...), when they named one.
    #[serde(default)]
    pub unit: Option<String>,
    /// Whether the user gave the time (`Time values` table, `--samples`), not the label.
    #[serde(default)]
    pub given: bool,
}

/// How a data set was read, as `run.json`, the session and the page report it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReadInfo {
    pub format: InputFormat,
    pub normalization: Normalization,
    /// Where the times came from: a column, a sample sheet, the sample names.
    pub time_source: String,
    /// The labels that were read as times (empty when every time was a number).
    pub time_values: Vec<TimeValue>,
    /// What the user should know about how the data were read.
    pub notices: Vec<String>,
}
