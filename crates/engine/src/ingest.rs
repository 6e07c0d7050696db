//! Reading a cells × genes CSV into per-gene, per-time accumulators.
//!
//! The reader is a single forward pass over any `Read`: only a short look-ahead of rows (to
//! recognise the time column by its values) is buffered, then every row is folded into
//! count / sum / sum-of-squares accumulators per (time, gene). Memory is therefore
//! O(genes × time points), independent of the number of cells, and cells need not be sorted.
//!
//! Missing values (`NA`, `NaN`, `nan`, empty) are skipped: the gene's mean at that time is taken
//! over the cells that have a value. Infinite values are rejected, because a single one would
//! make the whole gene's mean meaningless.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use serde::{Deserialize, Serialize};

/// How many data rows are buffered before the columns' roles are decided.
const LOOKAHEAD_ROWS: usize = 2000;
/// A numeric column with at most this many distinct values can be a time column.
const MAX_TIME_POINTS: usize = 50;

/// Where in the file a problem is. Lines and columns are 1-based, as editors show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    pub line: u64,
    pub column: Option<usize>,
    pub header: Option<String>,
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
    #[error("this is {what}, not a text table. {advice}")]
    NotATable {
        what: &'static str,
        advice: &'static str,
    },
    #[error("the file has a header but no data rows")]
    HeaderOnly,
    #[error("line {line}: the file could not be read as text: {message}")]
    Unreadable { line: u64, message: String },
    #[error(
        "no time column found: none is named like \"time\" and no numeric column has at most \
         {MAX_TIME_POINTS} distinct values; candidates: {candidates:?}. Choose one in \"Time column\""
    )]
    NoTimeColumn { candidates: Vec<String> },
    #[error("the time column \"{0}\" does not exist in the header")]
    UnknownTimeColumn(String),
    #[error("{at}: time value \"{value}\" is not a number")]
    BadTime { at: Location, value: String },
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
}

/// Options that override what the reader would otherwise detect.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct IngestOptions {
    /// Use this column as time instead of detecting it.
    pub time_column: Option<String>,
}

/// The per-time summary of a data set: what the model trains on and the plots show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    pub time_column: String,
    /// Columns recognised as metadata and left out of the genes.
    pub metadata_columns: Vec<String>,
    /// Distinct time values, ascending.
    pub times: Vec<f64>,
    pub genes: Vec<String>,
    pub n_cells: u64,
    pub cells_per_time: Vec<u64>,
    /// Genes × times, row-major: mean expression of each gene over the cells of each time.
    pub means: Vec<f32>,
    /// Genes × times, row-major: standard error of each mean (0 when fewer than two cells).
    pub std_errors: Vec<f32>,
    /// Each gene's variance over all cells (all time points together), from the same pass:
    /// what "most variable genes" ranks by.
    #[serde(default)]
    pub variances: Vec<f64>,
}

/// Which genes a run keeps, and what was left out.
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    pub dataset: Dataset,
    /// Genes dropped because they never vary (constant in every cell).
    pub constant: Vec<String>,
    /// Genes left out because they are not among the most variable.
    pub not_variable_enough: usize,
    /// Requested genes of interest that were kept although not among the most variable.
    pub kept_of_interest: Vec<String>,
}

