//! The reader's limits: rules the README states, shared by the column detection, the streaming
//! parser and the messages that name them (so none of those modules imports another for them).

/// A numeric column with at most this many distinct values can be a time column.
pub const MAX_TIME_POINTS: usize = 50;

/// A type column with more distinct values than this holds ids, not cell types: its cells are
/// pooled and no cell type filter is offered.
pub const MAX_CELL_TYPES: usize = 200;

/// A single row longer than this is refused: a file with one row per cell has no such rows, and
/// an unclosed quote would otherwise swallow the rest of the file into memory.
pub const MAX_ROW_BYTES: usize = 64 << 20;
