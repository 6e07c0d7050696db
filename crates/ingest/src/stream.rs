//! The push-based reader: bytes in, one chunk at a time, whatever the chunk boundaries (inside a
//! quoted field, a multi-byte character or a gzip block), and per-time sums out.
//!
//! Stages, each decided from the first bytes that reach it: gzip or not (magic bytes), then
//! text or not and which delimiter (the first [`PEEK`] bytes of text), then the header, then a
//! look-ahead of rows that decides the columns' roles, then every later row is folded into its
//! sums and forgotten.

use std::collections::HashMap;
use std::io::Write;

use csv_core::{ReadRecordResult, Reader, ReaderBuilder};
use flate2::write::MultiGzDecoder;

use crate::bulk::{self, Bulk, BulkLayout};
use crate::counts::{self, CELL_SCALE};
use crate::error::{shown, IngestError, Location};
use crate::layout::{self, field, Layout, Row};
use crate::limits::{MAX_CELL_TYPES, MAX_ROW_BYTES};
use crate::sniff::{detect_delimiter, is_gzip, not_a_table, PEEK};
use crate::tally::{Group, Tally};
use crate::times::TimeMap;
use crate::value::{finite, is_missing, parse_number, text};
use crate::IngestOptions;
use vrnn_types::{InputFormat, Normalization};

/// How many data rows are buffered before the columns' roles are decided...
const LOOKAHEAD_ROWS: usize = 2000;
/// ...and at most this many bytes of them, so that a wide file's look-ahead stays small.
const LOOKAHEAD_BYTES: usize = 8 << 20;
/// Compressed bytes handed to the gzip decoder at once, which bounds what one step inflates.
const GZIP_STEP: usize = 16 << 10;

enum Input {
    /// Fewer than two bytes seen: gzip or not is not known yet.
    Undecided(Vec<u8>),
    Plain,
    Gzip(Box<MultiGzDecoder<Vec<u8>>>),
}

/// The sums of the cells seen so far, per cell type.
struct Cells {
    n_genes: usize,
    groups: Vec<Group>,
    group_of: HashMap<Vec<u8>, usize>,
    /// The type column held too many values: everything is in `groups[0]`.
    pooled: bool,
    times: TimeMap,
    /// Where the first time label without a time was.
    first_unmapped: Option<Location>,
    normalization: Normalization,
    /// Each gene's value in the row being folded, when counts are normalised by the row's total.
    row: Vec<f64>,
}

/// A streaming reader of one file. Push its bytes in order, then call [`Ingest::finish`].
/// After an error the reader must be dropped.
pub struct Ingest {
    opts: IngestOptions,
    input: Input,
    /// Text before it was sniffed (binary? delimiter?); `None` once parsing started.
    text_head: Option<Vec<u8>>,
    parser: Reader,
    out: Vec<u8>,
    out_len: usize,
    ends: Vec<usize>,
    ends_len: usize,
    /// The line the record just completed starts on, and the line the one before it ended on.
    record_line: u64,
    last_end_line: u64,
    headers: Option<Vec<String>>,
    lookahead: Vec<Row>,
    lookahead_bytes: usize,
    layout: Option<Layout>,
    cells: Option<Cells>,
    /// Set instead of `layout` and `cells` when the table is genes × samples.
    bulk: Option<(BulkLayout, Bulk)>,
    rows: u64,
    bytes: u64,
}

impl Ingest {
    pub fn new(opts: IngestOptions) -> Self {
        Ingest {
            opts,
            input: Input::Undecided(Vec::new()),
            text_head: Some(Vec::new()),
            parser: Reader::new(),
            out: vec![0; 64 << 10],
            out_len: 0,
            ends: vec![0; 1024],
            ends_len: 0,
            record_line: 1,
            last_end_line: 0,
            headers: None,
            lookahead: Vec::new(),
            lookahead_bytes: 0,
            layout: None,
            cells: None,
            bulk: None,
            rows: 0,
            bytes: 0,
        }
    }

    /// Data rows (cells) read so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Bytes pushed so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The line being read, for messages about read errors.
    pub fn line(&self) -> u64 {
        self.parser.line()
    }

