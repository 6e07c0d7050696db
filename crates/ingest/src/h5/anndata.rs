//! AnnData `.h5ad`: the matrix (`X`, `raw/X` or a layer; CSR, CSC or dense), each cell's time
//! and cell type from `obs` columns (numeric, string, or categorical in either encoding), and
//! the gene names from the `var` index or a symbols column.

use std::collections::HashMap;

use hdf5_reader::Hdf5File;
use serde::{Deserialize, Serialize};
use vrnn_types::{InputFormat, TimeValue};

use super::matrix::CellReader;
use super::{error, read_f64, read_u64, strings};
use crate::counts::{self, CELL_SCALE};
use crate::error::IngestError;
use crate::layout::{looks_like_cell_type_name, looks_like_time_name};
use crate::limits::MAX_TIME_POINTS;
use crate::sparse::{Read, SparseTally};
use crate::tally::Tally;
use crate::times::TimeMap;
use crate::IngestOptions;

/// What the page offers for an `.h5ad` before reading it: its matrices, obs and var columns.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct H5adSummary {
    /// `X`, `raw`, `layers/NAME`.
    pub matrices: Vec<String>,
    pub obs_columns: Vec<String>,
    /// `index`, then the var columns of strings.
    pub gene_name_columns: Vec<String>,
}

/// The value of an obs column for every cell.
enum Column {
    /// Category codes (−1: missing) and the categories as text.
    Codes(Vec<i64>, Vec<String>),
    Numbers(Vec<f64>),
    Texts(Vec<String>),
}

impl Column {
    /// The distinct values, as labels, with how many cells hold each.
    fn levels(&self) -> Vec<(String, usize)> {
        let mut counts: HashMap<String, usize> = HashMap::new();
        match self {
            Column::Codes(codes, cats) => {
                let mut n = vec![0usize; cats.len()];
                for &c in codes {
                    if c >= 0 && (c as usize) < cats.len() {
                        n[c as usize] += 1;
                    }
                }
                for (cat, k) in cats.iter().zip(n) {
                    if k > 0 {
                        counts.insert(cat.clone(), k);
                    }
                }
            }
            Column::Numbers(v) => {
                for x in v.iter().filter(|x| !x.is_nan()) {
                    *counts.entry(vrnn_types::time_label(*x)).or_default() += 1;
                    if counts.len() > 10_000 {
                        break;
                    }
                }
            }
            Column::Texts(v) => {
                for s in v.iter().filter(|s| !s.is_empty()) {
                    *counts.entry(s.clone()).or_default() += 1;
                    if counts.len() > 10_000 {
                        break;
                    }
                }
            }
        }
        let mut out: Vec<(String, usize)> = counts.into_iter().collect();
        out.sort();
        out
    }

    /// The label of cell `i` (none when missing).
    fn label(&self, i: usize) -> Option<String> {
        match self {
            Column::Codes(codes, cats) => {
                let c = *codes.get(i)?;
                (c >= 0).then(|| cats.get(c as usize).cloned()).flatten()
            }
            Column::Numbers(v) => v
                .get(i)
                .filter(|x| !x.is_nan())
                .map(|x| vrnn_types::time_label(*x)),
            Column::Texts(v) => v.get(i).filter(|s| !s.is_empty()).cloned(),
        }
    }
}

/// The names of a dataframe group's columns (`column-order`, else its members), index left out.
fn columns(file: &str, h5: &Hdf5File, group: &str) -> Result<Vec<String>, IngestError> {
    let g = h5.group(group).map_err(|e| error(file, e))?;
    let index = g
        .attribute("_index")
        .and_then(|a| a.read_string())
        .unwrap_or_else(|_| "_index".into());
    if let Ok(order) = g.attribute("column-order").and_then(|a| a.read_strings()) {
        if !order.is_empty() {
            return Ok(order);
        }
    }
    let (groups, datasets) = g.member_names().map_err(|e| error(file, e))?;
    Ok(datasets
        .into_iter()
        .chain(groups)
        .filter(|n| *n != index && n != "__categories")
        .collect())
}

