//! 10x Genomics MatrixMarket output (`matrix.mtx(.gz)`, `features.tsv(.gz)` or the older
//! `genes.tsv`, `barcodes.tsv(.gz)`), one sample per time point: each sample's time comes from
//! a sample sheet, the `Time values` table, or its folder or file name (`t3h`, `day2`). Genes
//! are matched by id across samples and the lists intersected.
//!
//! The feature and barcode lists are small and read whole; the matrix is pushed through in
//! chunks and each cell is folded once its entries are in (Cell Ranger writes them grouped by
//! barcode), so memory is genes × time points plus one cell.

mod plan;
mod reader;

pub(crate) use plan::unique_names;
pub use plan::{count_barcodes, plan, sample_name, Features, Plan, Sample};
pub use reader::{read_mex, MexReader};
