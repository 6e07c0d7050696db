//! Bulk time courses: a genes × samples table (one row per gene, one numeric column per
//! sample), the input of Mfuzz, TCseq, maSigPro or DPGP. Each sample's time (and replicate, and
//! condition) comes from a sample sheet or from its name (`0h_rep1`, `T6_A`, `d3.2`), and the
//! replicates of a time point play the part that cells play in a single-cell table: a gene's
//! mean and standard error at a time come from them.
//!
//! The table is kept whole as numbers (genes × samples, what memory is bounded by anyway),
//! because counts per million need each sample's total before any value is final.

use std::collections::{BTreeMap, HashMap};

use vrnn_types::{InputFormat, TimeValue};

use crate::counts::{self, SAMPLE_SCALE};
use crate::error::{shown, IngestError, Location};
use crate::label::{common_scale, parse_sample_names, Reading};
use crate::layout::{field, looks_like_time_name, mostly_text, Row};
use crate::limits::MAX_TIME_POINTS;
use crate::tally::{Group, Tally};
use crate::value::{finite, text};
use crate::IngestOptions;

/// featureCounts' annotation columns, numeric but not samples.
const ANNOTATION: [&str; 5] = ["chr", "start", "end", "strand", "length"];

/// The columns of a bulk table.
#[derive(Debug, Clone)]
pub(crate) struct BulkLayout {
    pub headers: Vec<String>,
    /// The column whose values name the genes.
    pub gene: usize,
    pub samples: Vec<usize>,
}

/// Whether the table is genes × samples: its leading columns are words (gene ids, symbols),
/// every other column is numeric, no column is named like time, and the sample columns are
/// named by the sample sheet or carry times in their names (`0h_rep1`). `None`: a cells table.
pub(crate) fn recognise(
    headers: &[String],
    rows: &[Row],
    opts: &IngestOptions,
) -> Option<BulkLayout> {
    if opts.time_column.is_some() || headers.iter().any(|h| looks_like_time_name(h)) {
        return None;
    }
    let text = mostly_text(headers, rows);
    let lead = text.iter().take_while(|&&t| t).count();
    if lead == 0 {
        return None;
    }
    let annotation: Vec<usize> = (lead..headers.len())
        .filter(|&c| ANNOTATION.contains(&headers[c].to_ascii_lowercase().as_str()))
        .collect();
    let samples: Vec<usize> = (lead..headers.len())
        .filter(|c| !annotation.contains(c))
        .collect();
    if samples.is_empty() || samples.iter().any(|&c| text[c]) {
        return None;
    }
    let names: Vec<String> = samples.iter().map(|&c| headers[c].clone()).collect();
    let named = match &opts.samples {
        Some(sheet) => names.iter().any(|n| sheet.row(n).is_some()),
        None => {
            let parsed = parse_sample_names(&names);
            let mut times: Vec<u64> = parsed
                .iter()
                .flatten()
                .map(|s| s.time.value.to_bits())
                .collect();
            let timed = times.len();
            times.sort_unstable();
            times.dedup();
            timed * 2 >= names.len() && (2..=MAX_TIME_POINTS).contains(&times.len())
        }
    };
    if !named {
        return None;
    }
    // Symbols read better than Ensembl ids in every plot.
    let gene = (0..lead)
        .find(|&c| {
            let h = headers[c].to_ascii_lowercase();
            [
                "symbol",
                "gene_symbol",
                "gene_name",
                "genename",
                "name",
                "external_gene_name",
            ]
            .contains(&h.as_str())
        })
        .unwrap_or(0);
    Some(BulkLayout {
        headers: headers.to_vec(),
        gene,
        samples,
    })
}

/// The table as it is read: gene names and their values, genes × samples.
pub(crate) struct Bulk {
    genes: Vec<String>,
    index: HashMap<String, usize>,
    values: Vec<f64>,
    duplicates: Vec<String>,
    all_counts: bool,
    /// The first negative value, for `Normalise counts: Yes`.
    negative: Option<(Location, String)>,
}

impl Bulk {
    pub fn new() -> Self {
        Bulk {
            genes: Vec::new(),
            index: HashMap::new(),
            values: Vec::new(),
            duplicates: Vec::new(),
            all_counts: true,
            negative: None,
        }
    }