fn column(file: &str, h5: &Hdf5File, group: &str, name: &str) -> Result<Column, IngestError> {
    let path = format!("{group}/{name}");
    if let Ok(g) = h5.group(&path) {
        // anndata >= 0.8: a group with codes and categories.
        let codes = h5
            .dataset(&format!("{path}/codes"))
            .map_err(|e| error(file, e))?;
        let cats = h5
            .dataset(&format!("{path}/categories"))
            .map_err(|e| error(file, e))?;
        let _ = g;
        let n = codes.shape().first().copied().unwrap_or(0);
        let codes = read_f64(file, &codes, 0, n)?
            .into_iter()
            .map(|c| c as i64)
            .collect();
        return Ok(Column::Codes(codes, strings(file, &cats)?));
    }
    let ds = h5.dataset(&path).map_err(|e| error(file, e))?;
    let n = ds.shape().first().copied().unwrap_or(0);
    // anndata 0.7: codes here, categories in `__categories/NAME`.
    if let Ok(cats) = h5.dataset(&format!("{group}/__categories/{name}")) {
        let codes = read_f64(file, &ds, 0, n)?
            .into_iter()
            .map(|c| c as i64)
            .collect();
        return Ok(Column::Codes(codes, strings(file, &cats)?));
    }
    if super::is_text(&ds) {
        Ok(Column::Texts(strings(file, &ds)?))
    } else {
        Ok(Column::Numbers(read_f64(file, &ds, 0, n)?))
    }
}

/// The index of a dataframe (`_index` or what its `_index` attribute names).
fn index(file: &str, h5: &Hdf5File, group: &str) -> Result<Vec<String>, IngestError> {
    let g = h5.group(group).map_err(|e| error(file, e))?;
    let name = g
        .attribute("_index")
        .and_then(|a| a.read_string())
        .unwrap_or_else(|_| "_index".into());
    let ds = h5
        .dataset(&format!("{group}/{name}"))
        .map_err(|e| error(file, e))?;
    strings(file, &ds)
}

/// Matrices, obs and var columns, for the page's selects.
pub fn describe(file: &str, h5: &Hdf5File) -> Result<H5adSummary, IngestError> {
    let root = h5.root_group().map_err(|e| error(file, e))?;
    let (groups, datasets) = root.member_names().map_err(|e| error(file, e))?;
    let mut matrices = Vec::new();
    if groups.iter().chain(&datasets).any(|n| n == "X") {
        matrices.push("X".to_string());
    }
    if groups.iter().any(|g| g == "raw")
        && h5.group("raw").is_ok_and(|r| {
            r.member_names()
                .is_ok_and(|(g, d)| g.iter().chain(&d).any(|n| n == "X"))
        })
    {
        matrices.push("raw".to_string());
    }
    if let Ok(layers) = h5.group("layers") {
        let (g, d) = layers.member_names().map_err(|e| error(file, e))?;
        matrices.extend(g.into_iter().chain(d).map(|n| format!("layers/{n}")));
    }
    let obs_columns = columns(file, h5, "obs")?;
    let mut gene_name_columns = vec!["index".to_string()];
    for c in columns(file, h5, "var")? {
        if matches!(
            column(file, h5, "var", &c),
            Ok(Column::Texts(_) | Column::Codes(..))
        ) {
            gene_name_columns.push(c);
        }
    }
    Ok(H5adSummary {
        matrices,
        obs_columns,
        gene_name_columns,
    })
}

/// Columns that hold cluster labels or quality measures, never sampling times.
fn not_time(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "leiden",
        "louvain",
        "cluster",
        "batch",
        "n_genes",
        "n_counts",
        "total_counts",
        "pct_",
        "score",
        "phase",
        "doublet",
        "size_factor",
    ]
    .iter()
    .any(|k| n.contains(k))
}

/// Whether every level of a column reads as a time (number or label), 2 to 50 of them, each
/// held by a real share of the cells.
fn all_times(levels: &[(String, usize)], given: &[(String, f64)]) -> bool {
    let cells: usize = levels.iter().map(|(_, n)| n).sum();
    let fair = cells as f64 / levels.len().max(1) as f64;
    (2..=MAX_TIME_POINTS).contains(&levels.len())
        && levels.iter().all(|(l, n)| {
            *n >= 2
                && *n as f64 >= 0.1 * fair
                && (given.iter().any(|(g, _)| g == l)
                    || crate::value::parse_number(l.as_bytes()).is_some()
                    || crate::label::parse_label(l).is_some())
        })
}