impl Dataset {
    pub fn n_genes(&self) -> usize {
        self.genes.len()
    }
    pub fn n_times(&self) -> usize {
        self.times.len()
    }
    /// The genes a run trains on: genes that vary at all, at most `top` of them ranked by
    /// variance over all cells (ties by column order), plus every gene named in `keep` that
    /// exists (matched case-insensitively), in the file's column order.
    pub fn select(&self, top: Option<usize>, keep: &[String]) -> Selection {
        let n = self.n_genes();
        let varying: Vec<usize> = (0..n)
            .filter(|&g| self.variances.get(g).is_none_or(|&v| v > 0.0))
            .collect();
        let constant: Vec<String> = (0..n)
            .filter(|&g| self.variances.get(g).is_some_and(|&v| v <= 0.0))
            .map(|g| self.genes[g].clone())
            .collect();
        let mut ranked = varying.clone();
        ranked.sort_by(|&a, &b| {
            let va = self.variances.get(a).copied().unwrap_or(0.0);
            let vb = self.variances.get(b).copied().unwrap_or(0.0);
            vb.total_cmp(&va).then(a.cmp(&b))
        });
        let top = top.unwrap_or(ranked.len()).min(ranked.len());
        let mut chosen = vec![false; n];
        for &g in &ranked[..top] {
            chosen[g] = true;
        }
        let mut kept_of_interest = Vec::new();
        for name in keep {
            if let Some(g) = varying
                .iter()
                .copied()
                .find(|&g| self.genes[g].eq_ignore_ascii_case(name.trim()))
            {
                if !chosen[g] {
                    chosen[g] = true;
                    kept_of_interest.push(self.genes[g].clone());
                }
            }
        }
        let idx: Vec<usize> = (0..n).filter(|&g| chosen[g]).collect();
        let t = self.n_times();
        let pick = |v: &[f32]| -> Vec<f32> {
            idx.iter()
                .flat_map(|&g| v[g * t..(g + 1) * t].iter().copied())
                .collect()
        };
        let dataset = Dataset {
            genes: idx.iter().map(|&g| self.genes[g].clone()).collect(),
            means: pick(&self.means),
            std_errors: pick(&self.std_errors),
            variances: idx
                .iter()
                .map(|&g| self.variances.get(g).copied().unwrap_or(0.0))
                .collect(),
            ..self.clone()
        };
        Selection {
            not_variable_enough: varying.len() - top,
            dataset,
            constant,
            kept_of_interest,
        }
    }

    /// The observed trajectory of one gene.
    pub fn gene_means(&self, gene: usize) -> &[f32] {
        let t = self.n_times();
        &self.means[gene * t..(gene + 1) * t]
    }
}

fn is_missing(s: &str) -> bool {
    matches!(
        s,
        "" | "NA" | "na" | "N/A" | "NaN" | "nan" | "NAN" | "null" | "NULL"
    )
}

fn parse_value(s: &str) -> Option<f64> {
    s.parse::<f64>().ok()
}

