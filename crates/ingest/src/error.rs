//! What can be wrong with an input file, and where: every message names the line, the column
//! and its header, because a user fixing a file needs to find the cell.

use serde::{Deserialize, Serialize};

use crate::limits::MAX_TIME_POINTS;

/// Where in the file a problem is. Lines and columns are 1-based, as editors show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    pub line: u64,
    pub column: Option<usize>,
    pub header: Option<String>,
}

impl Location {
    /// A field of a table: its line, its (0-based) column `c` and that column's header.
    pub(crate) fn field(line: u64, c: usize, headers: &[String]) -> Location {
        Location {
            line,
            column: Some(c + 1),
            header: headers.get(c).cloned(),
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}", self.line)?;
        if let Some(c) = self.column {
            write!(f, ", column {c}")?;
        }
        if let Some(h) = &self.header {
            write!(f, " (\"{h}\")")?;
        }
        Ok(())
    }
}

/// Everything that can be wrong with an input file, with the place it was found.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum IngestError {
    #[error("the file is empty")]
    Empty,
    /// A problem in one of several files (a sample sheet, a 10x input's parts), named.
    #[error("{file}: {message}")]
    File { file: String, message: String },
    #[error("this is {what}, not a text table. {advice}")]
    NotATable {
        what: &'static str,
        advice: &'static str,
    },
    #[error("the file has a header but no data rows")]
    HeaderOnly,
    #[error("line {line}: the file could not be read: {message}")]
    Unreadable { line: u64, message: String },
    #[error(
        "no time column found: none is named like \"time\" and no column before the genes holds \
         2 to {MAX_TIME_POINTS} time values shared by the cells; candidates: {candidates:?}. \
         Choose one with \"Time column\" on the page or --time-column on the command line"
    )]
    NoTimeColumn { candidates: Vec<String> },
    #[error(
        "{}; the obs columns are {columns:?}. Choose one with \"Time column\" on the page or \
         --time-column on the command line",
        match chosen {
            Some(c) => format!("no obs column \"{c}\""),
            None => format!("no usable time column in obs: none is named like \"time\" and none holds 2 to {MAX_TIME_POINTS} values that all read as times"),
        }
    )]
    NoObsTime {
        columns: Vec<String>,
        chosen: Option<String>,
    },
    #[error(
        "{file}: obs column \"{column}\": {} {} could not be read as {}; give {} in the \
         \"Time values\" table on the page, or in a --samples sheet (columns sample,time)",
        if labels.len() == 1 { "time label" } else { "time labels" },
        quoted(labels),
        if labels.len() == 1 { "a time" } else { "times" },
        if labels.len() == 1 { "its time" } else { "their times" }
    )]
    UnmappedObsTimes {
        file: String,
        column: String,
        labels: Vec<String>,
    },
    #[error(
        "{file}: the data are compressed with {filter}, which this app cannot decode; rewrite \
         the file with gzip, e.g. in Python: adata.write_h5ad(path, compression=\"gzip\")"
    )]
    UnsupportedFilter { file: String, filter: String },
    #[error("the time column \"{0}\" does not exist in the header")]
    UnknownTimeColumn(String),
    #[error("{at}: time value \"{value}\" is not a number")]
    BadTime { at: Location, value: String },
    #[error(
        "{at}: {} {} could not be read as {}; give {} in the \"Time values\" table on \
         the page, or in a --samples sheet (columns sample,time) on the command line",
        if labels.len() == 1 { "time label" } else { "time labels" },
        quoted(labels),
        if labels.len() == 1 { "a time" } else { "times" },
        if labels.len() == 1 { "its time" } else { "their times" }
    )]
    UnmappedTimes { at: Location, labels: Vec<String> },
    #[error(
        "no time in the name of {}: give {} in the \"Time values\" table on the page, or in a \
         --samples sheet (columns sample,time) on the command line",
        quoted(samples),
        if samples.len() == 1 { "its time" } else { "their times" }
    )]
    UnmappedSamples { samples: Vec<String> },
    #[error(
        "only one distinct time point ({time}) in column \"{column}\": a time course needs at least two"
    )]
    SingleTimePoint { column: String, time: f64 },
    #[error("{at}: expected {expected} fields like the header, found {found}")]
    FieldCount {
        at: Location,
        expected: usize,
        found: usize,
    },
    #[error("{at}: value \"{value}\" is not a number")]
    NotANumber { at: Location, value: String },
    #[error(
        "{at}: value \"{value}\" is negative, so the matrix is not counts; choose \
         \"Normalise counts: No\" on the page or --normalize no on the command line"
    )]
    NegativeCount { at: Location, value: String },
    #[error("{at}: value \"{value}\" is infinite; only finite numbers are accepted")]
    Infinite { at: Location, value: String },
    #[error("gene \"{name}\" appears twice in the header, in columns {first} and {second}")]
    DuplicateGene {
        name: String,
        first: usize,
        second: usize,
    },
    #[error("the file has no gene columns: every column is metadata or time")]
    NoGenes,
    #[error("line {line}: a single row is longer than {limit_mb} MB; is this really a table with one row per cell?")]
    RowTooLong { line: u64, limit_mb: usize },
    #[error("no cells of type \"{name}\"; the types are {available:?}")]
    UnknownCellType {
        name: String,
        available: Vec<String>,
    },
}

/// A field's text for a message: lossy UTF-8, cut short so one huge field cannot flood it.
pub(crate) fn shown(field: &[u8]) -> String {
    const MAX: usize = 60;
    let s = String::from_utf8_lossy(field);
    if s.chars().count() <= MAX {
        s.into_owned()
    } else {
        let cut: String = s.chars().take(MAX).collect();
        format!("{cut}…")
    }
}

/// `"a", "b"`: names listed in a message.
fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

impl IngestError {
    /// The message as a front shows it for an input named `file`: `FILE: MESSAGE`, unless the
    /// message already starts with the file it is about (a sample sheet, one file of a 10x
    /// sample, an HDF5 file's name), which would otherwise be named twice.
    pub fn shown_for(&self, file: &str) -> String {
        match self {
            IngestError::File { .. }
            | IngestError::UnmappedObsTimes { .. }
            | IngestError::UnsupportedFilter { .. } => self.to_string(),
            e => format!("{file}: {e}"),
        }
    }
}