/// Reads an `.h5ad` into a tally of every cell type, with the file's summary (read once, for
/// the page's selects too); `progress` hears the share of the matrix read after each window.
pub fn read_h5ad(
    file: &str,
    h5: &Hdf5File,
    opts: &IngestOptions,
    bytes: u64,
    progress: &mut dyn FnMut(f64),
) -> Result<(Tally, H5adSummary), IngestError> {
    let summary = describe(file, h5)?;
    let matrix = opts.matrix.clone().unwrap_or_else(|| "X".into());
    let (x_path, var_group) = match matrix.as_str() {
        "X" => ("X".to_string(), "var".to_string()),
        "raw" | "raw/X" => ("raw/X".to_string(), "raw/var".to_string()),
        m if m.starts_with("layers/") => (m.to_string(), "var".to_string()),
        m => (format!("layers/{m}"), "var".to_string()),
    };
    let short = if x_path == "raw/X" {
        "raw".to_string()
    } else {
        x_path.clone()
    };
    if !summary.matrices.contains(&short) {
        return Err(IngestError::File {
            file: file.into(),
            message: format!(
                "no matrix \"{matrix}\" in this file; it has {:?}",
                summary.matrices
            ),
        });
    }

    // Time and cell type, per cell.
    let time_name = match &opts.time_column {
        Some(t) => {
            if !summary.obs_columns.contains(t) {
                return Err(IngestError::NoObsTime {
                    columns: summary.obs_columns.clone(),
                    chosen: Some(t.clone()),
                });
            }
            t.clone()
        }
        None => {
            let by_name = summary
                .obs_columns
                .iter()
                .filter(|c| looks_like_time_name(c) || c.to_ascii_lowercase().contains("time"));
            let by_value = summary.obs_columns.iter().filter(|c| !not_time(c));
            let mut found = None;
            for c in by_name.chain(by_value) {
                let col = column(file, h5, "obs", c)?;
                if all_times(&col.levels(), &opts.time_values) {
                    found = Some(c.clone());
                    break;
                }
            }
            found.ok_or_else(|| IngestError::NoObsTime {
                columns: summary.obs_columns.clone(),
                chosen: None,
            })?
        }
    };
    let time_col = column(file, h5, "obs", &time_name)?;
    let levels: Vec<String> = time_col.levels().into_iter().map(|(l, _)| l).collect();
    let lookahead: Vec<&[u8]> = levels.iter().map(|l| l.as_bytes()).collect();
    let mut times = TimeMap::new(&opts.time_values, &lookahead);
    let level_time: HashMap<String, Option<f64>> = levels
        .iter()
        .map(|l| (l.clone(), times.time(l.as_bytes())))
        .collect();
    let unmapped = times.unmapped();
    if !unmapped.is_empty() {
        return Err(IngestError::UnmappedObsTimes {
            file: file.into(),
            column: time_name,
            labels: unmapped,
        });
    }
    let type_name = summary
        .obs_columns
        .iter()
        .find(|c| looks_like_cell_type_name(c))
        .cloned();
    let type_col = match &type_name {
        Some(c) => Some(column(file, h5, "obs", c)?),
        None => None,
    };

    // Genes.
    let ids = index(file, h5, &var_group)?;
    let names = match &opts.gene_names {
        Some(c) if c != "index" => match column(file, h5, &var_group, c) {
            Ok(col) => (0..ids.len())
                .map(|i| col.label(i).unwrap_or_else(|| ids[i].clone()))
                .collect(),
            Err(_) => {
                return Err(IngestError::File {
                    file: file.into(),
                    message: format!(
                        "no gene-name column \"{c}\" in var; the choices are {:?}",
                        summary.gene_name_columns
                    ),
                })
            }
        },
        Some(_) => ids.clone(),
        None => auto_gene_names(file, h5, &var_group, &ids)?,
    };
    let genes = crate::mex::unique_names(names.iter().map(String::as_str));

    // The matrix, cell by cell.
    let mut reader = matrix_reader(file, h5, &x_path)?;
    let (rows, cols) = reader.shape();
    if cols as usize != genes.len() {
        return Err(IngestError::File {
            file: file.into(),
            message: format!("the matrix has {cols} genes but var lists {}", genes.len()),
        });
    }
    let n_cells = match &time_col {
        Column::Codes(c, _) => c.len(),
        Column::Numbers(v) => v.len(),
        Column::Texts(v) => v.len(),
    };
    if n_cells as u64 != rows {
        return Err(IngestError::File {
            file: file.into(),
            message: format!("the matrix has {rows} cells but obs lists {n_cells}"),
        });
    }
    let counts_like = reader.looks_like_counts()?;
    let normalization = counts::decide(opts.normalize, counts_like, genes.len(), false);
    let mut tally = SparseTally::new(genes, normalization);
    let mut skipped = 0u64;
    let cell_of = |i: usize| -> Option<(String, f64)> {
        let t = level_time.get(&time_col.label(i)?).copied().flatten()?;
        let g = type_col.as_ref().map_or(String::new(), |c| {
            c.label(i).unwrap_or_else(|| "(no cell type)".into())
        });
        Some((g, t))
    };
    reader.read_all(&mut tally, &cell_of, &mut skipped, file, progress)?;
    let mut notices = Vec::new();
    if skipped > 0 {
        notices.push(format!(
            "{skipped} cells without a value in obs column \"{time_name}\" were left out"
        ));
    }
    let tally = tally.finish(Read {
        format: InputFormat::AnnData,
        time_source: format!("obs column {time_name}"),
        group_source: type_name,
        time_values: times
            .values()
            .into_iter()
            .filter(|v| crate::value::parse_number(v.label.as_bytes()).is_none() || v.given)
            .collect::<Vec<TimeValue>>(),
        notices,
        bytes,
    });
    Ok((tally, summary))
}