    /// Feeds the next bytes of the file.
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), IngestError> {
        self.bytes += chunk.len() as u64;
        if let Input::Undecided(head) = &mut self.input {
            head.extend_from_slice(chunk);
            if head.len() < 2 {
                return Ok(());
            }
            let head = std::mem::take(head);
            return self.start(&head);
        }
        self.raw(chunk)
    }

    /// Ends the file: flushes what is buffered and returns the sums of every cell.
    pub fn finish(mut self) -> Result<Tally, IngestError> {
        if let Input::Undecided(head) = &mut self.input {
            let head = std::mem::take(head);
            self.start(&head)?;
        }
        if let Input::Gzip(d) = &mut self.input {
            let flushed = d.try_finish();
            let text = std::mem::take(d.get_mut());
            self.text(&text)?;
            flushed.map_err(|e| gzip_error(self.parser.line(), e))?;
        }
        if self.text_head.is_some() {
            self.sniff()?;
        }
        self.parse(&[])?;
        if self.headers.is_none() {
            return Err(IngestError::Empty);
        }
        if self.layout.is_none() && self.bulk.is_none() {
            if self.lookahead.is_empty() {
                return Err(IngestError::HeaderOnly);
            }
            self.decide()?;
        }
        if let Some((layout, bulk)) = self.bulk {
            return bulk.finish(&layout, &self.opts, self.rows, self.bytes);
        }
        let (Some(layout), Some(cells)) = (self.layout, self.cells) else {
            return Err(IngestError::HeaderOnly);
        };
        let name = |c: &usize| layout.headers[*c].clone();
        if let Some(at) = cells.first_unmapped {
            return Err(IngestError::UnmappedTimes {
                at,
                labels: cells.times.unmapped(),
            });
        }
        Ok(Tally {
            time_values: cells.times.values(),
            time_column: layout.headers[layout.time].clone(),
            metadata_columns: layout.metadata.iter().map(name).collect(),
            genes: layout.genes.iter().map(name).collect(),
            cell_type_column: layout
                .cell_type
                .filter(|_| !cells.pooled)
                .as_ref()
                .map(name),
            groups: cells.groups,
            rows: self.rows,
            bytes: self.bytes,
            format: InputFormat::CellsTable,
            normalization: cells.normalization,
            notices: Vec::new(),
        })
    }

    fn start(&mut self, head: &[u8]) -> Result<(), IngestError> {
        self.input = if is_gzip(head) {
            Input::Gzip(Box::new(MultiGzDecoder::new(Vec::new())))
        } else {
            Input::Plain
        };
        self.raw(head)
    }

    fn raw(&mut self, bytes: &[u8]) -> Result<(), IngestError> {
        if !matches!(self.input, Input::Gzip(_)) {
            return self.text(bytes);
        }
        for piece in bytes.chunks(GZIP_STEP) {
            let (text, written) = match &mut self.input {
                Input::Gzip(d) => {
                    let written = d.write_all(piece);
                    (std::mem::take(d.get_mut()), written)
                }
                _ => unreachable!("checked above"),
            };
            // What inflated before any damage is read first: a problem in that text is the
            // first problem of the file.
            self.text(&text)?;
            written.map_err(|e| gzip_error(self.parser.line(), e))?;
        }
        Ok(())
    }

    fn text(&mut self, bytes: &[u8]) -> Result<(), IngestError> {
        if let Some(head) = &mut self.text_head {
            head.extend_from_slice(bytes);
            if head.len() < PEEK {
                return Ok(());
            }
            return self.sniff();
        }
        self.parse(bytes)
    }

    /// Decides from the first text whether this is a table at all, and its delimiter.
    fn sniff(&mut self) -> Result<(), IngestError> {
        let head = self.text_head.take().unwrap_or_default();
        if let Some(e) = not_a_table(&head[..head.len().min(PEEK)]) {
            return Err(e);
        }
        self.parser = ReaderBuilder::new()
            .delimiter(detect_delimiter(&head))
            .build();
        self.parse(&head)
    }

    fn parse(&mut self, mut input: &[u8]) -> Result<(), IngestError> {
        loop {
            let (res, nin, nout, nend) = self.parser.read_record(
                input,
                &mut self.out[self.out_len..],
                &mut self.ends[self.ends_len..],
            );
            let ended_by_newline = nin > 0 && input[nin - 1] == b'\n';
            input = &input[nin..];
            self.out_len += nout;
            self.ends_len += nend;
            match res {
                ReadRecordResult::InputEmpty | ReadRecordResult::End => return Ok(()),
                ReadRecordResult::OutputFull => {
                    if self.out.len() >= MAX_ROW_BYTES {
                        return Err(IngestError::RowTooLong {
                            line: self.parser.line(),
                            limit_mb: MAX_ROW_BYTES >> 20,
                        });
                    }
                    let n = self.out.len() * 2;
                    self.out.resize(n, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    let n = self.ends.len() * 2;
                    self.ends.resize(n, 0);
                }
                ReadRecordResult::Record => {
                    // csv-core counts lines but not where a record starts: work back from
                    // where it ended (a CRLF record ends before its \n is consumed), past any
                    // line breaks inside quoted fields, which only a record spanning several
                    // lines (or following blank lines) needs counting.
                    let end_line = self.parser.line() - u64::from(ended_by_newline);
                    let inner = if end_line > self.last_end_line + 1 {
                        self.out[..self.out_len]
                            .iter()
                            .filter(|&&b| b == b'\n')
                            .count() as u64
                    } else {
                        0
                    };
                    self.record_line = end_line.saturating_sub(inner).max(1);
                    self.last_end_line = end_line;
                    let result = self.record();
                    self.out_len = 0;
                    self.ends_len = 0;
                    result?;
                }
            }
        }
    }

    /// One complete record: the header, a look-ahead row, or a row to fold.
    fn record(&mut self) -> Result<(), IngestError> {
        let line = self.record_line;
        let bytes = &self.out[..self.out_len];
        let ends = &self.ends[..self.ends_len];
        let Some(headers) = &self.headers else {
            let names: Vec<String> = (0..ends.len())
                .map(|c| text(field(bytes, ends, c)))
                .collect();
            if names.iter().all(String::is_empty) {
                return Err(IngestError::Empty);
            }
            self.headers = Some(names);
            return Ok(());
        };
        if ends.len() != headers.len() {
            return Err(IngestError::FieldCount {
                at: Location {
                    line,
                    column: None,
                    header: None,
                },
                expected: headers.len(),
                found: ends.len(),
            });
        }
        self.rows += 1;
        if let (Some(layout), Some(cells)) = (&self.layout, &mut self.cells) {
            return cells.fold(layout, line, bytes, ends);
        }
        if let Some((layout, bulk)) = &mut self.bulk {
            return bulk.fold(layout, line, bytes, ends);
        }
        self.lookahead_bytes += bytes.len();
        self.lookahead.push(Row {
            line,
            bytes: bytes.to_vec(),
            ends: ends.to_vec(),
        });
        if self.lookahead.len() >= LOOKAHEAD_ROWS || self.lookahead_bytes >= LOOKAHEAD_BYTES {
            self.decide()?;
        }
        Ok(())
    }

    /// Decides the columns' roles from the look-ahead, then folds and frees it.
    fn decide(&mut self) -> Result<(), IngestError> {
        let headers = self.headers.as_deref().unwrap_or_default();
        if let Some(layout) = bulk::recognise(headers, &self.lookahead, &self.opts) {
            let mut bulk = Bulk::new();
            for row in std::mem::take(&mut self.lookahead) {
                bulk.fold(&layout, row.line, &row.bytes, &row.ends)?;
            }
            self.lookahead_bytes = 0;
            self.bulk = Some((layout, bulk));
            return Ok(());
        }
        let layout = layout::decide(headers, &self.lookahead, &self.opts)?;
        let labels: Vec<&[u8]> = self
            .lookahead
            .iter()
            .map(|r| r.field(layout.time))
            .collect();
        let times = TimeMap::new(&self.opts.time_values, &labels);
        let all_counts = self.lookahead.iter().all(|r| {
            layout.genes.iter().all(|&c| {
                let v = r.field(c);
                is_missing(v) || parse_number(v).is_some_and(counts::is_count)
            })
        });
        let normalization =
            counts::decide(self.opts.normalize, all_counts, layout.genes.len(), false);
        let mut cells = Cells::new(&layout, times, normalization);
        for row in std::mem::take(&mut self.lookahead) {
            cells.fold(&layout, row.line, &row.bytes, &row.ends)?;
        }
        self.lookahead_bytes = 0;
        self.layout = Some(layout);
        self.cells = Some(cells);
        Ok(())
    }
}