    /// One gene's row.
    pub fn fold(
        &mut self,
        layout: &BulkLayout,
        line: u64,
        bytes: &[u8],
        ends: &[usize],
    ) -> Result<(), IngestError> {
        let at = |c: usize| Location::field(line, c, &layout.headers);
        let name = text(field(bytes, ends, layout.gene));
        if name.is_empty() || self.index.contains_key(&name) {
            // The first row of a gene counts; later ones are named in a notice.
            if self.duplicates.len() < 1000 {
                self.duplicates.push(name);
            }
            return Ok(());
        }
        let start = self.values.len();
        for &c in &layout.samples {
            let v = field(bytes, ends, c);
            let x = match finite(v, || at(c)) {
                Ok(x) => x.unwrap_or(f64::NAN),
                Err(e) => {
                    self.values.truncate(start);
                    return Err(e);
                }
            };
            if !x.is_nan() && !counts::is_count(x) {
                self.all_counts = false;
                if x < 0.0 && self.negative.is_none() {
                    self.negative = Some((at(c), shown(v)));
                }
            }
            self.values.push(x);
        }
        self.index.insert(name.clone(), self.genes.len());
        self.genes.push(name);
        Ok(())
    }

    /// The sums per (condition, time, gene), every sample a cell.
    pub fn finish(
        self,
        layout: &BulkLayout,
        opts: &IngestOptions,
        rows: u64,
        bytes: u64,
    ) -> Result<Tally, IngestError> {
        let names: Vec<String> = layout
            .samples
            .iter()
            .map(|&c| layout.headers[c].clone())
            .collect();
        let meta = samples(&names, layout, opts)?;
        let n_genes = self.genes.len();
        if n_genes == 0 {
            return Err(IngestError::HeaderOnly);
        }
        let normalization = counts::decide(opts.normalize, self.all_counts, n_genes, true);
        if normalization.applied {
            if let Some((at, value)) = self.negative {
                return Err(IngestError::NegativeCount { at, value });
            }
        }
        let n_s = names.len();
        let totals: Vec<f64> = (0..n_s)
            .map(|s| {
                (0..n_genes)
                    .map(|g| self.values[g * n_s + s])
                    .filter(|x| !x.is_nan())
                    .sum()
            })
            .collect();
        let conditions: Vec<String> = meta
            .iter()
            .map(|m| m.condition.clone().unwrap_or_default())
            .collect();
        let by_condition = conditions.iter().any(|c| !c.is_empty());
        let mut groups: BTreeMap<String, Group> = BTreeMap::new();
        for (s, m) in meta.iter().enumerate() {
            let name = if by_condition {
                m.condition
                    .clone()
                    .unwrap_or_else(|| "(no condition)".into())
            } else {
                String::new()
            };
            let group = groups
                .entry(name.clone())
                .or_insert_with(|| Group::new(name));
            let slot = group.slot(m.time, n_genes);
            group.cells[slot] += 1;
            for (g, moments) in group.moments[slot].iter_mut().enumerate() {
                let x = self.values[g * n_s + s];
                if x.is_nan() {
                    continue;
                }
                moments.add(if normalization.applied {
                    counts::normalise(x, totals[s], SAMPLE_SCALE)
                } else {
                    x
                });
            }
        }
        let mut notices = Vec::new();
        if !self.duplicates.is_empty() {
            notices.push(format!(
                "{} gene rows repeat a gene already read (first: \"{}\") and were left out; the first row of each gene counts",
                self.duplicates.len(),
                self.duplicates[0]
            ));
        }
        let replicated = opts.samples.as_ref().is_some_and(|s| s.has_replicates)
            || meta.iter().any(|m| m.replicate.is_some());
        let mut per_time: BTreeMap<(String, u64), usize> = BTreeMap::new();
        for (m, c) in meta.iter().zip(&conditions) {
            *per_time.entry((c.clone(), m.time.to_bits())).or_default() += 1;
        }
        if !replicated && per_time.values().any(|&n| n > 1) {
            notices.push(
                "several samples share a time and no replicate is named: they are taken as replicates of that time".into(),
            );
        }
        if per_time.values().all(|&n| n == 1) {
            notices.push(
                "one sample per time point: the standard error of each mean is unknown, so the Dynamics preset estimates the noise from the genes that vary least at each expression level".into(),
            );
        }
        let source = match &opts.samples {
            Some(sheet) => format!("sample sheet {}", sheet.name),
            None => "sample names".to_string(),
        };
        Ok(Tally {
            time_column: source,
            metadata_columns: (0..layout.headers.len())
                .filter(|c| !layout.samples.contains(c))
                .map(|c| layout.headers[c].clone())
                .collect(),
            genes: self.genes,
            cell_type_column: by_condition.then(|| "condition".to_string()),
            groups: groups.into_values().collect(),
            time_values: meta
                .iter()
                .zip(&names)
                .map(|(m, n)| TimeValue {
                    label: n.clone(),
                    time: Some(m.time),
                    unit: m.unit.clone(),
                    given: m.given,
                })
                .collect(),
            rows,
            bytes,
            format: InputFormat::BulkTable,
            normalization,
            notices,
        })
    }
}

