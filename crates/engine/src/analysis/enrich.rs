//! Enrichment of each cluster in the user's gene sets, offline: the gene-set file is read on
//! the user's machine and nothing is fetched.
//!
//! For each cluster and each set with at least [`MIN_SET_SIZE`] genes among the analysed genes
//! (the background: a gene that was not analysed could never be in a cluster), a one-sided
//! hypergeometric test of the overlap, then Benjamini–Hochberg across the sets tested for that
//! cluster (every tested set, also those with no gene in the cluster: a little more
//! conservative than correcting over the sets that overlap). It is the one-sided Fisher test of
//! clusterProfiler's `enricher` and Enrichr with the analysed genes as universe, without their
//! minimum set size of 10. Gene names are matched case-insensitively.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use statrs::distribution::{DiscreteCDF, Hypergeometric};
use thiserror::Error;
use vrnn_types::{EnrichedTerm, EnrichmentView};

use crate::change::benjamini_hochberg;

/// Sets with fewer genes among the analysed genes are not tested: one gene cannot be
/// "enriched", and each extra test weakens the correction of all the others.
pub const MIN_SET_SIZE: usize = 2;

/// Gene sets as read from a GMT file or a `gene,set` table, in file order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GeneSets {
    /// The file's name.
    pub source: String,
    /// Each set's name and genes (as written; duplicates within a set removed).
    pub sets: Vec<(String, Vec<String>)>,
}

/// Why a gene-set file could not be used.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum GeneSetError {
    #[error("{file}: not a text file (a GMT file or a gene,set table is plain text)")]
    NotText { file: String },
    #[error("{file}: no gene sets found; expected GMT lines (name, description, genes, tab-separated) or a two-column gene,set table")]
    Empty { file: String },
    #[error("{file}, line {line}: {what}")]
    Line {
        file: String,
        line: usize,
        what: String,
    },
}

impl GeneSets {
    /// Reads GMT (`name<TAB>description<TAB>gene…`) or a two-column table (`gene,set` or
    /// `set,gene` with a header naming them; without a header, gene first), comma- or
    /// tab-separated. The layout is recognised from the lines, not the file name.
    pub fn parse(file: &str, bytes: &[u8]) -> Result<GeneSets, GeneSetError> {
        let text =
            std::str::from_utf8(bytes).map_err(|_| GeneSetError::NotText { file: file.into() })?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let lines: Vec<(usize, &str)> = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
            .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'))
            .collect();
        let gmt = lines.iter().any(|(_, l)| l.split('\t').count() >= 3);
        let mut sets: BTreeMap<String, (usize, Vec<String>)> = BTreeMap::new();
        let mut add = |set: &str, gene: &str| {
            let gene = gene.trim();
            if gene.is_empty() {
                return;
            }
            let n = sets.len();
            let e = sets
                .entry(set.trim().to_string())
                .or_insert((n, Vec::new()));
            if !e.1.iter().any(|g| g.eq_ignore_ascii_case(gene)) {
                e.1.push(gene.to_string());
            }
        };
        let err = |line: usize, what: String| GeneSetError::Line {
            file: file.into(),
            line,
            what,
        };
        if gmt {
            for &(line, l) in &lines {
                let fields: Vec<&str> = l.split('\t').collect();
                if fields.len() < 3 || fields[0].trim().is_empty() {
                    return Err(err(line, format!("a GMT line needs a set name, a description and at least one gene, separated by tabs; found {} field(s)", fields.len())));
                }
                for g in &fields[2..] {
                    add(fields[0], g);
                }
            }
        } else {
            let sep = if lines.iter().any(|(_, l)| l.contains('\t')) {
                '\t'
            } else {
                ','
            };
            let mut gene_col = 0;
            let mut body = &lines[..];
            if let Some(&(_, first)) = lines.first() {
                let head: Vec<String> = first
                    .split(sep)
                    .map(|h| h.trim().trim_matches('"').to_ascii_lowercase())
                    .collect();
                let is_gene = |h: &str| matches!(h, "gene" | "genes" | "symbol" | "gene_symbol");
                let is_set =
                    |h: &str| matches!(h, "set" | "gene_set" | "term" | "pathway" | "geneset");
                if head.len() == 2 && (is_gene(&head[0]) || is_set(&head[0])) {
                    gene_col = if is_gene(&head[0]) { 0 } else { 1 };
                    body = &lines[1..];
                }
            }
            for &(line, l) in body {
                let fields: Vec<&str> = l.split(sep).map(|f| f.trim().trim_matches('"')).collect();
                if fields.len() != 2 {
                    let what = format!(
                        "a gene-set table row needs two fields (gene and set); found {}",
                        fields.len()
                    );
                    return Err(err(line, what));
                }
                add(fields[1 - gene_col], fields[gene_col]);
            }
        }
        let mut sets: Vec<(usize, String, Vec<String>)> =
            sets.into_iter().map(|(k, (i, g))| (i, k, g)).collect();
        sets.sort_by_key(|s| s.0);
        let sets: Vec<(String, Vec<String>)> = sets
            .into_iter()
            .filter(|s| !s.2.is_empty())
            .map(|(_, k, g)| (k, g))
            .collect();
        if sets.is_empty() {
            return Err(GeneSetError::Empty { file: file.into() });
        }
        Ok(GeneSets {
            source: file.into(),
            sets,
        })
    }

