//! Genes that change over time: a per-gene test that the mean differs across time points,
//! computed from the per-time tallies the reader already made (cells, mean and standard error
//! per time point), so it costs no second pass over the file.
//!
//! Why a test and not the variance: the variance over all cells mostly ranks genes by how
//! highly they are expressed (count noise grows with the mean), so "most variable" keeps many
//! flat, highly expressed genes and drops weak but real responders. maSigPro, TCseq and
//! ImpulseDE2 test for change over time before clustering for the same reason.
//!
//! The test is the one-way ANOVA F-test (time points as groups). Where the per-time variances
//! differ by more than [`WELCH_RATIO`] (and none is zero), Welch's form is used instead, which
//! does not assume equal variances; a gene that is exactly constant at some time (all zeros
//! before induction, common in single-cell data) keeps the classic form, where Welch's weights
//! would be infinite.

use serde::{Deserialize, Serialize};
use statrs::function::beta::checked_beta_reg;

use crate::ingest::Dataset;

/// Largest ratio of per-time variances for which the classic F-test is used: the usual rule
/// of thumb for when the equal-variance assumption stops being safe.
pub const WELCH_RATIO: f64 = 4.0;

/// The change test of one gene. F and the effect are infinite for a gene that is constant
/// within every time point but not across them, and F is NaN for a constant gene: such values
/// are written to JSON as strings ([`non_finite`]), since JSON numbers cannot hold them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ChangeTest {
    #[serde(with = "non_finite")]
    pub f: f64,
    #[serde(with = "non_finite")]
    pub df1: f64,
    #[serde(with = "non_finite")]
    pub df2: f64,
    #[serde(with = "non_finite")]
    pub p: f64,
    /// The range of the per-time means in pooled within-time standard deviations.
    #[serde(with = "non_finite")]
    pub effect: f64,
    /// Welch's form was used.
    pub welch: bool,
}

/// One gene of the data set as read: its summary and its change test (`genes.csv`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeneStat {
    pub gene: String,
    /// Mean over all cells (or samples).
    pub mean: f64,
    /// Variance over all cells: what `Most variable` ranks by (NaN when unknown).
    #[serde(with = "non_finite")]
    pub variance: f64,
    pub test: ChangeTest,
    /// Benjamini–Hochberg q-value over every gene of the data set.
    pub q: f64,
    /// Kept for training and analysis.
    pub analysed: bool,
}

/// The upper tail of the F distribution, P(F > f), accurate for very small p: the incomplete
/// beta is evaluated at d2/(d2 + d1·f) directly rather than through 1 − d1·f/(d1·f + d2).
pub fn f_sf(f: f64, df1: f64, df2: f64) -> f64 {
    if f.is_nan() || df1 <= 0.0 || df2 <= 0.0 {
        return f64::NAN;
    }
    if f <= 0.0 {
        return 1.0;
    }
    if f.is_infinite() {
        return 0.0;
    }
    // Checked: statrs panics on arguments outside the domain, and a panic kills the page.
    checked_beta_reg(df2 / 2.0, df1 / 2.0, df2 / (df2 + df1 * f)).unwrap_or(f64::NAN)
}

/// The change test from per-group counts, means and standard errors of the mean.
pub fn change_test(n: &[u64], means: &[f32], std_errors: &[f32]) -> ChangeTest {
    let groups: Vec<(f64, f64, f64)> = n
        .iter()
        .zip(means)
        .zip(std_errors)
        .filter(|((&n, _), _)| n > 0)
        .map(|((&n, &m), &se)| {
            let n = n as f64;
            (n, f64::from(m), f64::from(se).powi(2) * n)
        })
        .collect();
    let k = groups.len() as f64;
    let total: f64 = groups.iter().map(|g| g.0).sum();
    let ss_within: f64 = groups.iter().map(|&(n, _, v)| (n - 1.0) * v).sum();
    let (lo, hi) = groups
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |a, g| {
            (a.0.min(g.1), a.1.max(g.1))
        });
    let df_within = total - k;
    let pooled_sd = (ss_within / df_within).sqrt();
    let range = if groups.is_empty() { 0.0 } else { hi - lo };
    let effect = if range <= 0.0 {
        0.0
    } else if pooled_sd > 0.0 {
        range / pooled_sd
    } else {
        f64::INFINITY
    };
    if k < 2.0 || df_within < 1.0 {
        return ChangeTest {
            f: f64::NAN,
            df1: k - 1.0,
            df2: df_within,
            p: 1.0,
            effect,
            welch: false,
        };
    }
    let (vmin, vmax) = groups
        .iter()
        .fold((f64::INFINITY, 0f64), |a, g| (a.0.min(g.2), a.1.max(g.2)));
    let welch = vmin > 0.0 && vmax / vmin > WELCH_RATIO && groups.iter().all(|g| g.0 >= 2.0);
    let (f, df1, df2) = if welch {
        let w: Vec<f64> = groups.iter().map(|&(n, _, v)| n / v).collect();
        let sw: f64 = w.iter().sum();
        let mw: f64 = groups.iter().zip(&w).map(|(g, w)| w * g.1).sum::<f64>() / sw;
        let a: f64 = groups
            .iter()
            .zip(&w)
            .map(|(g, w)| w * (g.1 - mw).powi(2))
            .sum::<f64>()
            / (k - 1.0);
        let tmp: f64 = groups
            .iter()
            .zip(&w)
            .map(|(g, w)| (1.0 - w / sw).powi(2) / (g.0 - 1.0))
            .sum();
        let b = 1.0 + 2.0 * (k - 2.0) / (k * k - 1.0) * tmp;
        (a / b, k - 1.0, (k * k - 1.0) / (3.0 * tmp))
    } else {
        let grand: f64 = groups.iter().map(|g| g.0 * g.1).sum::<f64>() / total;
        let ss_between: f64 = groups.iter().map(|g| g.0 * (g.1 - grand).powi(2)).sum();
        let ms_within = ss_within / df_within;
        let f = if ms_within > 0.0 {
            ss_between / (k - 1.0) / ms_within
        } else if ss_between > 0.0 {
            f64::INFINITY
        } else {
            f64::NAN
        };
        (f, k - 1.0, df_within)
    };
    let p = if f.is_nan() { 1.0 } else { f_sf(f, df1, df2) };
    ChangeTest {
        f,
        df1,
        df2,
        p,
        effect,
        welch,
    }
}

