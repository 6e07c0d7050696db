//! Reading a cells × genes time-course table into per-gene, per-time sums.
//!
//! The reader is push-based ([`Ingest::push`] a chunk at a time, then [`Ingest::finish`]) so
//! that the browser's worker can await each slice of a file and still hear a `Cancel`, while
//! the command-line tool feeds it from a buffered reader ([`ingest`], [`read_table`]). Either
//! way the file is never held whole: only a short look-ahead of rows (to recognise the columns'
//! roles) is buffered, then every row is folded into count / sum / sum-of-squares accumulators
//! per (cell type, time, gene). Memory is O(cell types × genes × time points), independent of
//! the number of cells, and cells need not be sorted.
//!
//! It lives in its own crate, without burn, so that it can be fuzzed and property-tested
//! quickly; the engine re-exports it as `vrnn_engine::ingest`.

mod bulk;
pub mod counts;
mod dataset;
mod error;
pub mod h5;
mod inflate;
pub mod label;
mod layout;
mod limits;
pub mod mex;
mod sheet;
pub mod sniff;
mod sparse;
mod stream;
mod tally;
mod times;
mod value;

use std::io::Read;

pub use dataset::{Dataset, Selection};
pub use error::{IngestError, Location};
pub use sheet::{read_small, SampleRow, SampleSheet};
pub use stream::Ingest;
pub use tally::{CellType, Tally};
pub use times::TimeValue;

use serde::{Deserialize, Serialize};
pub use vrnn_types::{InputFormat, Normalization, Normalize};

/// Options that override what the reader would otherwise detect.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IngestOptions {
    /// Use this column as time instead of detecting it.
    pub time_column: Option<String>,
    /// Keep only the cells of this cell type ([`read_table`] only; a [`Tally`] keeps them all).
    #[serde(default)]
    pub cell_type: Option<String>,
    /// Times the user gave for labels of the time column (the `Time values` table, a
    /// `--samples` sheet), over what the labels say.
    #[serde(default)]
    pub time_values: Vec<(String, f64)>,
    /// `Normalise counts`: whether the values are raw counts to normalise.
    #[serde(default)]
    pub normalize: Normalize,
    /// The `.h5ad` matrix: `X` (default), `raw` or `layers/NAME`.
    #[serde(default)]
    pub matrix: Option<String>,
    /// The `.h5ad` var column with the gene names (`index`: the var index; default: symbols
    /// when the index holds Ensembl ids).
    #[serde(default)]
    pub gene_names: Option<String>,
    /// The sample sheet given with a bulk table or 10x samples.
    #[serde(skip)]
    pub samples: Option<SampleSheet>,
}

/// How much is read from a `Read` per push: large enough to be fast, small enough to bound
/// memory however big the file is.
const READ_CHUNK: usize = 1 << 20;

/// Reads any supported table from a `Read` into a [`Tally`] of every cell type.
pub fn ingest<R: Read>(mut input: R, opts: &IngestOptions) -> Result<Tally, IngestError> {
    let mut ingest = Ingest::new(opts.clone());
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(IngestError::Unreadable {
                    line: ingest.line(),
                    message: e.to_string(),
                })
            }
        };
        ingest.push(&buf[..n])?;
    }
    ingest.finish()
}

/// Reads any supported table: CSV, TSV or semicolon-separated text (delimiter taken from the
/// header), optionally gzip-compressed, UTF-8 with or without BOM, LF or CRLF, quoted fields.
/// Files that are not text tables get a message saying what they are and how to export a CSV.
/// The result covers all cells, or those of `opts.cell_type`.
pub fn read_table<R: Read>(input: R, opts: &IngestOptions) -> Result<Dataset, IngestError> {
    ingest(input, opts)?.dataset(opts.cell_type.as_deref())
}
