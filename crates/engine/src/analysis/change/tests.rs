//! Against numbers from scipy and statsmodels, computed once by `reference.py` beside this file
//! (`python3 reference.py` with scipy 1.17.1 and statsmodels 0.15.0 from PyPI).

use super::*;

/// Cells, mean and standard error per group, as the reader tallies them (single precision).
fn tally(groups: &[&[f64]]) -> (Vec<u64>, Vec<f32>, Vec<f32>) {
    let mut n = Vec::new();
    let mut m = Vec::new();
    let mut se = Vec::new();
    for g in groups {
        let len = g.len() as f64;
        let mean = g.iter().sum::<f64>() / len;
        let var = g.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (len - 1.0);
        n.push(g.len() as u64);
        m.push(mean as f32);
        se.push((var / len).sqrt() as f32);
    }
    (n, m, se)
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs()
}

#[test]
fn equal_variances_give_scipy_f_oneway() {
    let (n, m, se) = tally(&[
        &[0.1, 0.4, 0.3, 0.2, 0.5],
        &[1.1, 0.9, 1.4, 1.0],
        &[0.6, 0.8, 0.7, 0.9, 0.5, 0.7],
    ]);
    let t = change_test(&n, &m, &se);
    assert!(!t.welch);
    assert_eq!((t.df1, t.df2), (2.0, 12.0));
    assert!(close(t.f, 25.223529411764662, 1e-5), "{}", t.f);
    assert!(close(t.p, 5.0351863173638095e-05, 1e-4), "{}", t.p);
}

#[test]
fn unequal_variances_give_scipy_welch_anova() {
    let (n, m, se) = tally(&[
        &[0.1, 0.12, 0.11, 0.13],
        &[0.5, 1.5, 0.2, 2.1, 1.0],
        &[0.3, 0.35, 0.32, 0.36, 0.31],
    ]);
    let t = change_test(&n, &m, &se);
    assert!(t.welch);
    assert!(close(t.f, 120.12636816812102, 1e-4), "{}", t.f);
    assert!(close(t.p, 7.988330037450559e-06, 1e-3), "{}", t.p);
}

#[test]
fn the_f_tail_stays_accurate_far_out() {
    assert!(close(
        f_sf(250.0, 4.0, 1500.0),
        1.2359596233128839e-164,
        1e-6
    ));
    assert_eq!(f_sf(0.0, 2.0, 10.0), 1.0);
}

#[test]
fn bh_gives_statsmodels_fdr_bh() {
    let q = benjamini_hochberg(&[0.01, 0.04, 0.03, 0.2, 0.001, 0.5]);
    let want = [0.03, 0.06, 0.06, 0.24, 0.006, 0.5];
    for (a, b) in q.iter().zip(want) {
        assert!(close(*a, b, 1e-12), "{q:?}");
    }
}

#[test]
fn a_flat_gene_has_no_effect_and_a_gene_off_before_induction_is_tested() {
    let flat = change_test(&[10, 10], &[1.0, 1.0], &[0.1, 0.1]);
    assert_eq!(flat.effect, 0.0);
    assert!(close(flat.p, 1.0, 1e-9));
    // Zero at time 0 in every cell: classic form (Welch's weight would be infinite).
    let (n, m, se) = tally(&[&[0.0, 0.0, 0.0], &[1.0, 2.0, 1.5]]);
    let t = change_test(&n, &m, &se);
    assert!(!t.welch && t.p < 0.05 && t.effect > 1.0, "{t:?}");
}

#[test]
fn changing_genes_rank_by_effect_and_respect_the_fdr() {
    let stat = |gene: &str, effect: f64, q: f64| GeneStat {
        gene: gene.into(),
        mean: 1.0,
        variance: 1.0,
        test: ChangeTest {
            f: 10.0,
            df1: 1.0,
            df2: 10.0,
            p: q,
            effect,
            welch: false,
        },
        q,
        analysed: false,
    };
    let s = [
        stat("a", 0.5, 0.01),
        stat("b", 2.0, 0.01),
        stat("c", 3.0, 0.2),
        stat("d", 0.1, 0.001),
    ];
    assert_eq!(changing_genes(&s, 0.05, 0.2), vec![1, 0]);
}

#[test]
fn non_finite_statistics_survive_a_session_round_trip() {
    // Constant within each time point, different across: F and the effect are infinite. A
    // constant gene: F is NaN.
    let step = change_test(&[3, 3], &[0.0, 1.0], &[0.0, 0.0]);
    assert!(
        step.f.is_infinite() && step.effect.is_infinite() && step.p == 0.0,
        "{step:?}"
    );
    let flat = change_test(&[3, 3], &[1.0, 1.0], &[0.0, 0.0]);
    assert!(
        flat.f.is_nan() && flat.p == 1.0 && flat.effect == 0.0,
        "{flat:?}"
    );
    for t in [step, flat] {
        let json = serde_json::to_string(&t).unwrap();
        let back: ChangeTest = serde_json::from_str(&json).unwrap();
        assert_eq!(format!("{back:?}"), format!("{t:?}"), "{json}");
    }
}