/// Benjamini–Hochberg q-values (step-up, monotone), in the order of `p`. NaN counts as 1.
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let pv = |i: usize| if p[i].is_nan() { 1.0 } else { p[i] };
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| pv(b).total_cmp(&pv(a)).then(b.cmp(&a)));
    let mut q = vec![1.0; m];
    let mut running = 1f64;
    for (rank_from_top, &i) in order.iter().enumerate() {
        let rank = (m - rank_from_top) as f64;
        running = running.min(pv(i) * m as f64 / rank);
        q[i] = running.min(1.0);
    }
    q
}

/// Every gene of `d` with its change test and q-value; `analysed` is false for all until a
/// selection marks them ([`mark_analysed`]).
pub fn gene_stats(d: &Dataset) -> Vec<GeneStat> {
    let t = d.n_times();
    let tests: Vec<ChangeTest> = (0..d.n_genes())
        .map(|g| {
            change_test(
                &d.cells_per_time,
                &d.means[g * t..(g + 1) * t],
                &d.std_errors[g * t..(g + 1) * t],
            )
        })
        .collect();
    let q = benjamini_hochberg(&tests.iter().map(|t| t.p).collect::<Vec<_>>());
    let total: f64 = d.cells_per_time.iter().map(|&n| n as f64).sum();
    (0..d.n_genes())
        .map(|g| {
            let mean = d
                .cells_per_time
                .iter()
                .zip(d.gene_means(g))
                .map(|(&n, &m)| n as f64 * f64::from(m))
                .sum::<f64>()
                / total.max(1.0);
            GeneStat {
                gene: d.genes[g].clone(),
                mean,
                variance: d.variances.get(g).copied().unwrap_or(f64::NAN),
                test: tests[g],
                q: q[g],
                analysed: false,
            }
        })
        .collect()
}

/// Marks the genes a selection kept (by name: selected names are unique column names).
pub fn mark_analysed(stats: &mut [GeneStat], kept: &[String]) {
    let kept: std::collections::HashSet<&str> = kept.iter().map(String::as_str).collect();
    for s in stats {
        s.analysed = kept.contains(s.gene.as_str());
    }
}

/// The genes `Changing over time` keeps, strongest effect first (ties by larger F, then gene
/// order): q below `fdr` and effect above `min_effect`.
pub fn changing_genes(stats: &[GeneStat], fdr: f64, min_effect: f64) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..stats.len())
        .filter(|&g| stats[g].q < fdr && stats[g].test.effect > min_effect)
        .collect();
    idx.sort_by(|&a, &b| {
        let (sa, sb) = (&stats[a].test, &stats[b].test);
        sb.effect
            .total_cmp(&sa.effect)
            .then(sb.f.total_cmp(&sa.f))
            .then(a.cmp(&b))
    });
    idx
}

/// Floats that may be NaN or infinite, in JSON: finite ones as numbers, the others as the
/// strings `"NaN"`, `"inf"`, `"-inf"` (serde_json would write `null`, which does not read back).
pub mod non_finite {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.is_finite() {
            s.serialize_f64(*v)
        } else if v.is_nan() {
            s.serialize_str("NaN")
        } else if *v > 0.0 {
            s.serialize_str("inf")
        } else {
            s.serialize_str("-inf")
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Value {
            Number(f64),
            Text(String),
            Null(()),
        }
        Ok(match Value::deserialize(d)? {
            Value::Number(v) => v,
            Value::Text(t) if t == "inf" => f64::INFINITY,
            Value::Text(t) if t == "-inf" => f64::NEG_INFINITY,
            Value::Text(_) | Value::Null(()) => f64::NAN,
        })
    }
}

#[cfg(test)]
mod tests;
