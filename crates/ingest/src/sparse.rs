//! Sums of sparse cells (10x MEX, `.h5ad` CSR rows): only the non-zero values are added; every
//! zero is counted at the end, when each time point's cell count is known, so reading costs
//! O(non-zeros), not O(cells × genes).

use std::collections::HashMap;

use vrnn_types::{InputFormat, Normalization, TimeValue};

use crate::counts::{normalise, CELL_SCALE};
use crate::tally::{Group, Tally};

/// A tally built cell by cell from non-zero values.
pub(crate) struct SparseTally {
    genes: Vec<String>,
    groups: Vec<Group>,
    group_of: HashMap<String, usize>,
    pub normalization: Normalization,
    pub cells: u64,
}

impl SparseTally {
    pub fn new(genes: Vec<String>, normalization: Normalization) -> Self {
        SparseTally {
            genes,
            groups: Vec::new(),
            group_of: HashMap::new(),
            normalization,
            cells: 0,
        }
    }

    /// Adds one cell of `group` at `time`: its non-zero values by gene, and its total count
    /// (over every feature it has, for the normalisation).
    pub fn add_cell(&mut self, group: &str, time: f64, total: f64, entries: &[(usize, f64)]) {
        let n_genes = self.genes.len();
        let g = self.group(group);
        let group = &mut self.groups[g];
        let slot = group.slot(time, n_genes);
        group.cells[slot] += 1;
        let moments = &mut group.moments[slot];
        for &(gene, x) in entries {
            if x != 0.0 {
                moments[gene].add(if self.normalization.applied {
                    normalise(x, total, CELL_SCALE)
                } else {
                    x
                });
            }
        }
        self.cells += 1;
    }

    /// The slot of a cell of `group` at `time`, the cell counted (for a matrix stored by gene,
    /// whose values come gene by gene through [`SparseTally::add`]).
    pub fn place(&mut self, group: &str, time: f64) -> (usize, usize) {
        let n_genes = self.genes.len();
        let g = self.group(group);
        let slot = self.groups[g].slot(time, n_genes);
        self.groups[g].cells[slot] += 1;
        self.cells += 1;
        (g, slot)
    }

    /// Adds one (already normalised) value at a place from [`SparseTally::place`].
    pub fn add(&mut self, (g, slot): (usize, usize), gene: usize, x: f64) {
        if x != 0.0 {
            self.groups[g].moments[slot][gene].add(x);
        }
    }

    fn group(&mut self, group: &str) -> usize {
        match self.group_of.get(group) {
            Some(&g) => g,
            None => {
                self.groups.push(Group::new(group.to_string()));
                self.group_of
                    .insert(group.to_string(), self.groups.len() - 1);
                self.groups.len() - 1
            }
        }
    }

    /// Adds more values of a cell already added (a matrix whose entries are not grouped by
    /// cell; only without normalisation, which needs the cell's total first).
    pub fn add_values(&mut self, group: &str, time: f64, entries: &[(usize, f64)]) {
        let n_genes = self.genes.len();
        let Some(&g) = self.group_of.get(group) else {
            return;
        };
        let group = &mut self.groups[g];
        let slot = group.slot(time, n_genes);
        for &(gene, x) in entries {
            if x != 0.0 {
                group.moments[slot][gene].add(x);
            }
        }
    }

    /// The tally, with every zero counted.
    pub fn finish(mut self, read: Read) -> Tally {
        for group in &mut self.groups {
            for (moments, &cells) in group.moments.iter_mut().zip(&group.cells) {
                for m in moments.iter_mut() {
                    m.n = cells;
                }
            }
        }
        let by_group = self.groups.iter().any(|g| !g.name.is_empty());
        Tally {
            time_column: read.time_source,
            metadata_columns: Vec::new(),
            genes: self.genes,
            cell_type_column: by_group.then_some(read.group_source).flatten(),
            groups: self.groups,
            time_values: read.time_values,
            rows: self.cells,
            bytes: read.bytes,
            format: read.format,
            normalization: self.normalization,
            notices: read.notices,
        }
    }
}

/// What the format's reader knows about the pass that the tally does not.
pub(crate) struct Read {
    pub format: InputFormat,
    /// Where the times came from (an obs column, a sample sheet, the inputs' names).
    pub time_source: String,
    /// Where the groups came from, when cells were grouped.
    pub group_source: Option<String>,
    pub time_values: Vec<TimeValue>,
    pub notices: Vec<String>,
    pub bytes: u64,
}