fn looks_like_time_name(name: &str) -> bool {
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

/// Accumulates one pass over the rows.
struct Accumulator {
    n_genes: usize,
    /// time key (f64 bits of the parsed value) -> per-time slot.
    slots: BTreeMap<OrderedTime, usize>,
    counts: Vec<Vec<u64>>,
    sums: Vec<Vec<f64>>,
    sumsq: Vec<Vec<f64>>,
    cells: Vec<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
struct OrderedTime(f64);
impl Eq for OrderedTime {}
#[allow(clippy::derive_ord_xor_partial_ord)]
impl Ord for OrderedTime {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

impl Accumulator {
    fn new(n_genes: usize) -> Self {
        Self {
            n_genes,
            slots: BTreeMap::new(),
            counts: Vec::new(),
            sums: Vec::new(),
            sumsq: Vec::new(),
            cells: Vec::new(),
        }
    }

    fn slot(&mut self, t: f64) -> usize {
        let next = self.counts.len();
        let n = self.n_genes;
        let idx = *self.slots.entry(OrderedTime(t)).or_insert(next);
        if idx == next {
            self.counts.push(vec![0; n]);
            self.sums.push(vec![0.0; n]);
            self.sumsq.push(vec![0.0; n]);
            self.cells.push(0);
        }
        idx
    }
}

/// The roles of the header's columns.
struct Layout {
    headers: Vec<String>,
    time: usize,
    metadata: Vec<usize>,
    genes: Vec<usize>,
}

fn decide_layout(
    headers: &[String],
    rows: &[(u64, csv::StringRecord)],
    opts: &IngestOptions,
) -> Result<Layout, IngestError> {
    // A column is numeric if every non-missing value in the look-ahead parses as a number.
    let numeric: Vec<bool> = (0..headers.len())
        .map(|c| {
            rows.iter().all(|(_, r)| {
                let v = r.get(c).unwrap_or("").trim();
                is_missing(v) || parse_value(v).is_some()
            })
        })
        .collect();
    // A column of words (cell ids, types) is metadata; a numeric column with a stray word is a
    // gene whose bad value is reported with its line and column.
    let mostly_text: Vec<bool> = (0..headers.len())
        .map(|c| {
            let (mut text, mut total) = (0usize, 0usize);
            for (_, r) in rows {
                let v = r.get(c).unwrap_or("").trim();
                if !is_missing(v) {
                    total += 1;
                    if parse_value(v).is_none() {
                        text += 1;
                    }
                }
            }
            total > 0 && text * 2 > total
        })
        .collect();

    let time = if let Some(name) = &opts.time_column {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| IngestError::UnknownTimeColumn(name.clone()))?
    } else if let Some(c) = (0..headers.len()).find(|&c| looks_like_time_name(&headers[c])) {
        c
    } else {
        // Few distinct values: a time course has a handful of sampling times.
        let few_distinct = |c: usize| {
            let mut seen: Vec<u64> = Vec::new();
            for (_, r) in rows {
                let v = r.get(c).unwrap_or("").trim();
                if let Some(x) = parse_value(v) {
                    let b = x.to_bits();
                    if !seen.contains(&b) {
                        seen.push(b);
                        if seen.len() > MAX_TIME_POINTS {
                            return false;
                        }
                    }
                }
            }
            seen.len() >= 2
        };
        match (0..headers.len())
            .find(|&c| numeric[c] && !looks_like_metadata_name(&headers[c]) && few_distinct(c))
        {
            Some(c) => c,
            None => {
                return Err(IngestError::NoTimeColumn {
                    candidates: headers.iter().take(10).cloned().collect(),
                })
            }
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
    Ok(Layout {
        headers: headers.to_vec(),
        time,
        metadata,
        genes,
    })
}

fn csv_error(e: csv::Error) -> IngestError {
    let line = e.position().map(|p| p.line()).unwrap_or(0);
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => IngestError::FieldCount {
            at: Location {
                line,
                column: None,
                header: None,
            },
            expected: *expected_len as usize,
            found: *len as usize,
        },
        _ => IngestError::Unreadable {
            line,
            message: e.to_string(),
        },
    }
}

fn fold_row(
    layout: &Layout,
    acc: &mut Accumulator,
    line: u64,
    rec: &csv::StringRecord,
) -> Result<(), IngestError> {
    let at = |c: usize| Location {
        line,
        column: Some(c + 1),
        header: Some(layout.headers[c].clone()),
    };
    let tv = rec.get(layout.time).unwrap_or("").trim();
    let t = match parse_value(tv) {
        Some(t) if t.is_finite() => t,
        _ => {
            return Err(IngestError::BadTime {
                at: at(layout.time),
                value: tv.to_string(),
            })
        }
    };
    let slot = acc.slot(t);
    acc.cells[slot] += 1;
    for (g, &c) in layout.genes.iter().enumerate() {
        let v = rec.get(c).unwrap_or("").trim();
        if is_missing(v) {
            continue;
        }
        let x = parse_value(v).ok_or_else(|| IngestError::NotANumber {
            at: at(c),
            value: v.to_string(),
        })?;
        if x.is_infinite() {
            return Err(IngestError::Infinite {
                at: at(c),
                value: v.to_string(),
            });
        }
        if x.is_nan() {
            continue;
        }
        acc.counts[slot][g] += 1;
        acc.sums[slot][g] += x;
        acc.sumsq[slot][g] += x * x;
    }
    Ok(())
}

/// Reads any supported table: CSV, TSV or semicolon-separated text (delimiter taken from the
/// header), optionally gzip-compressed; files that are not text tables get a message saying
/// what they are and how to export a CSV.
pub fn read_table<R: Read>(input: R, opts: &IngestOptions) -> Result<Dataset, IngestError> {
    let (text, delimiter) = crate::sniff::open(input)?;
    read_delimited(text, delimiter, opts)
}

/// Reads a whole CSV (comma-separated, optional UTF-8 BOM, LF or CRLF, quoted fields).
pub fn read_csv<R: Read>(input: R, opts: &IngestOptions) -> Result<Dataset, IngestError> {
    read_delimited(input, b',', opts)
}

fn read_delimited<R: Read>(
    input: R,
    delimiter: u8,
    opts: &IngestOptions,
) -> Result<Dataset, IngestError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .delimiter(delimiter)
        .from_reader(input);
    let headers: Vec<String> = reader
        .headers()
        .map_err(csv_error)?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    if headers.is_empty() || (headers.len() == 1 && headers[0].is_empty()) {
        return Err(IngestError::Empty);
    }
    let mut records = reader.records();
    let mut buffered = Vec::new();
    for rec in records.by_ref() {
        let rec = rec.map_err(csv_error)?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        buffered.push((line, rec));
        if buffered.len() >= LOOKAHEAD_ROWS {
            break;
        }
    }
    if buffered.is_empty() {
        return Err(IngestError::HeaderOnly);
    }
    let layout = decide_layout(&headers, &buffered, opts)?;
    let mut acc = Accumulator::new(layout.genes.len());
    for (line, rec) in &buffered {
        fold_row(&layout, &mut acc, *line, rec)?;
    }
    drop(buffered);
    for rec in records {
        let rec = rec.map_err(csv_error)?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        fold_row(&layout, &mut acc, line, &rec)?;
    }
    finish(layout, acc)
}

fn finish(layout: Layout, acc: Accumulator) -> Result<Dataset, IngestError> {
    let times: Vec<f64> = acc.slots.keys().map(|t| t.0).collect();
    if times.len() < 2 {
        return Err(IngestError::SingleTimePoint {
            column: layout.headers[layout.time].clone(),
            time: times[0],
        });
    }
    let order: Vec<usize> = acc.slots.values().copied().collect();
    let n_genes = layout.genes.len();
    let n_t = times.len();
    let mut means = vec![0f32; n_genes * n_t];
    let mut std_errors = vec![0f32; n_genes * n_t];
    let mut variances = vec![0f64; n_genes];
    for (g, v) in variances.iter_mut().enumerate() {
        let (mut n, mut sum, mut sumsq) = (0.0f64, 0.0f64, 0.0f64);
        for &slot in &order {
            n += acc.counts[slot][g] as f64;
            sum += acc.sums[slot][g];
            sumsq += acc.sumsq[slot][g];
        }
        if n > 1.0 {
            let mean = sum / n;
            // Relative tolerance: a constant column must come out exactly 0, not 1e-17.
            let var = (sumsq - n * mean * mean) / (n - 1.0);
            *v = if var <= 1e-12 * (sumsq / n).max(1e-300) {
                0.0
            } else {
                var
            };
        }
    }
    for (ti, &slot) in order.iter().enumerate() {
        for g in 0..n_genes {
            let n = acc.counts[slot][g];
            if n == 0 {
                continue;
            }
            let nf = n as f64;
            let mean = acc.sums[slot][g] / nf;
            means[g * n_t + ti] = mean as f32;
            if n > 1 {
                let var = ((acc.sumsq[slot][g] - nf * mean * mean) / (nf - 1.0)).max(0.0);
                std_errors[g * n_t + ti] = (var / nf).sqrt() as f32;
            }
        }
    }
    Ok(Dataset {
        time_column: layout.headers[layout.time].clone(),
        metadata_columns: layout
            .metadata
            .iter()
            .map(|&c| layout.headers[c].clone())
            .collect(),
        times,
        genes: layout
            .genes
            .iter()
            .map(|&c| layout.headers[c].clone())
            .collect(),
        n_cells: acc.cells.iter().sum(),
        cells_per_time: order.iter().map(|&s| acc.cells[s]).collect(),
        means,
        std_errors,
        variances,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(s: &str) -> Result<Dataset, IngestError> {
        read_csv(s.as_bytes(), &IngestOptions::default())
    }

    #[test]
    fn seed_layout_gives_per_time_means() {
        let csv = "Cell_ID,Cell_Type,Time_numeric,IRF1,CXCL9\n\
                   c1,T,3,1.0,0\nc2,T,0,2.0,1\nc3,B,3,3.0,2\nc4,B,0,4.0,NA\n";
        let d = read(csv).unwrap();
        assert_eq!(d.time_column, "Time_numeric");
        assert_eq!(d.metadata_columns, vec!["Cell_ID", "Cell_Type"]);
        assert_eq!(d.times, vec![0.0, 3.0]);
        assert_eq!(d.genes, vec!["IRF1", "CXCL9"]);
        assert_eq!(d.n_cells, 4);
        assert_eq!(d.cells_per_time, vec![2, 2]);
        assert_eq!(d.gene_means(0), &[3.0, 2.0]);
        // NA skipped: CXCL9 at t=0 is the mean of the one value present.
        assert_eq!(d.gene_means(1), &[1.0, 1.0]);
        // IRF1 at t=0: values 2 and 4, sd sqrt(2), se 1.
        assert!((d.std_errors[0] - 1.0).abs() < 1e-6);
    }

    #[test]
    fn time_detected_by_values_when_no_name_matches() {
        let csv = "PseudoCellID,kind,hrs,G1\na,x,0,1\nb,x,6,2\nc,y,6,4\n";
        let d = read(csv).unwrap();
        assert_eq!(d.time_column, "hrs");
        assert_eq!(d.gene_means(0), &[1.0, 3.0]);
    }

    #[test]
    fn crlf_bom_and_quotes() {
        let csv = "\u{feff}\"Cell_ID\",Time,\"G,1\"\r\n\"a\",0,1\r\nb,1,\"2\"\r\n";
        let d = read(csv).unwrap();
        assert_eq!(d.genes, vec!["G,1"]);
        assert_eq!(d.times, vec![0.0, 1.0]);
    }

    #[test]
    fn bad_inputs_name_the_place() {
        assert_eq!(read(""), Err(IngestError::Empty));
        assert_eq!(read("Cell_ID,Time,G1\n"), Err(IngestError::HeaderOnly));
        let e = read("Cell_ID,Time,G1\na,0,1\nb,1,x\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 3, column 3 (\"G1\"): value \"x\" is not a number"
        );
        let e = read("Cell_ID,Time,G1\na,0,1\nb,1\n").unwrap_err();
        assert!(
            matches!(
                e,
                IngestError::FieldCount {
                    expected: 3,
                    found: 2,
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.to_string().starts_with("line 3"), "{e}");
        let e = read("Cell_ID,Time,G1\na,0,1\nb,1,inf\n").unwrap_err();
        assert!(matches!(e, IngestError::Infinite { .. }));
        let e = read("Cell_ID,Time,G1\na,0,1\nb,0,2\n").unwrap_err();
        assert!(matches!(e, IngestError::SingleTimePoint { .. }));
        let e = read("Cell_ID,Time,G1,G1\na,0,1,1\nb,1,2,2\n").unwrap_err();
        assert!(matches!(
            e,
            IngestError::DuplicateGene {
                first: 3,
                second: 4,
                ..
            }
        ));
        let e = read("Cell_ID,Time\na,0\nb,1\n").unwrap_err();
        assert_eq!(e, IngestError::NoGenes);
        let e = read("Cell_ID,Time,G1\na,0,1\nb,later,2\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 3, column 2 (\"Time\"): time value \"later\" is not a number"
        );
    }

    #[test]
    fn read_table_accepts_tsv_semicolons_bom_crlf_and_gzip() {
        let comma = "Cell_ID,Time,IRF1,CXCL9\na,0,1,2\nb,3,2,4\n";
        let expected = read_csv(comma.as_bytes(), &IngestOptions::default()).unwrap();
        let tsv = "\u{feff}Cell_ID\tTime\tIRF1\tCXCL9\r\na\t0\t1\t2\r\nb\t3\t2\t4\r\n";
        let semi = "Cell_ID;Time;IRF1;CXCL9\na;0;1;2\nb;3;2;4\n";
        for text in [comma, tsv, semi] {
            let d = read_table(text.as_bytes(), &IngestOptions::default()).unwrap();
            assert_eq!(d, expected, "{text:?}");
        }
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(tsv.as_bytes()).unwrap();
        let bytes = gz.finish().unwrap();
        assert_eq!(
            read_table(&bytes[..], &IngestOptions::default()).unwrap(),
            expected
        );
    }

    #[test]
    fn selects_the_most_variable_genes_and_keeps_named_ones() {
        let text = "Cell,Time,A,B,C,D\nx,0,1,5,0,2\ny,0,2,5,0,2\nz,3,9,5,1,2\nw,3,4,5,3,2\n";
        let d = read_csv(text.as_bytes(), &IngestOptions::default()).unwrap();
        assert_eq!(d.variances[1], 0.0, "B is constant");
        assert!(d.variances[0] > d.variances[2]);
        let s = d.select(Some(1), &["c".into(), "B".into(), "nope".into()]);
        assert_eq!(s.dataset.genes, vec!["A", "C"]);
        assert_eq!(s.constant, vec!["B", "D"]);
        assert_eq!(s.kept_of_interest, vec!["C"]);
        assert_eq!(s.not_variable_enough, 1);
        assert_eq!(s.dataset.gene_means(1), d.gene_means(2));
        let all = d.select(None, &[]);
        assert_eq!(all.dataset.genes, vec!["A", "C"]);
    }

    #[test]
    fn read_table_names_workbooks_instead_of_parsing_them() {
        let xlsx = b"PK\x03\x04\x14\x00\x06\x00[Content_Types].xml";
        let e = read_table(&xlsx[..], &IngestOptions::default()).unwrap_err();
        assert!(matches!(e, IngestError::NotATable { .. }));
        assert!(e.to_string().contains("Save As"), "{e}");
    }
}
