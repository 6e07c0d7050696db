//! Bulk genes × samples tables: orientation, sample times from names or a sheet, replicates in
//! the part of cells, counts per million. Each case is checked against the same data written
//! as a cells × genes table (one row per sample), which the reader already gets right.

mod common;

use common::same;
use vrnn_ingest::{ingest, IngestError, IngestOptions, InputFormat, Normalize, SampleSheet, Tally};

fn read(table: &str, opts: &IngestOptions) -> Result<Tally, IngestError> {
    ingest(table.as_bytes(), opts)
}

/// The reader's options with this sample sheet (named `sheet.csv`).
fn with_sheet(sheet: &str) -> IngestOptions {
    IngestOptions {
        samples: Some(SampleSheet::parse("sheet.csv", sheet.as_bytes()).unwrap()),
        ..IngestOptions::default()
    }
}

/// A genes × samples table with three replicates at 0, 6 and 24 h, and the same values as a
/// cells × genes table.
fn pair(genes: usize, integer: bool) -> (String, String) {
    let times = [0.0, 6.0, 24.0];
    let samples: Vec<(String, f64)> = times
        .iter()
        .flat_map(|&t| (1..=3).map(move |r| (format!("{t}h_rep{r}"), t)))
        .collect();
    let value = |g: usize, s: usize| {
        let x = ((g * 31 + s * 17) % 23) as f64 + if integer { 0.0 } else { 0.25 };
        x * (1.0 + (s / 3) as f64 * (g % 3) as f64)
    };
    let mut bulk = String::from("gene_id");
    for (n, _) in &samples {
        bulk.push_str(&format!(",{n}"));
    }
    bulk.push('\n');
    for g in 0..genes {
        bulk.push_str(&format!("G{g}"));
        for s in 0..samples.len() {
            bulk.push_str(&format!(",{}", value(g, s)));
        }
        bulk.push('\n');
    }
    let mut cells = String::from("sample,time");
    for g in 0..genes {
        cells.push_str(&format!(",G{g}"));
    }
    cells.push('\n');
    for (s, (n, t)) in samples.iter().enumerate() {
        cells.push_str(&format!("{n},{t}"));
        for g in 0..genes {
            cells.push_str(&format!(",{}", value(g, s)));
        }
        cells.push('\n');
    }
    (bulk, cells)
}

#[test]
fn replicates_play_the_part_of_cells() {
    let (bulk, cells) = pair(12, false);
    let t = read(&bulk, &IngestOptions::default()).unwrap();
    assert_eq!(t.format, InputFormat::BulkTable);
    assert_eq!(t.time_column, "sample names");
    assert!(!t.normalization.applied);
    let d = t.dataset(None).unwrap();
    assert_eq!(d.cells_per_time, vec![3, 3, 3]);
    same(
        &d,
        &read(&cells, &IngestOptions::default())
            .unwrap()
            .dataset(None)
            .unwrap(),
    );
    assert_eq!(t.time_values.len(), 9);
    assert_eq!(t.time_values[3].label, "6h_rep1");
    assert_eq!(t.time_values[3].time, Some(6.0));
}

#[test]
fn whole_counts_are_normalised_per_million() {
    let (bulk, _) = pair(60, true);
    let t = read(&bulk, &IngestOptions::default()).unwrap();
    assert!(t.normalization.applied, "{:?}", t.normalization);
    assert!(t.normalization.rule.contains("counts per million"));
    // By hand: gene 0 of sample 0 over the sample's total.
    let d = t.dataset(None).unwrap();
    let lines: Vec<Vec<f64>> = bulk
        .lines()
        .skip(1)
        .map(|l| l.split(',').skip(1).map(|v| v.parse().unwrap()).collect())
        .collect();
    let total = |s: usize| lines.iter().map(|r| r[s]).sum::<f64>();
    let expect: f64 = (0..3)
        .map(|s| (lines[5][s] / total(s) * 1e6).ln_1p())
        .sum::<f64>()
        / 3.0;
    assert!((d.gene_means(5)[0] as f64 - expect).abs() < 1e-5);
    // `No` keeps the counts.
    let opts = IngestOptions {
        normalize: Normalize::No,
        ..IngestOptions::default()
    };
    let raw = read(&bulk, &opts).unwrap().dataset(None).unwrap();
    let mean0 = (lines[5][0] + lines[5][1] + lines[5][2]) / 3.0;
    assert!((raw.gene_means(5)[0] as f64 - mean0).abs() < 1e-5);
}