fn gzip_error(line: u64, e: std::io::Error) -> IngestError {
    IngestError::Unreadable {
        line,
        message: format!("the gzip data is damaged ({e})"),
    }
}

impl Cells {
    fn new(layout: &Layout, times: TimeMap, normalization: Normalization) -> Self {
        Cells {
            times,
            first_unmapped: None,
            normalization,
            row: Vec::new(),
            n_genes: layout.genes.len(),
            groups: if layout.cell_type.is_some() {
                Vec::new()
            } else {
                vec![Group::new(String::new())]
            },
            group_of: HashMap::new(),
            pooled: false,
        }
    }

    /// The group of a cell type, created on first sight.
    fn group(&mut self, key: &[u8]) -> usize {
        if self.pooled {
            return 0;
        }
        if let Some(&g) = self.group_of.get(key) {
            return g;
        }
        if self.groups.len() >= MAX_CELL_TYPES {
            let mut all = Group::new(String::new());
            for g in std::mem::take(&mut self.groups) {
                all.absorb(g, self.n_genes);
            }
            self.groups = vec![all];
            self.group_of.clear();
            self.pooled = true;
            return 0;
        }
        let name = if is_missing(key) {
            "(no cell type)".to_string()
        } else {
            text(key)
        };
        self.groups.push(Group::new(name));
        self.group_of.insert(key.to_vec(), self.groups.len() - 1);
        self.groups.len() - 1
    }

