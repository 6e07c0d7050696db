//! A matrix read a window at a time, one cell after another: CSR rows of an `.h5ad`, the
//! columns of a 10x `.h5` (stored by barcode), or the rows of a dense `X`. Each step reads at
//! most [`WINDOW`] values, so memory stays fixed however large the file.

use hdf5_reader::{Dataset, Hdf5File, SliceInfo, SliceInfoElem};

use super::{error, is_integer, read_f64, read_u64};
use crate::error::IngestError;

/// Values read per step.
pub(crate) const WINDOW: u64 = 1 << 20;

/// The storage of a matrix whose rows are cells.
// One per file being read: the size difference costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Cells {
    Sparse {
        data: Dataset,
        indices: Dataset,
        indptr: Vec<u64>,
    },
    Dense {
        x: Dataset,
        cols: u64,
    },
}

/// One cell's non-zero values: (column, value).
pub(crate) type Entries<'a> = &'a mut Vec<(usize, f64)>;

/// Reads cells in order.
pub(crate) struct CellReader {
    file: String,
    cells: Cells,
    rows: u64,
    next: u64,
}

impl CellReader {
    /// A sparse matrix (group with `data`, `indices`, `indptr`) whose `indptr` runs over cells.
    pub fn sparse(file: &str, h5: &Hdf5File, group: &str) -> Result<Self, IngestError> {
        let ds = |n: &str| {
            h5.dataset(&format!("{group}/{n}"))
                .map_err(|e| error(file, e))
        };
        let (data, indices, ptr) = (ds("data")?, ds("indices")?, ds("indptr")?);
        let n = ptr.shape().first().copied().unwrap_or(0);
        let indptr = read_u64(file, &ptr, 0, n)?;
        let nnz = data.shape().first().copied().unwrap_or(0);
        let ok = indptr.windows(2).all(|w| w[0] <= w[1])
            && indptr.last().copied().unwrap_or(0) <= nnz
            && indices.shape().first().copied().unwrap_or(0) == nnz;
        if !ok || indptr.is_empty() {
            return Err(IngestError::File {
                file: file.into(),
                message: format!(
                    "{group}: the sparse matrix's indptr, indices and data do not agree (a damaged or truncated file?)"
                ),
            });
        }
        Ok(CellReader {
            file: file.into(),
            rows: indptr.len() as u64 - 1,
            cells: Cells::Sparse {
                data,
                indices,
                indptr,
            },
            next: 0,
        })
    }

