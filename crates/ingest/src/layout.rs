//! The roles of the header's columns (time, metadata, cell type, genes), decided from the
//! header names and the first rows' values.

use std::collections::HashMap;

use crate::error::IngestError;
use crate::label::parse_label;
use crate::limits::MAX_TIME_POINTS;
use crate::value::{is_missing, parse_number, text};
use crate::IngestOptions;

/// One buffered row: its fields' bytes end to end, and where each field ends.
pub(crate) struct Row {
    pub line: u64,
    pub bytes: Vec<u8>,
    pub ends: Vec<usize>,
}

impl Row {
    pub fn field(&self, c: usize) -> &[u8] {
        field(&self.bytes, &self.ends, c)
    }
}

/// Field `c` of a record given as bytes and field ends (as csv-core writes them), trimmed;
/// empty when the record is too short.
pub(crate) fn field<'a>(bytes: &'a [u8], ends: &[usize], c: usize) -> &'a [u8] {
    let Some(&end) = ends.get(c) else {
        return &[];
    };
    let start = if c == 0 { 0 } else { ends[c - 1] };
    bytes.get(start..end).unwrap_or(&[]).trim_ascii()
}

/// The roles of the header's columns.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub headers: Vec<String>,
    pub time: usize,
    pub metadata: Vec<usize>,
    /// The metadata column that names each cell's type, when there is one.
    pub cell_type: Option<usize>,
    pub genes: Vec<usize>,
}

pub(crate) fn looks_like_time_name(name: &str) -> bool {
    // Strict on purpose: gene symbols such as TIMELESS or TIMP1 must never be taken for time.
    let n = name.to_ascii_lowercase();
    let compact: String = n.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    matches!(
        compact.as_str(),
        "time"
            | "t"
            | "hour"
            | "hours"
            | "timepoint"
            | "timenumeric"
            | "timenumerics"
            | "timeh"
            | "timehours"
            | "day"
            | "days"
            | "age"
            | "hpi"
            | "dpi"
            | "hpf"
            | "dpf"
    ) || n.starts_with("time_")
        || n.starts_with("time.")
        || n.ends_with("_time")
}

fn looks_like_metadata_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "cell",
        "barcode",
        "id",
        "type",
        "sample",
        "batch",
        "cluster",
        "condition",
        "donor",
        "replicate",
        "group",
        "label",
        "orig.ident",
        "index",
    ]
    .iter()
    .any(|k| {
        n == *k
            || n.starts_with(&format!("{k}_"))
            || n.ends_with(&format!("_{k}"))
            || n.contains("cell")
    }) || n.is_empty()
}

/// `Cell_Type`, `celltype`, `cell.type`, `type`, `annotation`: a column a user filters by.
pub(crate) fn looks_like_cell_type_name(name: &str) -> bool {
    let compact: String = name
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    compact.contains("celltype") || matches!(compact.as_str(), "type" | "annotation")
}

/// Per column, whether most of its values are words. A column of words (cell ids, types) is
/// metadata; a numeric column with a stray word is a gene whose bad value is reported with its
/// line and column.
pub(crate) fn mostly_text(headers: &[String], rows: &[Row]) -> Vec<bool> {
    (0..headers.len())
        .map(|c| {
            let (mut text, mut total) = (0usize, 0usize);
            for r in rows {
                let v = r.field(c);
                if !is_missing(v) {
                    total += 1;
                    if parse_number(v).is_none() {
                        text += 1;
                    }
                }
            }
            total > 0 && text * 2 > total
        })
        .collect()
}

pub(crate) fn decide(
    headers: &[String],
    rows: &[Row],
    opts: &IngestOptions,
) -> Result<Layout, IngestError> {
    let mostly_text = mostly_text(headers, rows);
    let time = if let Some(name) = &opts.time_column {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| IngestError::UnknownTimeColumn(name.clone()))?
    } else if let Some(c) = (0..headers.len()).find(|&c| looks_like_time_name(&headers[c])) {
        c
    } else {
        match time_by_values(headers, rows, &mostly_text) {
            Ok(c) => c,
            Err(candidates) => return Err(IngestError::NoTimeColumn { candidates }),
        }
    };

    let mut metadata = Vec::new();
    let mut genes = Vec::new();
    for c in 0..headers.len() {
        if c == time {
            continue;
        }
        // Metadata come first (cell id, cell type, ...); once genes start, only columns of words
        // are metadata, so a numeric gene named like "index" is not lost.
        if mostly_text[c] || (genes.is_empty() && looks_like_metadata_name(&headers[c])) {
            metadata.push(c);
        } else {
            genes.push(c);
        }
    }
    if genes.is_empty() {
        return Err(IngestError::NoGenes);
    }
    let mut first_seen: HashMap<&str, usize> = HashMap::new();
    for &c in &genes {
        if let Some(&first) = first_seen.get(headers[c].as_str()) {
            return Err(IngestError::DuplicateGene {
                name: headers[c].clone(),
                first: first + 1,
                second: c + 1,
            });
        }
        first_seen.insert(&headers[c], c);
    }
    let cell_type = metadata
        .iter()
        .copied()
        .find(|&c| looks_like_cell_type_name(&headers[c]));
    Ok(Layout {
        headers: headers.to_vec(),
        time,
        metadata,
        cell_type,
        genes,
    })
}

/// The time column found by its values alone, when no column is named like time: the first
/// column, before the genes start, whose values are all times (numbers or labels such as `6h`)
/// with 2 to [`MAX_TIME_POINTS`] distinct values, each held by a real share of the cells (at
/// least two cells and a tenth of an even share). A gene is never taken: a mostly-zero gene has a few values
/// held by single cells, and the search stops at the first numeric column that does not
/// qualify, since genes follow the metadata. Otherwise the candidates to offer: the columns
/// before the genes and the first gene.
fn time_by_values(
    headers: &[String],
    rows: &[Row],
    mostly_text: &[bool],
) -> Result<usize, Vec<String>> {
    let mut candidates = Vec::new();
    for c in 0..headers.len() {
        let mut counts: HashMap<&[u8], usize> = HashMap::new();
        let mut all_times = true;
        for r in rows {
            let v = r.field(c);
            if is_missing(v) {
                continue;
            }
            if parse_number(v).is_none() && parse_label(&text(v)).is_none() {
                all_times = false;
                break;
            }
            *counts.entry(v).or_default() += 1;
            if counts.len() > MAX_TIME_POINTS {
                all_times = false;
                break;
            }
        }
        let cells: usize = counts.values().sum();
        let fair = cells as f64 / counts.len().max(1) as f64;
        let shared = counts.values().all(|&n| n >= 2 && n as f64 >= 0.1 * fair);
        if all_times && counts.len() >= 2 && shared {
            return Ok(c);
        }
        candidates.push(headers[c].clone());
        let metadata = mostly_text[c] || looks_like_metadata_name(&headers[c]);
        if !metadata {
            break;
        }
    }
    Err(candidates.into_iter().take(10).collect())
}