    /// Adds one cell's values to the sums of its type and time.
    fn fold(
        &mut self,
        layout: &Layout,
        line: u64,
        bytes: &[u8],
        ends: &[usize],
    ) -> Result<(), IngestError> {
        let at = |c: usize| Location::field(line, c, &layout.headers);
        let tv = field(bytes, ends, layout.time);
        let t = match self.times.time(tv) {
            Some(t) => t,
            None if is_missing(tv) => {
                return Err(IngestError::BadTime {
                    at: at(layout.time),
                    value: shown(tv),
                })
            }
            None => {
                // Read on, so that one message can name every label without a time.
                self.first_unmapped.get_or_insert_with(|| at(layout.time));
                return Ok(());
            }
        };
        let g = match layout.cell_type {
            Some(c) => self.group(field(bytes, ends, c)),
            None => 0,
        };
        if self.normalization.applied {
            return self.fold_counts(layout, g, t, bytes, ends, at);
        }
        let n_genes = self.n_genes;
        let group = &mut self.groups[g];
        let slot = group.slot(t, n_genes);
        group.cells[slot] += 1;
        for (m, &c) in group.moments[slot].iter_mut().zip(&layout.genes) {
            let v = field(bytes, ends, c);
            // Most of a single-cell matrix is zeros, which only count.
            if v == b"0" {
                m.n += 1;
                continue;
            }
            // Numbers first: nearly every field is one, so the missing-value check is rare.
            let Some(x) = parse_number(v) else {
                if is_missing(v) {
                    continue;
                }
                return Err(IngestError::NotANumber {
                    at: at(c),
                    value: shown(v),
                });
            };
            if x.is_infinite() {
                return Err(IngestError::Infinite {
                    at: at(c),
                    value: shown(v),
                });
            }
            if !x.is_nan() {
                m.add(x);
            }
        }
        Ok(())
    }

    /// Adds one cell's counts, normalised by the cell's total: a first pass over the row for
    /// the total, then the values.
    fn fold_counts(
        &mut self,
        layout: &Layout,
        g: usize,
        t: f64,
        bytes: &[u8],
        ends: &[usize],
        at: impl Fn(usize) -> Location,
    ) -> Result<(), IngestError> {
        self.row.clear();
        let mut total = 0.0;
        for &c in &layout.genes {
            let v = field(bytes, ends, c);
            let x = finite(v, || at(c))?.unwrap_or(f64::NAN);
            if x < 0.0 {
                return Err(IngestError::NegativeCount {
                    at: at(c),
                    value: shown(v),
                });
            }
            if !x.is_nan() {
                total += x;
            }
            self.row.push(x);
        }
        let n_genes = self.n_genes;
        let group = &mut self.groups[g];
        let slot = group.slot(t, n_genes);
        group.cells[slot] += 1;
        for (m, &x) in group.moments[slot].iter_mut().zip(&self.row) {
            if x == 0.0 {
                m.n += 1;
            } else if !x.is_nan() {
                m.add(counts::normalise(x, total, CELL_SCALE));
            }
        }
        Ok(())
    }
}