#[test]
fn a_sample_sheet_names_times_replicates_and_conditions() {
    let table = "Geneid,Chr,Start,End,Strand,Length,a,b,c,d,e,f\n\
                 IRF1,chr5,1,9,+,900,1,2,3,4,5,6\n\
                 CXCL9,chr4,1,9,-,800,2,2,2,8,8,8\n";
    let sheet = "sample,time,replicate,condition\n\
                 a,0h,1,WT\nb,6h,1,WT\nc,1d,1,WT\nd,0h,1,KO\ne,6h,1,KO\nf,1d,1,KO\n";
    let opts = with_sheet(sheet);
    let t = read(table, &opts).unwrap();
    assert_eq!(t.format, InputFormat::BulkTable);
    assert_eq!(
        t.metadata_columns,
        vec!["Geneid", "Chr", "Start", "End", "Strand", "Length"]
    );
    assert_eq!(t.genes, vec!["IRF1", "CXCL9"]);
    let types: Vec<String> = t.cell_types().into_iter().map(|c| c.name).collect();
    assert_eq!(types, vec!["KO", "WT"]);
    let ko = t.dataset(Some("KO")).unwrap();
    assert_eq!(ko.times, vec![0.0, 6.0, 24.0]);
    assert_eq!(ko.gene_means(1), &[8.0, 8.0, 8.0]);
    assert!(t
        .notices
        .iter()
        .any(|n| n.contains("one sample per time point")));
}

#[test]
fn a_sheet_must_name_exactly_the_tables_samples() {
    let table = "gene,s1,s2,s3\nG1,1,2,3\nG2,1,2,3\n";
    let sheet = "sample,time\ns1,0\ns2,6\ns9,12\n";
    let opts = with_sheet(sheet);
    let e = read(table, &opts).unwrap_err().to_string();
    assert_eq!(
        e,
        "sheet.csv: the sample sheet names 1 sample(s) that are not columns of the table: \"s9\"; and leaves out 1 column(s) of the table: \"s3\""
    );
}

#[test]
fn names_without_times_are_asked_for_and_given_times_win() {
    // Half the names carry a time, so it is a bulk table; the others need a time.
    let table = "gene,0h_a,0h_b,6h_a,ctrl_1,ctrl_2\nG1,1,2,3,4,5\nG2,1,2,3,4,5\n";
    match read(table, &IngestOptions::default()) {
        Err(IngestError::UnmappedTimes { at, labels }) => {
            assert_eq!((at.line, at.column), (1, Some(5)));
            assert_eq!(labels, vec!["ctrl_1", "ctrl_2"]);
        }
        other => panic!("{other:?}"),
    }
    let opts = IngestOptions {
        time_values: vec![("ctrl_1".into(), 12.0), ("ctrl_2".into(), 12.0)],
        ..IngestOptions::default()
    };
    let t = read(table, &opts).unwrap();
    let d = t.dataset(None).unwrap();
    assert_eq!(d.times, vec![0.0, 6.0, 12.0]);
    assert_eq!(d.gene_means(0), &[1.5, 3.0, 4.5]);
    assert!(t.time_values.iter().filter(|v| v.given).count() == 2);
}

#[test]
fn prefixes_are_conditions_only_when_they_recur_across_times() {
    let table =
        "gene,WT_0h_1,WT_0h_2,WT_6h_1,WT_6h_2,KO_0h_1,KO_0h_2,KO_6h_1,KO_6h_2\nG,1,1,2,2,3,3,4,4\n";
    let t = read(table, &IngestOptions::default()).unwrap();
    let types: Vec<String> = t.cell_types().into_iter().map(|c| c.name).collect();
    assert_eq!(types, vec!["KO", "WT"]);
    let table = "gene,S1_0h,S2_0h,S3_6h,S4_6h\nG,1,2,3,4\n";
    let t = read(table, &IngestOptions::default()).unwrap();
    assert!(t.cell_types().is_empty());
    assert_eq!(t.dataset(None).unwrap().gene_means(0), &[1.5, 3.5]);
}

#[test]
fn a_cells_table_is_not_taken_for_a_bulk_one() {
    // Gene names carry no times: a cells table without a time column stays one (and is refused).
    let csv = "cell,IRF1,CXCL9\na,1,2\nb,3,4\n";
    assert!(matches!(
        read(csv, &IngestOptions::default()),
        Err(IngestError::NoTimeColumn { .. })
    ));
}

#[test]
fn samples_sharing_a_time_without_a_replicate_column_are_replicates_with_a_notice() {
    let table = "gene,A,B,C,D\nIRF1,1.5,2.5,4.0,6.0\nCXCL9,1.0,1.0,3.0,3.5\n";
    let sheet = "sample,time\nA,0\nB,0\nC,6\nD,6\n";
    let opts = with_sheet(sheet);
    let t = read(table, &opts).unwrap();
    assert!(
        t.notices.iter().any(|n| n
            == "several samples share a time and no replicate is named: they are taken as replicates of that time"),
        "{:?}",
        t.notices
    );
    let d = t.dataset(None).unwrap();
    assert_eq!(d.cells_per_time, vec![2, 2]);
    assert_eq!(d.gene_means(0), &[2.0, 5.0]);
    // The standard error of two replicates: sd / sqrt(2) = |a - b| / 2.
    assert!((d.std_errors[0] - 0.5).abs() < 1e-6, "{:?}", d.std_errors);
    // Named replicates say nothing.
    let sheet = "sample,time,replicate\nA,0,1\nB,0,2\nC,6,1\nD,6,2\n";
    let opts = with_sheet(sheet);
    let t = read(table, &opts).unwrap();
    assert!(
        !t.notices.iter().any(|n| n.contains("share a time")),
        "{:?}",
        t.notices
    );
}
