//! The samples before their matrices: feature and barcode lists, the genes every sample
//! has, and each sample's time and condition.

use std::collections::{HashMap, HashSet};

use vrnn_types::TimeValue;

use crate::error::IngestError;
use crate::label::{common_scale, parse_sample_name, Reading};
use crate::sheet::SampleSheet;
use crate::IngestOptions;

/// The feature list of one sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Features {
    pub ids: Vec<String>,
    pub names: Vec<String>,
    /// Whether the feature is a gene (not an antibody or CRISPR guide capture).
    pub is_gene: Vec<bool>,
}

impl Features {
    /// `features.tsv`: id, name, type; or the older `genes.tsv`: id, name.
    pub fn parse(file: &str, bytes: &[u8]) -> Result<Features, IngestError> {
        let mut f = Features {
            ids: Vec::new(),
            names: Vec::new(),
            is_gene: Vec::new(),
        };
        for line in lines(bytes) {
            let mut cols = line.split('\t');
            let id = cols.next().unwrap_or("").trim().to_string();
            if id.is_empty() {
                return Err(IngestError::File {
                    file: file.into(),
                    message: format!("line {}: a feature without an id", f.ids.len() + 1),
                });
            }
            let name = cols.next().map(str::trim).filter(|n| !n.is_empty());
            let kind = cols.next().map(str::trim).unwrap_or("Gene Expression");
            f.names.push(name.unwrap_or(&id).to_string());
            f.ids.push(id);
            f.is_gene.push(kind == "Gene Expression" || kind.is_empty());
        }
        if f.ids.is_empty() {
            return Err(IngestError::File {
                file: file.into(),
                message: "the feature list is empty".into(),
            });
        }
        Ok(f)
    }
}

/// The non-empty lines of a small text, without a trailing `\r`.
fn lines(bytes: &[u8]) -> impl Iterator<Item = &str> {
    let text = std::str::from_utf8(bytes).unwrap_or("");
    text.lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.trim().is_empty())
}

/// How many barcodes a `barcodes.tsv` lists.
pub fn count_barcodes(file: &str, bytes: &[u8]) -> Result<usize, IngestError> {
    if std::str::from_utf8(bytes).is_err() {
        return Err(IngestError::File {
            file: file.into(),
            message: "not a text list of barcodes".into(),
        });
    }
    Ok(lines(bytes).count())
}

/// One 10x sample before its matrix is read.
#[derive(Debug, Clone)]
pub struct Sample {
    /// Its name as shown and matched in a sample sheet (folder or file name).
    pub name: String,
    pub features: Features,
    pub barcodes: usize,
}

/// The genes every sample has, each sample's rows mapped to them, and each sample's time.
pub struct Plan {
    pub(crate) genes: Vec<String>,
    /// Per sample, the gene each feature row is (none for a gene not in every sample).
    pub(crate) rows: Vec<Vec<Option<usize>>>,
    /// Per sample, whether a feature row counts towards a cell's total (genes only).
    pub(crate) counted: Vec<Vec<bool>>,
    pub(crate) times: Vec<f64>,
    pub(crate) groups: Vec<String>,
    pub(crate) time_values: Vec<TimeValue>,
    pub(crate) notices: Vec<String>,
    /// Where the times and the groups came from.
    pub(crate) sources: (String, Option<String>),
}

/// The name of a sample from its path: the nearest folder or file name that is not one of
/// Cell Ranger's own (`outs`, `filtered_feature_bc_matrix`, `matrix.mtx.gz`), e.g.
/// `run/t3h/outs/filtered_feature_bc_matrix/matrix.mtx.gz` → `t3h`, `d2_matrix.mtx` → `d2`.
pub fn sample_name(path: &str) -> String {
    let own = [
        "outs",
        "filtered_feature_bc_matrix",
        "raw_feature_bc_matrix",
        "filtered_gene_bc_matrices",
        "raw_gene_bc_matrices",
        "matrix.mtx",
        "matrix.mtx.gz",
        "features.tsv",
        "features.tsv.gz",
        "genes.tsv",
        "barcodes.tsv",
        "barcodes.tsv.gz",
        "",
    ];
    let parts: Vec<&str> = path.split(['/', '\\']).collect();
    for p in parts.iter().rev() {
        if own.contains(p) {
            continue;
        }
        for suffix in [
            "_matrix.mtx.gz",
            "_matrix.mtx",
            ".mtx.gz",
            ".mtx",
            "_filtered_feature_bc_matrix",
        ] {
            if let Some(stem) = p.strip_suffix(suffix) {
                return stem.trim_end_matches(['_', '-', '.']).to_string();
            }
        }
        // A genome folder of the older layout (`filtered_gene_bc_matrices/GRCh38`).
        if ["GRC", "hg19", "hg38", "mm10", "mm39"]
            .iter()
            .any(|g| p.starts_with(g))
        {
            continue;
        }
        return p.to_string();
    }
    path.to_string()
}