/// Symbols when the index holds Ensembl ids and a symbols column exists.
fn auto_gene_names(
    file: &str,
    h5: &Hdf5File,
    var: &str,
    ids: &[String],
) -> Result<Vec<String>, IngestError> {
    let ensembl = ids
        .iter()
        .take(100)
        .filter(|i| i.starts_with("ENS"))
        .count()
        * 2
        > ids.len().min(100);
    if !ensembl {
        return Ok(ids.to_vec());
    }
    for c in [
        "feature_name",
        "gene_symbols",
        "gene_symbol",
        "gene_name",
        "gene_names",
        "gene_short_name",
        "symbol",
        "Symbol",
    ] {
        if let Ok(col) = column(file, h5, var, c) {
            return Ok((0..ids.len())
                .map(|i| col.label(i).unwrap_or_else(|| ids[i].clone()))
                .collect());
        }
    }
    Ok(ids.to_vec())
}

/// The matrix at `path`, by its encoding.
enum Matrix {
    Rows(CellReader, u64),
    /// CSC: `indptr` over genes; each gene's cells.
    Columns {
        data: hdf5_reader::Dataset,
        indices: hdf5_reader::Dataset,
        indptr: Vec<u64>,
        rows: u64,
    },
}

fn matrix_reader(file: &str, h5: &Hdf5File, path: &str) -> Result<Matrix, IngestError> {
    if let Ok(x) = h5.dataset(path) {
        let cols = x.shape().get(1).copied().unwrap_or(0);
        return Ok(Matrix::Rows(CellReader::dense(file, x)?, cols));
    }
    let g = h5.group(path).map_err(|e| error(file, e))?;
    let encoding = g
        .attribute("encoding-type")
        .and_then(|a| a.read_string())
        .or_else(|_| {
            g.attribute("h5sparse_format")
                .and_then(|a| a.read_string())
                .map(|f| format!("{f}_matrix"))
        })
        .unwrap_or_default();
    let shape: Vec<u64> = g
        .attribute("shape")
        .or_else(|_| g.attribute("h5sparse_shape"))
        .and_then(|a| a.read_1d::<i64>())
        .map(|v| v.into_iter().map(|x| x as u64).collect())
        .or_else(|_| g.attribute("shape").and_then(|a| a.read_1d::<u64>()))
        .map_err(|e| error(file, e))?;
    let [rows, cols] = shape[..] else {
        return Err(IngestError::File {
            file: file.into(),
            message: format!("{path}: a matrix shape of {shape:?}"),
        });
    };
    match encoding.as_str() {
        "csr_matrix" => Ok(Matrix::Rows(CellReader::sparse(file, h5, path)?, cols)),
        "csc_matrix" => {
            let ds = |n: &str| h5.dataset(&format!("{path}/{n}")).map_err(|e| error(file, e));
            let ptr = ds("indptr")?;
            let n = ptr.shape().first().copied().unwrap_or(0);
            Ok(Matrix::Columns {
                data: ds("data")?,
                indices: ds("indices")?,
                indptr: read_u64(file, &ptr, 0, n)?,
                rows,
            })
        }
        other => Err(IngestError::File {
            file: file.into(),
            message: format!("{path}: a matrix encoded as \"{other}\" is not supported (csr_matrix, csc_matrix or a dense array are)"),
        }),
    }
}

