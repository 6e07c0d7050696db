//! Tail probabilities against scipy (`crates/engine/src/analysis/change/reference.py`,
//! scipy 1.17.1: `stats.hypergeom.sf(x - 1, M, n, N)`).

use super::*;

#[test]
fn hypergeometric_tails_equal_scipy() {
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b;
    // P(X >= 8), 100 drawn from 2000 of which 40 in the set.
    assert!(close(
        hypergeometric_tail(2000, 40, 100, 8),
        0.000599387359506571
    ));
    assert!(close(
        hypergeometric_tail(20000, 200, 300, 12),
        5.187245060354875e-05
    ));
    assert_eq!(hypergeometric_tail(2000, 40, 100, 0), 1.0);
}

#[test]
fn reads_gmt_and_two_column_tables_alike() {
    let gmt = GeneSets::parse(
        "h.gmt",
        b"UP\tdesc\tIRF1\tstat1\tIRF1\nDOWN\thttp://x\tMYC\n",
    )
    .unwrap();
    assert_eq!(gmt.sets.len(), 2);
    assert_eq!(
        gmt.sets[0],
        ("UP".into(), vec!["IRF1".into(), "stat1".into()])
    );
    let table = GeneSets::parse("t.csv", b"set,gene\nUP,IRF1\nUP,stat1\nDOWN,MYC\n").unwrap();
    assert_eq!(table.sets, gmt.sets);
    let bare = GeneSets::parse("t.tsv", b"IRF1\tUP\r\nstat1\tUP\r\nMYC\tDOWN\r\n").unwrap();
    assert_eq!(bare.sets, gmt.sets);
    assert_eq!(gmt.n_genes(), 3);
}

#[test]
fn bad_files_say_where() {
    let e = GeneSets::parse("h.gmt", b"A\td\tX\nB\tonly-two\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "h.gmt, line 2: a GMT line needs a set name, a description and at least one gene, separated by tabs; found 2 field(s)"
    );
    let e = GeneSets::parse("t.csv", b"gene,set\nA,S\nB,S,extra\n").unwrap_err();
    assert!(
        e.to_string()
            .starts_with("t.csv, line 3: a gene-set table row needs two fields"),
        "{e}"
    );
    assert!(matches!(
        GeneSets::parse("e.gmt", b"\n# only a comment\n"),
        Err(GeneSetError::Empty { .. })
    ));
    assert!(matches!(
        GeneSets::parse("b.gmt", &[0xff, 0xfe, 0x00]),
        Err(GeneSetError::NotText { .. })
    ));
}

#[test]
fn a_planted_module_is_its_clusters_top_term() {
    // 40 genes, two clusters of 20; set M holds cluster 0's first 15 genes and one of
    // cluster 1's, D is spread evenly.
    let genes: Vec<String> = (0..40).map(|i| format!("G{i}")).collect();
    let labels: Vec<usize> = (0..40).map(|i| usize::from(i >= 20)).collect();
    let mut m: Vec<String> = (0..15).map(|i| format!("g{i}")).collect();
    m.push("G25".into());
    let d: Vec<String> = (0..40).step_by(4).map(|i| format!("G{i}")).collect();
    let sets = GeneSets {
        source: "s.gmt".into(),
        sets: vec![
            ("D".into(), d),
            ("M".into(), m),
            ("ABSENT".into(), vec!["X".into(), "Y".into()]),
        ],
    };
    let e = enrichment(&sets, &genes, &labels, 2);
    assert_eq!(
        (e.sets, e.sets_tested, e.genes_in_file, e.genes_found),
        (3, 2, 24, 22)
    );
    let top = &e.clusters[0][0];
    assert_eq!((top.set.as_str(), top.overlap, top.set_size), ("M", 15, 16));
    assert!((top.fold - (15.0 / 20.0) / (16.0 / 40.0)).abs() < 1e-12);
    assert!((top.p - hypergeometric_tail(40, 16, 20, 15)).abs() < 1e-15);
    assert!(top.q >= top.p && top.q <= 1.0);
    assert_eq!(top.genes[0], "G0");
    assert_ne!(e.clusters[1][0].set, "M");
}