/// Matches the samples' genes (by id), intersects them, and gives each sample its time.
pub fn plan(samples: &[Sample], opts: &IngestOptions) -> Result<Plan, IngestError> {
    let Some(first) = samples.first() else {
        return Err(IngestError::Empty);
    };
    let mut common: Vec<(String, String)> = first
        .features
        .ids
        .iter()
        .zip(&first.features.names)
        .zip(&first.features.is_gene)
        .filter(|(_, &g)| g)
        .map(|((i, n), _)| (i.clone(), n.clone()))
        .collect();
    let all = common.len();
    for s in &samples[1..] {
        let ids: HashSet<&String> = s.features.ids.iter().collect();
        common.retain(|(id, _)| ids.contains(id));
    }
    let mut notices = Vec::new();
    if common.len() < all {
        notices.push(format!(
            "the samples' feature lists differ: {} of {all} genes are in every sample and are kept; {} were dropped",
            common.len(),
            all - common.len()
        ));
    }
    if common.is_empty() {
        return Err(IngestError::NoGenes);
    }
    let index: HashMap<&String, usize> = common
        .iter()
        .enumerate()
        .map(|(i, (id, _))| (id, i))
        .collect();
    let rows = samples
        .iter()
        .map(|s| {
            s.features
                .ids
                .iter()
                .map(|id| index.get(id).copied())
                .collect()
        })
        .collect();
    let counted = samples.iter().map(|s| s.features.is_gene.clone()).collect();
    let genes = unique_names(common.iter().map(|(_, n)| n.as_str()));
    let (times, groups, time_values, sources) = sample_times(samples, opts)?;
    Ok(Plan {
        genes,
        rows,
        counted,
        times,
        groups,
        time_values,
        notices,
        sources,
    })
}

/// Symbols, made unique as scanpy does (`TBCE`, `TBCE-1`): 10x lists some symbols twice.
pub(crate) fn unique_names<'a>(names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    names
        .map(|n| {
            let k = seen.entry(n.to_string()).or_insert(0);
            let out = if *k == 0 {
                n.to_string()
            } else {
                format!("{n}-{k}")
            };
            *k += 1;
            out
        })
        .collect()
}

type SampleTimes = (
    Vec<f64>,
    Vec<String>,
    Vec<TimeValue>,
    (String, Option<String>),
);

/// Each sample's time and condition: the sheet's, else the user's, else the name's.
fn sample_times(samples: &[Sample], opts: &IngestOptions) -> Result<SampleTimes, IngestError> {
    let names: Vec<&str> = samples.iter().map(|s| s.name.as_str()).collect();
    if let Some(sheet) = &opts.samples {
        return from_sheet(&names, sheet);
    }
    let given: HashMap<&str, f64> = opts
        .time_values
        .iter()
        .map(|(l, t)| (l.as_str(), *t))
        .collect();
    let parsed: Vec<Option<Reading>> = names
        .iter()
        .map(|n| parse_sample_name(n).map(|s| s.time))
        .collect();
    let readings: Vec<Reading> = parsed.iter().flatten().copied().collect();
    let (scaled, unit) = common_scale(&readings);
    let mut scaled = scaled.into_iter();
    let mut times = Vec::new();
    let mut values = Vec::new();
    let mut unmapped = Vec::new();
    for (n, p) in names.iter().zip(&parsed) {
        let from_name = p.map(|_| scaled.next().unwrap_or(f64::NAN));
        let time = given.get(n).copied().or(from_name);
        match time {
            Some(t) => times.push(t),
            None => unmapped.push(n.to_string()),
        }
        values.push(TimeValue {
            label: n.to_string(),
            time,
            unit: unit
                .filter(|_| !given.contains_key(n))
                .map(|u| u.name().to_string()),
            given: given.contains_key(n),
        });
    }
    if !unmapped.is_empty() {
        return Err(IngestError::UnmappedSamples { samples: unmapped });
    }
    let groups = vec![String::new(); names.len()];
    Ok((times, groups, values, ("sample names".into(), None)))
}

fn from_sheet(names: &[&str], sheet: &SampleSheet) -> Result<SampleTimes, IngestError> {
    let missing: Vec<String> = names
        .iter()
        .filter(|n| sheet.row(n).is_none())
        .map(|n| n.to_string())
        .collect();
    if !missing.is_empty() {
        let listed: Vec<&str> = sheet.rows.iter().map(|r| r.sample.as_str()).collect();
        return Err(IngestError::File {
            file: sheet.name.clone(),
            message: format!(
                "the sample sheet does not name the input(s) {missing:?}; it names {listed:?}"
            ),
        });
    }
    let rows: Vec<_> = names.iter().filter_map(|n| sheet.row(n)).collect();
    let by_condition = rows.iter().any(|r| r.condition.is_some());
    Ok((
        rows.iter().map(|r| r.time).collect(),
        rows.iter()
            .map(|r| match (&r.condition, by_condition) {
                (Some(c), _) => c.clone(),
                (None, true) => "(no condition)".into(),
                (None, false) => String::new(),
            })
            .collect(),
        rows.iter()
            .map(|r| TimeValue {
                label: r.sample.clone(),
                time: Some(r.time),
                unit: None,
                given: true,
            })
            .collect(),
        (
            format!("sample sheet {}", sheet.name),
            by_condition.then(|| "condition".to_string()),
        ),
    ))
}
