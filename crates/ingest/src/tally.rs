//! Per (cell type, time, gene) sums: all that is kept of the cells. A [`Tally`] turns into the
//! [`Dataset`] of all cells or of one cell type at once, without reading the file again.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::dataset::Dataset;
use crate::error::IngestError;
use crate::times::TimeValue;
use vrnn_types::{InputFormat, Normalization};

/// Largest value read as log1p of a normalised count: e^30 is 10^13, beyond any count.
const LOG_SCALE_MAX: f64 = 30.0;

/// Count, sum and sum of squares of one gene's values at one time, and the sums of e^x − 1
/// and 1 − e^−x. The last two let the engine undo a compositional shift, which acts on the
/// counts, not on their logarithms (`vrnn_engine::composition`); both are 0 for a zero, so the
/// reader's shortcut for zeros (only counting them) stays right. They become NaN once a value
/// is not on a log1p scale (negative or huge), and the data set then carries none.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Moments {
    pub n: u64,
    pub sum: f64,
    pub sumsq: f64,
    pub sum_expm1: f64,
    pub sum_saturation: f64,
}

impl Moments {
    #[inline]
    pub fn add(&mut self, x: f64) {
        self.n += 1;
        self.sum += x;
        self.sumsq += x * x;
        if (0.0..=LOG_SCALE_MAX).contains(&x) {
            // Single-precision e^x is ample for a mean kept as f32 (its cancellation near 0
            // costs nothing that matters in a mean of counts), and much faster than expm1:
            // expm1f alone took 37 % of reading time, below the 200 MB/s goal.
            let a = f64::from((x as f32).exp()) - 1.0;
            self.sum_expm1 += a;
            self.sum_saturation += a / (1.0 + a);
        } else {
            self.sum_expm1 = f64::NAN;
        }
    }
    fn merge(&mut self, o: &Moments) {
        self.n += o.n;
        self.sum += o.sum;
        self.sumsq += o.sumsq;
        self.sum_expm1 += o.sum_expm1;
        self.sum_saturation += o.sum_saturation;
    }
}

/// A time value as a map key (times are finite, so total order is the numeric order).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Time(pub f64);
impl Eq for Time {}
impl PartialOrd for Time {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Time {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// The sums of one group of cells (one cell type, or all cells when there is no type column).
#[derive(Debug, Clone, Default)]
pub(crate) struct Group {
    pub name: String,
    /// time -> index into `moments` and `cells`, in order of first appearance.
    slots: BTreeMap<Time, usize>,
    /// Per slot, one entry per gene.
    pub moments: Vec<Vec<Moments>>,
    pub cells: Vec<u64>,
}

impl Group {
    pub fn new(name: String) -> Self {
        Group {
            name,
            ..Group::default()
        }
    }

    /// The slot of time `t`, created on first sight.
    pub fn slot(&mut self, t: f64, n_genes: usize) -> usize {
        let next = self.moments.len();
        let idx = *self.slots.entry(Time(t)).or_insert(next);
        if idx == next {
            self.moments.push(vec![Moments::default(); n_genes]);
            self.cells.push(0);
        }
        idx
    }

    /// Adds another group's sums into this one (used when a "type" column turns out to hold
    /// too many distinct values to be a cell type).
    pub fn absorb(&mut self, other: Group, n_genes: usize) {
        for (t, s) in other.slots {
            let mine = self.slot(t.0, n_genes);
            self.cells[mine] += other.cells[s];
            for (m, o) in self.moments[mine].iter_mut().zip(&other.moments[s]) {
                m.merge(o);
            }
        }
    }

    fn n_cells(&self) -> u64 {
        self.cells.iter().sum()
    }
}

/// One cell type and how many cells it has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellType {
    pub name: String,
    pub cells: u64,
}

/// Everything a file's single pass kept: per (cell type, time, gene) sums, the columns' roles,
/// and how much was read.
#[derive(Debug, Clone)]
pub struct Tally {
    pub time_column: String,
    pub metadata_columns: Vec<String>,
    pub genes: Vec<String>,
    /// The column the cell types come from, when one was recognised.
    pub cell_type_column: Option<String>,
    pub(crate) groups: Vec<Group>,
    /// The time column's labels and the times they were read as (empty when every time is a
    /// number).
    pub time_values: Vec<TimeValue>,
    /// Data rows (cells) read.
    pub rows: u64,
    /// Bytes read from the file (compressed bytes for a .gz).
    pub bytes: u64,
    /// The layout that was recognised.
    pub format: InputFormat,
    /// Whether the values were normalised as counts, and by which rule.
    pub normalization: Normalization,
    /// What the user should know about how the data were read (rows left out, assumptions).
    pub notices: Vec<String>,
}

impl Tally {
    /// How the data were read, for the page, `inspect` and `run.json`.
    pub fn read_info(&self) -> vrnn_types::ReadInfo {
        vrnn_types::ReadInfo {
            format: self.format,
            normalization: self.normalization.clone(),
            time_source: self.time_column.clone(),
            time_values: self.time_values.clone(),
            notices: self.notices.clone(),
        }
    }

