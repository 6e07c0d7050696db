//! The matrices, pushed through in chunks: each cell is folded once its entries are in.

use vrnn_types::{InputFormat, Normalize};

use super::plan::{plan, Plan, Sample};
use crate::counts;
use crate::error::IngestError;
use crate::inflate::Inflate;
use crate::sparse::{Read, SparseTally};
use crate::tally::Tally;
use crate::IngestOptions;

/// Where the reading of a matrix is.
enum Stage {
    Banner,
    Size,
    Entries,
}

/// Reads the samples' matrices, one after another, into one tally.
pub struct MexReader {
    plan: Plan,
    tally: Option<SparseTally>,
    choice: Normalize,
    sample: usize,
    file: String,
    inflate: Inflate,
    partial: Vec<u8>,
    line: u64,
    stage: Stage,
    size: (usize, usize, u64),
    entries: u64,
    /// The barcode whose entries are being gathered, and the barcodes already folded.
    column: Option<usize>,
    done: Vec<bool>,
    /// The gathered entries belong to a barcode already folded (entries not grouped).
    repeat: bool,
    cell: Vec<(usize, f64)>,
    total: f64,
    bytes: u64,
}

impl MexReader {
    pub fn new(plan: Plan, opts: &IngestOptions) -> Self {
        MexReader {
            plan,
            tally: None,
            choice: opts.normalize,
            sample: 0,
            file: String::new(),
            inflate: Inflate::new(),
            partial: Vec::new(),
            line: 0,
            stage: Stage::Banner,
            size: (0, 0, 0),
            entries: 0,
            column: None,
            done: Vec::new(),
            repeat: false,
            cell: Vec::new(),
            total: 0.0,
            bytes: 0,
        }
    }

    /// Starts the matrix of sample `i` (in the order given to [`plan`]).
    pub fn start(&mut self, i: usize, file: &str) {
        self.sample = i;
        self.file = file.to_string();
        self.inflate = Inflate::new();
        self.partial.clear();
        self.line = 0;
        self.stage = Stage::Banner;
        self.entries = 0;
        self.column = None;
        self.done.clear();
    }

    /// The next bytes of the current matrix.
    pub fn push(&mut self, chunk: &[u8], samples: &[Sample]) -> Result<(), IngestError> {
        self.bytes += chunk.len() as u64;
        let mut inflate = std::mem::replace(&mut self.inflate, Inflate::new());
        let r = inflate.push(chunk, &mut |text| self.text(text, samples));
        self.inflate = inflate;
        r.map_err(|e| self.located(e))
    }

    /// Ends the current matrix: checks it held every entry it announced.
    pub fn end(&mut self, samples: &[Sample]) -> Result<(), IngestError> {
        let mut inflate = std::mem::replace(&mut self.inflate, Inflate::new());
        let r = inflate.finish(&mut |text| self.text(text, samples));
        r.map_err(|e| self.located(e))?;
        if !self.partial.is_empty() {
            let rest = std::mem::take(&mut self.partial);
            self.line(&rest, samples)?;
        }
        if !matches!(self.stage, Stage::Entries) {
            return Err(self.bad("the matrix ends before its size line"));
        }
        if self.entries != self.size.2 {
            return Err(self.bad(&format!(
                "the matrix announces {} entries but holds {}: the file is truncated",
                self.size.2, self.entries
            )));
        }
        self.flush_cell();
        // Barcodes without a single entry are cells of zeros.
        let empty = self.done.iter().filter(|&&d| !d).count();
        let (time, group) = (self.plan.times[self.sample], &self.plan.groups[self.sample]);
        if let Some(t) = &mut self.tally {
            for _ in 0..empty {
                t.add_cell(group, time, 0.0, &[]);
            }
        }
        Ok(())
    }

    /// The tally of every sample read.
    pub fn finish(self) -> Result<Tally, IngestError> {
        let Some(tally) = self.tally else {
            return Err(IngestError::Empty);
        };
        if tally.cells == 0 {
            return Err(IngestError::HeaderOnly);
        }
        Ok(tally.finish(Read {
            format: InputFormat::TenxMex,
            time_source: self.plan.sources.0,
            group_source: self.plan.sources.1,
            time_values: self.plan.time_values,
            notices: self.plan.notices,
            bytes: self.bytes,
        }))
    }

    fn located(&self, e: IngestError) -> IngestError {
        match e {
            IngestError::File { .. } => e,
            other => IngestError::File {
                file: self.file.clone(),
                message: other.to_string(),
            },
        }
    }

    fn bad(&self, message: &str) -> IngestError {
        IngestError::File {
            file: self.file.clone(),
            message: if self.line > 0 {
                format!("line {}: {message}", self.line)
            } else {
                message.to_string()
            },
        }
    }

    fn text(&mut self, mut text: &[u8], samples: &[Sample]) -> Result<(), IngestError> {
        while let Some(nl) = text.iter().position(|&b| b == b'\n') {
            if self.partial.is_empty() {
                self.line(&text[..nl], samples)?;
            } else {
                self.partial.extend_from_slice(&text[..nl]);
                let l = std::mem::take(&mut self.partial);
                self.line(&l, samples)?;
            }
            text = &text[nl + 1..];
        }
        if self.partial.len() + text.len() > 1 << 20 {
            return Err(self.bad("a line longer than 1 MB: this is not a MatrixMarket matrix"));
        }
        self.partial.extend_from_slice(text);
        Ok(())
    }