    /// A dense 2-D dataset, cells × genes.
    pub fn dense(file: &str, x: Dataset) -> Result<Self, IngestError> {
        let [rows, cols] = x.shape()[..] else {
            return Err(IngestError::File {
                file: file.into(),
                message: format!("{} is not a 2-D matrix (shape {:?})", x.name(), x.shape()),
            });
        };
        Ok(CellReader {
            file: file.into(),
            rows,
            cells: Cells::Dense { x, cols },
            next: 0,
        })
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The share of cells read so far.
    pub fn fraction(&self) -> f64 {
        self.next as f64 / self.rows.max(1) as f64
    }

    /// Whether the stored values are whole numbers: integer-typed, or (for float storage) every
    /// value of the first window.
    pub fn looks_like_counts(&self) -> Result<bool, IngestError> {
        let ds = match &self.cells {
            Cells::Sparse { data, .. } => data,
            Cells::Dense { x, .. } => x,
        };
        if is_integer(ds) {
            return Ok(true);
        }
        let first = match &self.cells {
            Cells::Sparse { data, .. } => {
                let n = data.shape().first().copied().unwrap_or(0).min(WINDOW);
                read_f64(&self.file, data, 0, n)?
            }
            Cells::Dense { .. } => {
                let mut values = Vec::new();
                let mut probe = CellReader {
                    file: self.file.clone(),
                    cells: match &self.cells {
                        Cells::Dense { x, cols } => Cells::Dense {
                            x: x.clone(),
                            cols: *cols,
                        },
                        Cells::Sparse { .. } => unreachable!("matched above"),
                    },
                    rows: self.rows.min(64),
                    next: 0,
                };
                probe.step(&mut |_, e| {
                    values.extend(e.iter().map(|(_, v)| *v));
                    Ok(())
                })?;
                values
            }
        };
        Ok(first.iter().all(|&v| v >= 0.0 && v.fract() == 0.0))
    }

    /// Reads the next window of cells and hands each to `f` (its row and non-zero values).
    /// Returns whether cells remain.
    pub fn step(
        &mut self,
        f: &mut dyn FnMut(u64, Entries) -> Result<(), IngestError>,
    ) -> Result<bool, IngestError> {
        if self.next >= self.rows {
            return Ok(false);
        }
        let mut entries = Vec::new();
        match &self.cells {
            Cells::Sparse {
                data,
                indices,
                indptr,
            } => {
                let first = self.next as usize;
                let start = indptr[first];
                // As many whole cells as fit in the window (at least one).
                let mut last = first + 1;
                while (last as u64) < self.rows && indptr[last + 1] - start <= WINDOW {
                    last += 1;
                }
                let end = indptr[last];
                let values = read_f64(&self.file, data, start, end)?;
                let cols = read_u64(&self.file, indices, start, end)?;
                for row in first..last {
                    entries.clear();
                    let (a, b) = (
                        (indptr[row] - start) as usize,
                        (indptr[row + 1] - start) as usize,
                    );
                    entries.extend(
                        cols[a..b]
                            .iter()
                            .zip(&values[a..b])
                            .map(|(&c, &v)| (c as usize, v)),
                    );
                    f(row as u64, &mut entries)?;
                }
                self.next = last as u64;
            }
            Cells::Dense { x, cols } => {
                let n = (WINDOW / (*cols).max(1)).max(1).min(self.rows - self.next);
                let sel = SliceInfo {
                    selections: vec![
                        SliceInfoElem::Slice {
                            start: self.next,
                            end: self.next + n,
                            step: 1,
                        },
                        SliceInfoElem::Slice {
                            start: 0,
                            end: *cols,
                            step: 1,
                        },
                    ],
                };
                let values = dense_f64(&self.file, x, &sel)?;
                for (i, row) in values.chunks(*cols as usize).enumerate() {
                    entries.clear();
                    entries.extend(
                        row.iter()
                            .enumerate()
                            .filter(|(_, &v)| v != 0.0)
                            .map(|(c, &v)| (c, v)),
                    );
                    f(self.next + i as u64, &mut entries)?;
                }
                self.next += n;
            }
        }
        Ok(self.next < self.rows)
    }
}

/// A 2-D selection of a numeric dataset as f64, row-major.
fn dense_f64(file: &str, x: &Dataset, sel: &SliceInfo) -> Result<Vec<f64>, IngestError> {
    macro_rules! go {
        ($t:ty) => {
            x.read_slice::<$t>(sel)
                .map(|a| {
                    a.into_raw_vec_and_offset()
                        .0
                        .into_iter()
                        .map(|v| v as f64)
                        .collect()
                })
                .map_err(|e| error(file, e))
        };
    }
    match x.dtype() {
        hdf5_reader::Datatype::FloatingPoint { size: 4, .. } => go!(f32),
        hdf5_reader::Datatype::FloatingPoint { size: 8, .. } => go!(f64),
        hdf5_reader::Datatype::FixedPoint {
            size: 4,
            signed: true,
            ..
        } => go!(i32),
        hdf5_reader::Datatype::FixedPoint {
            size: 8,
            signed: true,
            ..
        } => go!(i64),
        hdf5_reader::Datatype::FixedPoint {
            size: 4,
            signed: false,
            ..
        } => go!(u32),
        hdf5_reader::Datatype::FixedPoint {
            size: 2,
            signed: false,
            ..
        } => go!(u16),
        hdf5_reader::Datatype::FixedPoint {
            size: 2,
            signed: true,
            ..
        } => go!(i16),
        hdf5_reader::Datatype::FixedPoint {
            size: 1,
            signed: false,
            ..
        } => go!(u8),
        t => Err(IngestError::File {
            file: file.into(),
            message: format!("{}: a matrix of type {t:?} is not supported", x.name()),
        }),
    }
}