impl Matrix {
    fn shape(&self) -> (u64, u64) {
        match self {
            Matrix::Rows(r, cols) => (r.rows(), *cols),
            Matrix::Columns { indptr, rows, .. } => (*rows, indptr.len().saturating_sub(1) as u64),
        }
    }

    fn looks_like_counts(&self) -> Result<bool, IngestError> {
        match self {
            Matrix::Rows(r, _) => r.looks_like_counts(),
            Matrix::Columns { data, .. } => Ok(super::is_integer(data) || {
                let n = data
                    .shape()
                    .first()
                    .copied()
                    .unwrap_or(0)
                    .min(super::matrix::WINDOW);
                read_f64("", data, 0, n)?
                    .iter()
                    .all(|&v| v >= 0.0 && v.fract() == 0.0)
            }),
        }
    }

    /// Folds every cell into the tally. CSC needs each cell's total before any of its values
    /// (when normalising), so it is read twice: once for the totals, once for the values.
    fn read_all(
        &mut self,
        tally: &mut SparseTally,
        cell_of: &dyn Fn(usize) -> Option<(String, f64)>,
        skipped: &mut u64,
        file: &str,
        progress: &mut dyn FnMut(f64),
    ) -> Result<(), IngestError> {
        let normalise = tally.normalization.applied;
        match self {
            Matrix::Rows(reader, _) => {
                let mut more = true;
                while more {
                    more = reader.step(&mut |row, entries| {
                        let Some((group, time)) = cell_of(row as usize) else {
                            *skipped += 1;
                            return Ok(());
                        };
                        if normalise && entries.iter().any(|e| e.1 < 0.0) {
                            return Err(negative(file, row));
                        }
                        let total = entries.iter().map(|e| e.1).sum();
                        tally.add_cell(&group, time, total, entries);
                        Ok(())
                    })?;
                    progress(reader.fraction());
                }
            }
            Matrix::Columns {
                data,
                indices,
                indptr,
                rows,
            } => {
                let nnz = indptr.last().copied().unwrap_or(0);
                let mut totals = vec![0f64; *rows as usize];
                let window = super::matrix::WINDOW;
                let mut start = 0;
                while normalise && start < nnz {
                    let end = (start + window).min(nnz);
                    let v = read_f64(file, data, start, end)?;
                    let c = read_u64(file, indices, start, end)?;
                    for (&cell, &x) in c.iter().zip(&v) {
                        if x < 0.0 {
                            return Err(negative(file, cell));
                        }
                        if let Some(t) = totals.get_mut(cell as usize) {
                            *t += x;
                        }
                    }
                    start = end;
                    progress(0.5 * start as f64 / nnz.max(1) as f64);
                }
                let places: Vec<Option<(usize, usize)>> = (0..*rows as usize)
                    .map(|i| cell_of(i).map(|(g, t)| tally.place(&g, t)))
                    .collect();
                *skipped += places.iter().filter(|p| p.is_none()).count() as u64;
                let mut gene = 0usize;
                let mut start = 0;
                while start < nnz {
                    let end = (start + window).min(nnz);
                    let v = read_f64(file, data, start, end)?;
                    let c = read_u64(file, indices, start, end)?;
                    for (k, (&cell, &x)) in c.iter().zip(&v).enumerate() {
                        let pos = start + k as u64;
                        while indptr[gene + 1] <= pos {
                            gene += 1;
                        }
                        let Some(Some(place)) = places.get(cell as usize) else {
                            continue;
                        };
                        let x = if normalise {
                            counts::normalise(x, totals[cell as usize], CELL_SCALE)
                        } else {
                            x
                        };
                        tally.add(*place, gene, x);
                    }
                    start = end;
                    let done = start as f64 / nnz.max(1) as f64;
                    progress(if normalise { 0.5 + 0.5 * done } else { done });
                }
            }
        }
        Ok(())
    }
}

fn negative(file: &str, cell: u64) -> IngestError {
    IngestError::File {
        file: file.into(),
        message: format!(
            "cell {} has a negative value, so the matrix is not counts; choose \"Normalise counts: No\" on the page or --normalize no",
            cell + 1
        ),
    }
}