    /// Distinct genes named in the file (case-insensitively).
    pub fn n_genes(&self) -> usize {
        let mut all: Vec<String> = self
            .sets
            .iter()
            .flat_map(|s| s.1.iter().map(|g| g.to_ascii_uppercase()))
            .collect();
        all.sort_unstable();
        all.dedup();
        all.len()
    }
}

/// P(X ≥ x) for the overlap X of a draw of `n` from `population` genes of which `successes`
/// are in the set.
pub fn hypergeometric_tail(population: u64, successes: u64, n: u64, x: u64) -> f64 {
    if x == 0 {
        return 1.0;
    }
    Hypergeometric::new(population, successes, n).map_or(f64::NAN, |h| h.sf(x - 1))
}

/// Every cluster's enrichment; `labels` are 0-based clusters of `genes`. Each cluster's terms
/// come smallest p first (ties: larger fold, then set order).
pub fn enrichment(sets: &GeneSets, genes: &[String], labels: &[usize], k: usize) -> EnrichmentView {
    let index: HashMap<String, usize> = genes
        .iter()
        .enumerate()
        .map(|(i, g)| (g.to_ascii_uppercase(), i))
        .collect();
    let members: Vec<Vec<usize>> = sets
        .sets
        .iter()
        .map(|(_, gs)| {
            let mut m: Vec<usize> = gs
                .iter()
                .filter_map(|g| index.get(&g.to_ascii_uppercase()).copied())
                .collect();
            m.sort_unstable();
            m.dedup();
            m
        })
        .collect();
    let tested: Vec<usize> = (0..members.len())
        .filter(|&s| members[s].len() >= MIN_SET_SIZE)
        .collect();
    let mut found = vec![false; genes.len()];
    for m in &members {
        for &g in m {
            found[g] = true;
        }
    }
    let mut sizes = vec![0usize; k];
    for &l in labels {
        sizes[l] += 1;
    }
    let population = genes.len() as u64;
    let clusters = (0..k)
        .map(|c| {
            let mut terms: Vec<(usize, EnrichedTerm)> = tested
                .iter()
                .map(|&s| {
                    let overlap: Vec<usize> = members[s]
                        .iter()
                        .copied()
                        .filter(|&g| labels[g] == c)
                        .collect();
                    let (x, big_k, n) = (overlap.len(), members[s].len(), sizes[c]);
                    let fold = if n == 0 {
                        0.0
                    } else {
                        (x as f64 / n as f64) / (big_k as f64 / population as f64)
                    };
                    let term = EnrichedTerm {
                        set: sets.sets[s].0.clone(),
                        overlap: x,
                        set_size: big_k,
                        fold,
                        p: hypergeometric_tail(population, big_k as u64, n as u64, x as u64),
                        q: 1.0,
                        genes: overlap.iter().map(|&g| genes[g].clone()).collect(),
                    };
                    (s, term)
                })
                .collect();
            let q = benjamini_hochberg(&terms.iter().map(|t| t.1.p).collect::<Vec<_>>());
            for (t, q) in terms.iter_mut().zip(q) {
                t.1.q = q;
            }
            // A set with no gene in the cluster says nothing about it (p = 1): not listed.
            terms.retain(|t| t.1.overlap > 0);
            terms.sort_by(|a, b| {
                a.1.p
                    .total_cmp(&b.1.p)
                    .then(b.1.fold.total_cmp(&a.1.fold))
                    .then(a.0.cmp(&b.0))
            });
            terms.into_iter().map(|t| t.1).collect()
        })
        .collect();
    EnrichmentView {
        source: sets.source.clone(),
        sets: sets.sets.len(),
        sets_tested: tested.len(),
        genes_in_file: sets.n_genes(),
        genes_found: found.iter().filter(|&&f| f).count(),
        clusters,
    }
}

#[cfg(test)]
mod tests;