/// A sample's time, replicate and condition, and whether the user gave them.
struct Meta {
    time: f64,
    unit: Option<String>,
    replicate: Option<String>,
    condition: Option<String>,
    given: bool,
}

/// Every sample's place, from the sheet (which must name exactly the table's samples), else
/// from the `Time values` the user typed and the names.
fn samples(
    names: &[String],
    layout: &BulkLayout,
    opts: &IngestOptions,
) -> Result<Vec<Meta>, IngestError> {
    if let Some(sheet) = &opts.samples {
        let missing: Vec<&String> = names.iter().filter(|n| sheet.row(n).is_none()).collect();
        let unknown: Vec<&String> = sheet
            .rows
            .iter()
            .map(|r| &r.sample)
            .filter(|s| !names.iter().any(|n| n.eq_ignore_ascii_case(s)))
            .collect();
        if !unknown.is_empty() || !missing.is_empty() {
            let list = |v: &[&String]| {
                let shown: Vec<String> = v.iter().take(10).map(|s| format!("\"{s}\"")).collect();
                format!(
                    "{}{}",
                    shown.join(", "),
                    if v.len() > 10 { ", ..." } else { "" }
                )
            };
            let mut parts = Vec::new();
            if !unknown.is_empty() {
                parts.push(format!(
                    "names {} sample(s) that are not columns of the table: {}",
                    unknown.len(),
                    list(&unknown)
                ));
            }
            if !missing.is_empty() {
                parts.push(format!(
                    "leaves out {} column(s) of the table: {}",
                    missing.len(),
                    list(&missing)
                ));
            }
            return Err(IngestError::File {
                file: sheet.name.clone(),
                message: format!("the sample sheet {}", parts.join("; and ")),
            });
        }
        return Ok(names
            .iter()
            .filter_map(|n| sheet.row(n))
            .map(|r| Meta {
                time: r.time,
                unit: None,
                replicate: r.replicate.clone(),
                condition: r.condition.clone(),
                given: true,
            })
            .collect());
    }
    let given: HashMap<&str, f64> = opts
        .time_values
        .iter()
        .map(|(l, t)| (l.as_str(), *t))
        .collect();
    let parsed = parse_sample_names(names);
    let readings: Vec<Reading> = parsed.iter().flatten().map(|p| p.time).collect();
    let (scaled, unit) = common_scale(&readings);
    let mut scaled = scaled.into_iter();
    let mut unmapped = Vec::new();
    let mut first_unmapped = None;
    let mut out = Vec::new();
    for ((n, p), &c) in names.iter().zip(parsed).zip(&layout.samples) {
        let from_name = p.as_ref().map(|_| scaled.next().unwrap_or(f64::NAN));
        let time = given.get(n.as_str()).copied().or(from_name);
        let Some(time) = time else {
            unmapped.push(n.clone());
            first_unmapped.get_or_insert(c);
            continue;
        };
        out.push(Meta {
            time,
            unit: unit
                .filter(|_| !given.contains_key(n.as_str()))
                .map(|u| u.name().to_string()),
            replicate: p.as_ref().and_then(|p| p.replicate.clone()),
            condition: p.and_then(|p| p.condition),
            given: given.contains_key(n.as_str()),
        });
    }
    // A name's prefix is a condition only when it recurs across times (`WT_0h_1`,
    // `WT_6h_1`); a per-sample prefix (`S1_0h`, `S2_6h`) is part of the replicate's name.
    let mut times_of: HashMap<&str, Vec<u64>> = HashMap::new();
    for m in &out {
        if let Some(c) = &m.condition {
            times_of.entry(c).or_default().push(m.time.to_bits());
        }
    }
    let real_conditions = times_of.len() * 2 <= out.len()
        && times_of.values_mut().all(|ts| {
            ts.sort_unstable();
            ts.dedup();
            ts.len() >= 2
        });
    if !real_conditions {
        for m in &mut out {
            if let Some(c) = m.condition.take() {
                m.replicate = Some(match m.replicate.take() {
                    Some(r) => format!("{c}_{r}"),
                    None => c,
                });
            }
        }
    }
    if let Some(c) = first_unmapped {
        return Err(IngestError::UnmappedTimes {
            at: Location::field(1, c, &layout.headers),
            labels: unmapped.into_iter().take(20).collect(),
        });
    }
    Ok(out)
}
