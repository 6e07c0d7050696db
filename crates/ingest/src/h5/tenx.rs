//! 10x Genomics `.h5` (`filtered_feature_bc_matrix.h5`): a CSC matrix stored by barcode, so
//! each column is a cell, with the feature list under `matrix/features`; or the older layout
//! with one group per genome (`GRCh38/genes`, `gene_names`). Several samples, one per time
//! point, are matched and timed exactly as MEX folders are ([`crate::mex::plan`]).

use hdf5_reader::Hdf5File;
use vrnn_types::InputFormat;

use super::matrix::CellReader;
use super::{error, strings};
use crate::counts;
use crate::error::IngestError;
use crate::mex::{plan, Features, Sample};
use crate::sparse::{Read, SparseTally};
use crate::tally::Tally;
use crate::IngestOptions;

/// Whether a top-level group is a genome of the older layout.
pub(crate) fn is_genome_group(h5: &Hdf5File, name: &str) -> bool {
    h5.dataset(&format!("{name}/genes")).is_ok() && h5.dataset(&format!("{name}/indptr")).is_ok()
}

/// The sample of one `.h5`, and the group its matrix is in.
pub fn tenx_sample(file: &str, h5: &Hdf5File, name: &str) -> Result<(Sample, String), IngestError> {
    let root = h5.root_group().map_err(|e| error(file, e))?;
    let (groups, _) = root.member_names().map_err(|e| error(file, e))?;
    let read = |path: &str| -> Result<Vec<String>, IngestError> {
        let ds = h5.dataset(path).map_err(|e| error(file, e))?;
        strings(file, &ds)
    };
    let (group, features) = if groups.iter().any(|g| g == "matrix") {
        let ids = read("matrix/features/id")?;
        let names = read("matrix/features/name").unwrap_or_else(|_| ids.clone());
        let kinds = read("matrix/features/feature_type")
            .unwrap_or_else(|_| vec!["Gene Expression".into(); ids.len()]);
        (
            "matrix".to_string(),
            Features {
                is_gene: kinds.iter().map(|k| k == "Gene Expression").collect(),
                ids,
                names,
            },
        )
    } else {
        let Some(g) = groups.iter().find(|g| is_genome_group(h5, g)) else {
            return Err(IngestError::File {
                file: file.into(),
                message: "no matrix group in this 10x .h5".into(),
            });
        };
        let ids = read(&format!("{g}/genes"))?;
        let names = read(&format!("{g}/gene_names")).unwrap_or_else(|_| ids.clone());
        (
            g.clone(),
            Features {
                is_gene: vec![true; ids.len()],
                ids,
                names,
            },
        )
    };
    let barcodes = h5
        .dataset(&format!("{group}/barcodes"))
        .map_err(|e| error(file, e))?
        .shape()
        .first()
        .copied()
        .unwrap_or(0) as usize;
    Ok((
        Sample {
            name: name.to_string(),
            features,
            barcodes,
        },
        group,
    ))
}

/// Reads 10x `.h5` samples (file name, sample name, opened file) into one tally.
pub fn read_tenx_h5(
    inputs: &[(String, String, &Hdf5File)],
    opts: &IngestOptions,
    bytes: u64,
    progress: &mut dyn FnMut(f64),
) -> Result<Tally, IngestError> {
    let mut samples = Vec::new();
    let mut groups = Vec::new();
    for (file, name, h5) in inputs {
        let (s, g) = tenx_sample(file, h5, name)?;
        samples.push(s);
        groups.push(g);
    }
    let plan = plan(&samples, opts)?;
    let mut tally: Option<SparseTally> = None;
    for (s, (file, _, h5)) in inputs.iter().enumerate() {
        let mut reader = CellReader::sparse(file, h5, &groups[s])?;
        if reader.rows() != samples[s].barcodes as u64 {
            return Err(IngestError::File {
                file: file.clone(),
                message: format!(
                    "the matrix has {} cells but the barcode list has {}",
                    reader.rows(),
                    samples[s].barcodes
                ),
            });
        }
        let t = match &mut tally {
            Some(t) => t,
            None => {
                let counts_like = reader.looks_like_counts()?;
                let n = counts::decide(opts.normalize, counts_like, plan.genes.len(), false);
                tally.insert(SparseTally::new(plan.genes.clone(), n))
            }
        };
        let (rows, counted) = (&plan.rows[s], &plan.counted[s]);
        let (time, group) = (plan.times[s], &plan.groups[s]);
        let mut cell = Vec::new();
        let mut more = true;
        while more {
            more = reader.step(&mut |_, entries| {
                cell.clear();
                let mut total = 0.0;
                for &(row, v) in entries.iter() {
                    if counted.get(row).copied().unwrap_or(false) {
                        total += v;
                    }
                    if let Some(Some(g)) = rows.get(row) {
                        cell.push((*g, v));
                    }
                }
                t.add_cell(group, time, total, &cell);
                Ok(())
            })?;
            progress((s as f64 + reader.fraction()) / inputs.len() as f64);
        }
    }
    let Some(tally) = tally else {
        return Err(IngestError::Empty);
    };
    Ok(tally.finish(Read {
        format: InputFormat::TenxH5,
        time_source: plan.sources.0,
        group_source: plan.sources.1,
        time_values: plan.time_values,
        notices: plan.notices,
        bytes,
    }))
}
