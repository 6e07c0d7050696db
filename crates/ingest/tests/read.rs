//! Reading real-world tables: layouts, encodings, cell types. The bad inputs, each with its
//! message (what is wrong and where), are in the one catalogue that tests/catalogue.rs reads.

mod common;

use vrnn_ingest::{ingest, read_table, Dataset, Ingest, IngestError, IngestOptions};

fn read(s: &str) -> Result<Dataset, IngestError> {
    read_table(s.as_bytes(), &IngestOptions::default())
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

#[test]
fn seed_layout_gives_per_time_means() {
    let csv = "Cell_ID,Cell_Type,Time_numeric,IRF1,CXCL9\n\
               c1,T,3,1.0,0\nc2,T,0,2.0,1\nc3,B,3,3.0,2\nc4,B,0,4.0,NA\n";
    let d = read(csv).unwrap();
    assert_eq!(d.time_column, "Time_numeric");
    assert_eq!(d.metadata_columns, vec!["Cell_ID", "Cell_Type"]);
    assert_eq!(d.times, vec![0.0, 3.0]);
    assert_eq!(d.genes, vec!["IRF1", "CXCL9"]);
    assert_eq!(d.n_cells, 4);
    assert_eq!(d.cells_per_time, vec![2, 2]);
    assert_eq!(d.gene_means(0), &[3.0, 2.0]);
    // NA skipped: CXCL9 at t=0 is the mean of the one value present.
    assert_eq!(d.gene_means(1), &[1.0, 1.0]);
    // IRF1 at t=0: values 2 and 4, sd sqrt(2), se 1.
    assert!((d.std_errors[0] - 1.0).abs() < 1e-6);
}

#[test]
fn linear_means_count_zeros_and_need_a_log1p_scale() {
    // log1p of counts 0 and 3 at t=0, 1 and 1 at t=3; "0" takes the reader's zero shortcut.
    let l3 = 3f64.ln_1p();
    let l1 = 1f64.ln_1p();
    let csv = format!("Cell_ID,Time,G\nc1,0,0\nc2,0,{l3}\nc3,3,{l1}\nc4,3,{l1}\n");
    let d = read(&csv).unwrap();
    assert!(d.has_linear_means());
    let close = |a: f32, b: f64| assert!((a as f64 - b).abs() < 1e-6, "{a} vs {b}");
    close(d.linear_means[0], 1.5);
    close(d.linear_means[1], 1.0);
    close(d.exp_neg_means[0], (1.0 + 0.25) / 2.0);
    close(d.exp_neg_means[1], 0.5);
    // A negative value (z-scores, say) means the values are not log1p counts.
    let d = read("Cell_ID,Time,G\nc1,0,-0.5\nc2,0,1\nc3,3,2\nc4,3,1\n").unwrap();
    assert!(!d.has_linear_means() && d.linear_means.is_empty());
}

#[test]
fn cell_types_are_counted_and_filtered_without_reading_again() {
    let csv = "Cell_ID,Cell_Type,Time,IRF1\n\
               c1,T,3,1\nc2,T,0,2\nc3,B,3,3\nc4,B,0,4\nc5,B,3,5\n";
    let tally = ingest(csv.as_bytes(), &IngestOptions::default()).unwrap();
    assert_eq!(tally.cell_type_column.as_deref(), Some("Cell_Type"));
    let types: Vec<(String, u64)> = tally
        .cell_types()
        .into_iter()
        .map(|t| (t.name, t.cells))
        .collect();
    assert_eq!(types, vec![("B".into(), 3), ("T".into(), 2)]);
    let b = tally.dataset(Some("B")).unwrap();
    assert_eq!(b.n_cells, 3);
    assert_eq!(b.cells_per_time, vec![1, 2]);
    assert_eq!(b.gene_means(0), &[4.0, 4.0]);
    let all = tally.dataset(None).unwrap();
    assert_eq!(all.n_cells, 5);
    assert_eq!(all.gene_means(0), &[3.0, 3.0]);
    // Its message is in the bad-input catalogue (tests/catalogue.rs).
    assert!(matches!(
        tally.dataset(Some("NK")),
        Err(IngestError::UnknownCellType { .. })
    ));
    // A type seen at one time only cannot make a time course.
    let one = "Cell_Type,Time,G\nT,0,1\nT,3,2\nB,3,1\n";
    let tally = ingest(one.as_bytes(), &IngestOptions::default()).unwrap();
    assert!(matches!(
        tally.dataset(Some("B")),
        Err(IngestError::SingleTimePoint { .. })
    ));
    // The CLI's way: a type in the options.
    let opts = IngestOptions {
        cell_type: Some("T".into()),
        ..IngestOptions::default()
    };
    assert_eq!(read_table(csv.as_bytes(), &opts).unwrap().n_cells, 2);
}

#[test]
fn an_id_column_named_type_is_not_a_cell_type() {
    let mut csv = String::from("Type,Time,G\n");
    for i in 0..500 {
        csv += &format!("cell{i},{},{}\n", i % 2, i % 7);
    }
    let tally = ingest(csv.as_bytes(), &IngestOptions::default()).unwrap();
    assert_eq!(tally.cell_type_column, None);
    assert!(tally.cell_types().is_empty());
    let d = tally.dataset(None).unwrap();
    assert_eq!(d.n_cells, 500);
    assert_eq!(d.cells_per_time, vec![250, 250]);
}

#[test]
fn time_detected_by_values_when_no_name_matches() {
    let csv = "PseudoCellID,kind,hrs,G1\na,x,0,1\nd,x,0,1\nb,x,6,2\nc,y,6,4\n";
    let d = read(csv).unwrap();
    assert_eq!(d.time_column, "hrs");
    assert_eq!(d.gene_means(0), &[1.0, 3.0]);
}

#[test]
fn a_mostly_zero_gene_is_never_taken_for_time() {
    // The case: 492 cells at 0 and eight single cells at other values.
    let mut csv = String::from("Cell,GENE0001,GENE0002\n");
    for i in 0..500 {
        let g1 = if i % 61 == 7 {
            (i % 9 + 1).to_string()
        } else {
            "0".into()
        };
        csv.push_str(&format!("c{i},{g1},{}\n", i % 3));
    }
    match read(&csv) {
        Err(IngestError::NoTimeColumn { candidates }) => {
            assert_eq!(candidates, vec!["Cell".to_string(), "GENE0001".to_string()])
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn time_labels_are_read_as_numbers_and_shown() {
    let csv = "cell,timepoint,G1\na,6h,1\nb,6h,3\nc,1d,5\nd,30min,7\n";
    let tally = vrnn_ingest::ingest(csv.as_bytes(), &IngestOptions::default()).unwrap();
    let d = tally.dataset(None).unwrap();
    assert_eq!(d.times, vec![0.5, 6.0, 24.0]);
    assert_eq!(d.gene_means(0), &[7.0, 2.0, 5.0]);
    assert_eq!(
        common::labels(&tally),
        vec![
            ("1d".into(), Some(24.0)),
            ("30min".into(), Some(0.5)),
            ("6h".into(), Some(6.0))
        ]
    );
    // Labels found by value alone, with no time-like name.
    let csv = "cell,stage,G1\na,D3,1\nb,D3,3\nc,D14,5\nd,D14,7\n";
    let d = read(csv).unwrap();
    assert_eq!(
        (d.time_column.as_str(), d.times.clone()),
        ("stage", vec![3.0, 14.0])
    );
    // Every label without a time is named at once; the user's times win over the labels.
    let csv = "cell,time,G1\na,early,1\nb,late,3\nc,6h,5\nd,late,7\n";
    match read(csv) {
        Err(IngestError::UnmappedTimes { at, labels }) => {
            assert_eq!(at.line, 2);
            assert_eq!(labels, vec!["early".to_string(), "late".to_string()]);
        }
        other => panic!("{other:?}"),
    }
    let opts = IngestOptions {
        time_values: vec![("early".into(), 0.0), ("late".into(), 48.0)],
        ..IngestOptions::default()
    };
    let d = vrnn_ingest::read_table(csv.as_bytes(), &opts).unwrap();
    assert_eq!(d.times, vec![0.0, 6.0, 48.0]);
    assert_eq!(d.gene_means(0), &[1.0, 5.0, 5.0]);
}

#[test]
fn crlf_bom_quotes_and_multibyte_names() {
    let csv = "\u{feff}\"Cell_ID\",Time,\"G,1\",Ünï\r\n\"a\",0,1,2\r\nb,1,\"2\",3\r\n";
    let d = read(csv).unwrap();
    assert_eq!(d.genes, vec!["G,1", "Ünï"]);
    assert_eq!(d.times, vec![0.0, 1.0]);
}

#[test]
fn tsv_semicolons_and_gzip_give_the_same_result() {
    let comma = "Cell_ID,Time,IRF1,CXCL9\na,0,1,2\nb,3,2,4\n";
    let expected = read(comma).unwrap();
    let tsv = "\u{feff}Cell_ID\tTime\tIRF1\tCXCL9\r\na\t0\t1\t2\r\nb\t3\t2\t4\r\n";
    let semi = "Cell_ID;Time;IRF1;CXCL9\na;0;1;2\nb;3;2;4\n";
    for text in [comma, tsv, semi] {
        assert_eq!(read(text).unwrap(), expected, "{text:?}");
    }
    let bytes = gzip(tsv.as_bytes());
    let d = read_table(&bytes[..], &IngestOptions::default()).unwrap();
    assert_eq!(d, expected);
    // Two gzip members one after the other (what `cat a.gz b.gz` makes) are one file.
    let mut two = gzip(b"Cell_ID\tTime\tIRF1\tCXCL9\na\t0\t1\t2\n");
    two.extend(gzip(b"b\t3\t2\t4\n"));
    assert_eq!(
        read_table(&two[..], &IngestOptions::default()).unwrap(),
        expected
    );
}

#[test]
fn values_in_messages_are_cut_short() {
    let long = "x".repeat(500);
    let csv = format!("Cell,Time,G\na,0,1\nb,1,{long}\n");
    let m = read(&csv).unwrap_err().to_string();
    assert!(m.len() < 150, "{m}");
    assert!(m.contains("…"), "{m}");
}

#[test]
fn rows_and_bytes_are_counted_while_pushing() {
    let csv = b"Cell,Time,G\na,0,1\nb,1,2\nc,1,3\n";
    let mut ing = Ingest::new(IngestOptions::default());
    for c in csv.chunks(5) {
        ing.push(c).unwrap();
    }
    assert_eq!(ing.bytes(), csv.len() as u64);
    let t = ing.finish().unwrap();
    assert_eq!((t.rows, t.bytes), (3, csv.len() as u64));
}

#[test]
fn selects_the_most_variable_genes_and_keeps_named_ones() {
    let text = "Cell,Time,A,B,C,D\nx,0,1,5,0,2\ny,0,2,5,0,2\nz,3,9,5,1,2\nw,3,4,5,3,2\n";
    let d = read(text).unwrap();
    assert_eq!(d.variances[1], 0.0, "B is constant");
    assert!(d.variances[0] > d.variances[2]);
    let s = d.select(Some(1), &["c".into(), "B".into(), "nope".into()]);
    assert_eq!(s.dataset.genes, vec!["A", "C"]);
    assert_eq!(s.constant, vec!["B", "D"]);
    assert_eq!(s.kept_of_interest, vec!["C"]);
    assert_eq!(s.not_variable_enough, 1);
    assert_eq!(s.dataset.gene_means(1), d.gene_means(2));
    let all = d.select(None, &[]);
    assert_eq!(all.dataset.genes, vec!["A", "C"]);
}

/// Found by the fuzzer: a gzip stream that inflates to binary bytes and then breaks. Whole, the
/// decoder hit the damage before any text came out; in 9-byte pieces the text came out first.
/// Either way the file is refused with a message, never half-read.
#[test]
fn a_damaged_gzip_is_refused_however_it_is_cut() {
    let input = include_bytes!("../fuzz/corpus/ingest/damaged-gzip-found-by-fuzzing");
    let data = &input[1..];
    for cut in [1, 9, 64, data.len()] {
        let mut ing = Ingest::new(IngestOptions::default());
        let result = data
            .chunks(cut)
            .try_for_each(|c| ing.push(c))
            .and_then(|_| ing.finish().map(|_| ()));
        let e = result.expect_err("a damaged gzip must be refused");
        let m = e.to_string();
        assert!(
            m.contains("gzip") || m.contains("binary data"),
            "{cut}: {m}"
        );
    }
}

#[test]
fn whole_numbers_over_enough_genes_are_counts_normalised_per_cell() {
    let genes = 60;
    let mut csv = String::from("cell,time");
    for g in 0..genes {
        csv.push_str(&format!(",G{g}"));
    }
    csv.push('\n');
    let value = |c: usize, g: usize| ((c * 7 + g * 3) % 5) as f64;
    for c in 0..6 {
        csv.push_str(&format!("c{c},{}", c % 2));
        for g in 0..genes {
            csv.push_str(&format!(",{}", value(c, g)));
        }
        csv.push('\n');
    }
    let tally = ingest(csv.as_bytes(), &IngestOptions::default()).unwrap();
    assert!(tally.normalization.applied, "{:?}", tally.normalization);
    let d = tally.dataset(None).unwrap();
    let norm = |c: usize, g: usize| {
        let total: f64 = (0..genes).map(|h| value(c, h)).sum();
        (value(c, g) / total * 1e4).ln_1p()
    };
    for g in [0, 7, 59] {
        let expect = (norm(0, g) + norm(2, g) + norm(4, g)) / 3.0;
        assert!(
            (d.gene_means(g)[0] as f64 - expect).abs() < 1e-5,
            "gene {g}"
        );
    }
    // A negative value under `Yes` is named.
    let opts = IngestOptions {
        normalize: vrnn_ingest::Normalize::Yes,
        ..IngestOptions::default()
    };
    let e = read_table("cell,time,G\na,0,1\nb,1,-2\n".as_bytes(), &opts).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("line 3, column 3 (\"G\"): value \"-2\" is negative"),
        "{e}"
    );
    // Few genes: whole numbers are left as they are.
    let t = ingest(
        "cell,time,G\na,0,1\nb,1,2\n".as_bytes(),
        &IngestOptions::default(),
    )
    .unwrap();
    assert!(!t.normalization.applied && t.normalization.rule.contains("fewer than 50 genes"));
}