    /// The cell types, alphabetically, with their cell counts; empty without a type column.
    pub fn cell_types(&self) -> Vec<CellType> {
        if self.cell_type_column.is_none() {
            return Vec::new();
        }
        let mut types: Vec<CellType> = self
            .groups
            .iter()
            .map(|g| CellType {
                name: g.name.clone(),
                cells: g.n_cells(),
            })
            .collect();
        types.sort_by(|a, b| a.name.cmp(&b.name));
        types
    }

    /// The per-time summary of all cells, or of the cells of one type.
    pub fn dataset(&self, cell_type: Option<&str>) -> Result<Dataset, IngestError> {
        let chosen: Vec<&Group> = match cell_type {
            None => self.groups.iter().collect(),
            Some(name) => {
                let found: Vec<&Group> = self.groups.iter().filter(|g| g.name == name).collect();
                if found.is_empty() || self.cell_type_column.is_none() {
                    return Err(IngestError::UnknownCellType {
                        name: name.to_string(),
                        available: self.cell_types().into_iter().map(|t| t.name).collect(),
                    });
                }
                found
            }
        };
        let n_genes = self.genes.len();
        let mut merged = Group::default();
        for g in &chosen {
            merged.absorb((*g).clone(), n_genes);
        }
        let times: Vec<f64> = merged.slots.keys().map(|t| t.0).collect();
        match times.len() {
            0 => return Err(IngestError::HeaderOnly),
            1 => {
                return Err(IngestError::SingleTimePoint {
                    column: self.time_column.clone(),
                    time: times[0],
                })
            }
            _ => {}
        }
        let order: Vec<usize> = merged.slots.values().copied().collect();
        let n_t = times.len();
        let mut means = vec![0f32; n_genes * n_t];
        let mut std_errors = vec![0f32; n_genes * n_t];
        let mut linear_means = vec![0f32; n_genes * n_t];
        let mut exp_neg_means = vec![0f32; n_genes * n_t];
        let mut log_scale = true;
        let mut variances = vec![0f64; n_genes];
        for (g, v) in variances.iter_mut().enumerate() {
            let mut all = Moments::default();
            for &slot in &order {
                all.merge(&merged.moments[slot][g]);
            }
            if all.n > 1 {
                let n = all.n as f64;
                let mean = all.sum / n;
                let var = (all.sumsq - n * mean * mean) / (n - 1.0);
                // Relative tolerance: a constant column must come out exactly 0, not 1e-17.
                *v = if var <= 1e-12 * (all.sumsq / n).max(1e-300) {
                    0.0
                } else {
                    var
                };
            }
        }
        for (ti, &slot) in order.iter().enumerate() {
            for g in 0..n_genes {
                let m = merged.moments[slot][g];
                if m.n == 0 {
                    continue;
                }
                let n = m.n as f64;
                let mean = m.sum / n;
                means[g * n_t + ti] = mean as f32;
                linear_means[g * n_t + ti] = (m.sum_expm1 / n) as f32;
                exp_neg_means[g * n_t + ti] = (1.0 - m.sum_saturation / n) as f32;
                log_scale &= m.sum_expm1.is_finite();
                if m.n > 1 {
                    let var = ((m.sumsq - n * mean * mean) / (n - 1.0)).max(0.0);
                    std_errors[g * n_t + ti] = (var / n).sqrt() as f32;
                }
            }
        }
        if !log_scale {
            linear_means.clear();
            exp_neg_means.clear();
        }
        Ok(Dataset {
            time_column: self.time_column.clone(),
            metadata_columns: self.metadata_columns.clone(),
            times,
            genes: self.genes.clone(),
            n_cells: merged.n_cells(),
            cells_per_time: order.iter().map(|&s| merged.cells[s]).collect(),
            means,
            std_errors,
            variances,
            linear_means,
            exp_neg_means,
        })
    }
}