    fn line(&mut self, l: &[u8], samples: &[Sample]) -> Result<(), IngestError> {
        self.line += 1;
        let l = l.trim_ascii();
        match self.stage {
            Stage::Banner => {
                let banner = String::from_utf8_lossy(l).to_ascii_lowercase();
                let words: Vec<&str> = banner.split_whitespace().collect();
                if words.first() != Some(&"%%matrixmarket") || words.get(2) != Some(&"coordinate") {
                    return Err(self.bad(
                        "not a MatrixMarket coordinate matrix (the first line must start with %%MatrixMarket matrix coordinate)",
                    ));
                }
                let integer = matches!(words.get(3), Some(&"integer") | Some(&"pattern"));
                if self.tally.is_none() {
                    let n = counts::decide(self.choice, integer, self.plan.genes.len(), false);
                    self.tally = Some(SparseTally::new(self.plan.genes.clone(), n));
                }
                self.stage = Stage::Size;
            }
            Stage::Size => {
                if l.is_empty() || l[0] == b'%' {
                    return Ok(());
                }
                let nums: Vec<u64> = String::from_utf8_lossy(l)
                    .split_whitespace()
                    .map(|w| w.parse().unwrap_or(u64::MAX))
                    .collect();
                let [rows, cols, nnz] = nums[..] else {
                    return Err(self.bad("the size line must be: rows columns entries"));
                };
                let s = &samples[self.sample];
                if rows != s.features.ids.len() as u64 {
                    return Err(self.bad(&format!(
                        "the matrix has {rows} rows but the feature list of sample \"{}\" has {} features",
                        s.name,
                        s.features.ids.len()
                    )));
                }
                if cols != s.barcodes as u64 {
                    return Err(self.bad(&format!(
                        "the matrix has {cols} columns but the barcode list of sample \"{}\" has {} barcodes",
                        s.name, s.barcodes
                    )));
                }
                self.size = (rows as usize, cols as usize, nnz);
                self.done = vec![false; cols as usize];
                self.stage = Stage::Entries;
            }
            Stage::Entries => {
                if l.is_empty() || l[0] == b'%' {
                    return Ok(());
                }
                let mut w = l
                    .split(|b| b.is_ascii_whitespace())
                    .filter(|w| !w.is_empty());
                let (Some(i), Some(j)) = (w.next().and_then(int), w.next().and_then(int)) else {
                    return Err(self.bad("an entry must be: row column value"));
                };
                let v = match w.next() {
                    None => 1.0,
                    Some(v) => crate::value::parse_number(v)
                        .filter(|x| x.is_finite())
                        .ok_or_else(|| {
                            self.bad(&format!(
                                "value \"{}\" is not a number",
                                String::from_utf8_lossy(v)
                            ))
                        })?,
                };
                if i == 0 || j == 0 || i > self.size.0 || j > self.size.1 {
                    return Err(self.bad(&format!(
                        "entry ({i}, {j}) is outside the {} x {} matrix",
                        self.size.0, self.size.1
                    )));
                }
                self.entries += 1;
                let (row, col) = (i - 1, j - 1);
                if self.column != Some(col) {
                    self.flush_cell();
                    self.repeat = self.done[col];
                    if self.done[col]
                        && self.tally.as_ref().is_some_and(|t| t.normalization.applied)
                    {
                        return Err(self.bad(&format!(
                            "the entries are not grouped by barcode (barcode {j} comes back after others); normalising counts needs each cell's total, so re-save the matrix sorted by column, or choose \"Normalise counts: No\" on the page or --normalize no"
                        )));
                    }
                    self.done[col] = true;
                    self.column = Some(col);
                }
                if v < 0.0 && self.tally.as_ref().is_some_and(|t| t.normalization.applied) {
                    return Err(self.bad(&format!("value {v} is negative, so the matrix is not counts; choose \"Normalise counts: No\" on the page or --normalize no")));
                }
                if self.plan.counted[self.sample][row] {
                    self.total += v;
                }
                if let Some(g) = self.plan.rows[self.sample][row] {
                    self.cell.push((g, v));
                }
            }
        }
        Ok(())
    }

    /// Folds the gathered cell. A barcode without entries is a cell of zeros, counted too.
    fn flush_cell(&mut self) {
        let Some(_col) = self.column.take() else {
            return;
        };
        let (time, group) = (self.plan.times[self.sample], &self.plan.groups[self.sample]);
        if let Some(t) = &mut self.tally {
            if self.repeat {
                t.add_values(group, time, &self.cell);
            } else {
                t.add_cell(group, time, self.total, &self.cell);
            }
        }
        self.cell.clear();
        self.total = 0.0;
    }
}

fn int(w: &[u8]) -> Option<usize> {
    if w.is_empty() || w.len() > 12 {
        return None;
    }
    w.iter().try_fold(0usize, |n, &b| {
        b.is_ascii_digit().then(|| n * 10 + usize::from(b - b'0'))
    })
}

/// Reads whole 10x samples (the command line's path): features, barcodes, then each matrix.
pub fn read_mex<R: std::io::Read>(
    inputs: Vec<(Sample, String, R)>,
    opts: &IngestOptions,
) -> Result<Tally, IngestError> {
    let samples: Vec<Sample> = inputs.iter().map(|(s, _, _)| s.clone()).collect();
    let mut reader = MexReader::new(plan(&samples, opts)?, opts);
    let mut buf = vec![0u8; 1 << 20];
    for (i, (_, file, mut input)) in inputs.into_iter().enumerate() {
        reader.start(i, &file);
        loop {
            let n = input.read(&mut buf).map_err(|e| IngestError::File {
                file: file.clone(),
                message: e.to_string(),
            })?;
            if n == 0 {
                break;
            }
            reader.push(&buf[..n], &samples)?;
        }
        reader.end(&samples)?;
    }
    reader.finish()
}
