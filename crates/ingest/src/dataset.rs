//! The per-time summary that the model trains on and the plots show, and the choice of genes
//! a run keeps.

use serde::{Deserialize, Serialize};

/// The per-time summary of a data set: what the model trains on and the plots show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    pub time_column: String,
    /// Columns recognised as metadata and left out of the genes.
    pub metadata_columns: Vec<String>,
    /// Distinct time values, ascending.
    pub times: Vec<f64>,
    pub genes: Vec<String>,
    pub n_cells: u64,
    pub cells_per_time: Vec<u64>,
    /// Genes × times, row-major: mean expression of each gene over the cells of each time.
    pub means: Vec<f32>,
    /// Genes × times, row-major: standard error of each mean (0 when fewer than two cells).
    pub std_errors: Vec<f32>,
    /// Each gene's variance over all cells (all time points together), from the same pass:
    /// what "most variable genes" ranks by.
    #[serde(default)]
    pub variances: Vec<f64>,
    /// Genes × times: mean of e^x − 1 over the cells, i.e. the mean normalised count when the
    /// values are log1p(normalised count). Empty when a value was not on that scale (negative,
    /// or above 30), and in sessions saved before it existed.
    #[serde(default)]
    pub linear_means: Vec<f32>,
    /// Genes × times: mean of e^−x over the cells (the same condition). With `linear_means`,
    /// what the engine needs to undo a compositional shift of the counts in log1p units.
    #[serde(default)]
    pub exp_neg_means: Vec<f32>,
}

/// Which genes a run keeps, and what was left out.
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    pub dataset: Dataset,
    /// Genes dropped because they never vary (constant in every cell).
    pub constant: Vec<String>,
    /// Varying genes left out: not among the top of the ranking.
    pub not_variable_enough: usize,
    /// Genes the rule would keep before the top is taken (every varying gene for the
    /// variance; the genes that pass the test for change over time).
    pub eligible: usize,
    /// Requested genes of interest that were kept although not among the most variable.
    pub kept_of_interest: Vec<String>,
}

impl Dataset {
    pub fn n_genes(&self) -> usize {
        self.genes.len()
    }
    pub fn n_times(&self) -> usize {
        self.times.len()
    }
    /// The genes a run trains on: genes that vary at all, at most `top` of them ranked by
    /// variance over all cells (ties by column order), plus every gene named in `keep` that
    /// exists (matched case-insensitively), in the file's column order.
    pub fn select(&self, top: Option<usize>, keep: &[String]) -> Selection {
        let mut ranked = self.varying();
        ranked.sort_by(|&a, &b| {
            let va = self.variances.get(a).copied().unwrap_or(0.0);
            let vb = self.variances.get(b).copied().unwrap_or(0.0);
            vb.total_cmp(&va).then(a.cmp(&b))
        });
        self.select_ranked(&ranked, top, keep)
    }

    /// Genes that vary at all (every gene when the variances are unknown).
    fn varying(&self) -> Vec<usize> {
        (0..self.n_genes())
            .filter(|&g| self.variances.get(g).is_none_or(|&v| v > 0.0))
            .collect()
    }

    /// The first `top` genes of `ranked` (every gene a rule would keep, best first), plus the
    /// varying genes named in `keep`, in the file's column order.
    pub fn select_ranked(
        &self,
        ranked: &[usize],
        top: Option<usize>,
        keep: &[String],
    ) -> Selection {
        let n = self.n_genes();
        let varying = self.varying();
        let constant: Vec<String> = (0..n)
            .filter(|&g| self.variances.get(g).is_some_and(|&v| v <= 0.0))
            .map(|g| self.genes[g].clone())
            .collect();
        let top = top.unwrap_or(ranked.len()).min(ranked.len());
        let mut chosen = vec![false; n];
        for &g in &ranked[..top] {
            chosen[g] = true;
        }
        let mut kept_of_interest = Vec::new();
        for name in keep {
            if let Some(g) = varying
                .iter()
                .copied()
                .find(|&g| self.genes[g].eq_ignore_ascii_case(name.trim()))
            {
                if !chosen[g] {
                    chosen[g] = true;
                    kept_of_interest.push(self.genes[g].clone());
                }
            }
        }
        let idx: Vec<usize> = (0..n).filter(|&g| chosen[g]).collect();
        let t = self.n_times();
        let pick = |v: &[f32]| -> Vec<f32> {
            if v.is_empty() {
                return Vec::new();
            }
            idx.iter()
                .flat_map(|&g| v[g * t..(g + 1) * t].iter().copied())
                .collect()
        };
        let dataset = Dataset {
            genes: idx.iter().map(|&g| self.genes[g].clone()).collect(),
            means: pick(&self.means),
            std_errors: pick(&self.std_errors),
            linear_means: pick(&self.linear_means),
            exp_neg_means: pick(&self.exp_neg_means),
            variances: idx
                .iter()
                .map(|&g| self.variances.get(g).copied().unwrap_or(0.0))
                .collect(),
            ..self.clone()
        };
        Selection {
            not_variable_enough: varying.len().saturating_sub(top),
            eligible: ranked.len(),
            dataset,
            constant,
            kept_of_interest,
        }
    }

    /// Whether the data set carries the sums a compositional correction needs.
    pub fn has_linear_means(&self) -> bool {
        !self.linear_means.is_empty() && self.linear_means.len() == self.means.len()
    }

    /// The observed trajectory of one gene.
    pub fn gene_means(&self, gene: usize) -> &[f32] {
        let t = self.n_times();
        &self.means[gene * t..(gene + 1) * t]
    }
}
