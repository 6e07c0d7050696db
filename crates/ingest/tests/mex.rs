//! 10x MatrixMarket samples, one per time point, against the same cells written as a cells ×
//! genes CSV: the per-time means agree to 1e-5, whole and pushed in small (gzip) chunks.

mod common;

use vrnn_ingest::mex::{count_barcodes, plan, read_mex, sample_name, Features, MexReader, Sample};
use vrnn_ingest::{ingest, IngestError, IngestOptions, InputFormat, Normalize, SampleSheet};

struct Fixture {
    /// Per sample: name, features.tsv, barcodes.tsv, matrix.mtx.
    samples: Vec<(String, String, String, String)>,
    csv: String,
}

/// `genes` genes (plus one antibody capture), cells at 0, 6 and 24 h; values are counts.
fn fixture(genes: usize, cells: usize) -> Fixture {
    let times = [(0.0, "t0h"), (6.0, "t6h"), (24.0, "day1")];
    let mut csv = String::from("barcode,time");
    for g in 0..genes {
        csv.push_str(&format!(",SYM{g}"));
    }
    csv.push('\n');
    let mut samples = Vec::new();
    for (s, (t, name)) in times.iter().enumerate() {
        let mut features = String::new();
        for g in 0..genes {
            features.push_str(&format!("ENSG{g:05}\tSYM{g}\tGene Expression\n"));
        }
        features.push_str("CD3_TotalSeqB\tCD3\tAntibody Capture\n");
        let mut barcodes = String::new();
        let mut entries = Vec::new();
        for c in 0..cells {
            barcodes.push_str(&format!("AAAC{c:04}-1\n"));
            csv.push_str(&format!("{name}_{c},{t}"));
            for g in 0..genes {
                let v = ((c * 13 + g * 7 + s * 5) % 11).saturating_sub(6) * (1 + s * (g % 2));
                csv.push_str(&format!(",{v}"));
                if v > 0 {
                    entries.push(format!("{} {} {v}", g + 1, c + 1));
                }
            }
            csv.push('\n');
            entries.push(format!("{} {} 5", genes + 1, c + 1));
        }
        let matrix = format!(
            "%%MatrixMarket matrix coordinate integer general\n%metadata_json: {{}}\n{} {cells} {}\n{}\n",
            genes + 1,
            entries.len(),
            entries.join("\n")
        );
        samples.push((name.to_string(), features, barcodes, matrix));
    }
    Fixture { samples, csv }
}

fn gz(text: &str) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(text.as_bytes()).unwrap();
    e.finish().unwrap()
}

fn sample(name: &str, features: &str, barcodes: &str) -> Sample {
    Sample {
        name: name.into(),
        features: Features::parse("features.tsv", features.as_bytes()).unwrap(),
        barcodes: count_barcodes("barcodes.tsv", barcodes.as_bytes()).unwrap(),
    }
}

fn read(f: &Fixture, opts: &IngestOptions) -> Result<vrnn_ingest::Tally, IngestError> {
    let inputs = f
        .samples
        .iter()
        .map(|(n, feat, bc, m)| (sample(n, feat, bc), format!("{n}/matrix.mtx"), m.as_bytes()))
        .collect();
    read_mex(inputs, opts)
}

#[test]
fn samples_per_time_equal_the_cells_table() {
    for normalize in [Normalize::No, Normalize::Yes] {
        let f = fixture(8, 40);
        let opts = IngestOptions {
            normalize,
            ..IngestOptions::default()
        };
        let t = read(&f, &opts).unwrap();
        assert_eq!(t.format, InputFormat::TenxMex);
        let d = t.dataset(None).unwrap();
        assert_eq!(d.times, vec![0.0, 6.0, 24.0]);
        assert_eq!(d.cells_per_time, vec![40, 40, 40]);
        assert_eq!(d.genes[..2], ["SYM0".to_string(), "SYM1".to_string()]);
        assert_eq!(common::labels(&t)[2], ("day1".to_string(), Some(24.0)));
        // The antibody capture is not a gene: left out of the genes and of each cell's total,
        // so the normalised sums equal the CSV's too.
        assert_eq!(t.normalization.applied, normalize == Normalize::Yes);
        let c = ingest(f.csv.as_bytes(), &opts)
            .unwrap()
            .dataset(None)
            .unwrap();
        common::same(&d, &c);
    }
}

#[test]
fn gzip_in_small_chunks_gives_the_same_sums() {
    let f = fixture(6, 30);
    let whole = read(&f, &IngestOptions::default())
        .unwrap()
        .dataset(None)
        .unwrap();
    let samples: Vec<Sample> = f
        .samples
        .iter()
        .map(|(n, feat, bc, _)| sample(n, feat, bc))
        .collect();
    let opts = IngestOptions::default();
    let mut r = MexReader::new(plan(&samples, &opts).unwrap(), &opts);
    for (i, (_, _, _, m)) in f.samples.iter().enumerate() {
        r.start(i, "matrix.mtx.gz");
        for piece in gz(m).chunks(7) {
            r.push(piece, &samples).unwrap();
        }
        r.end(&samples).unwrap();
    }
    let chunked = r.finish().unwrap().dataset(None).unwrap();
    assert_eq!(whole, chunked);
}

#[test]
fn differing_feature_lists_are_intersected_with_a_notice() {
    let mut f = fixture(5, 10);
    // The second sample lacks the last gene (its matrix rows shift by one).
    let (_, feat, _, m) = &mut f.samples[1];
    let mut lines: Vec<&str> = feat.lines().collect();
    lines.remove(4);
    *feat = lines.join("\n") + "\n";
    let kept: Vec<String> = m
        .lines()
        .enumerate()
        .filter_map(|(i, l)| {
            if i < 2 {
                return Some(l.to_string());
            }
            let w: Vec<usize> = l.split(' ').map(|x| x.parse().unwrap()).collect();
            if i == 2 {
                return Some(l.to_string());
            }
            match w[0] {
                5 => None,
                6 => Some(format!("5 {} {}", w[1], w[2])),
                _ => Some(l.to_string()),
            }
        })
        .collect();
    let n = kept.len() - 3;
    let mut kept = kept;
    kept[2] = format!("5 10 {n}");
    *m = kept.join("\n") + "\n";
    let t = read(&f, &IngestOptions::default()).unwrap();
    assert_eq!(t.genes.len(), 4);
    assert!(
        t.notices[0].contains("4 of 5 genes are in every sample"),
        "{:?}",
        t.notices
    );
}

#[test]
fn bad_matrices_name_the_file_and_what_is_wrong() {
    let f = fixture(4, 6);
    let err = |edit: &dyn Fn(&mut Fixture)| {
        let mut f = fixture(4, 6);
        edit(&mut f);
        read(&f, &IngestOptions::default()).unwrap_err().to_string()
    };
    let e = err(&|f| f.samples[0].2.push_str("EXTRA-1\n"));
    assert_eq!(e, "t0h/matrix.mtx: line 3: the matrix has 6 columns but the barcode list of sample \"t0h\" has 7 barcodes");
    let e = err(&|f| {
        f.samples[1].1 = f.samples[1]
            .1
            .lines()
            .skip(1)
            .collect::<Vec<_>>()
            .join("\n")
    });
    assert!(
        e.contains("the matrix has 5 rows but the feature list of sample \"t6h\" has 4 features"),
        "{e}"
    );
    let e = err(&|f| {
        let m = &mut f.samples[2].3;
        m.truncate(m.len() - 20);
    });
    assert!(
        e.starts_with("day1/matrix.mtx: ") && e.contains("truncated"),
        "{e}"
    );
    let opts = IngestOptions {
        normalize: Normalize::Yes,
        ..IngestOptions::default()
    };
    let mut g = fixture(4, 6);
    g.samples[0].3 = g.samples[0].3.replacen(" 5\n", " -5\n", 1);
    let e = read(&g, &opts).unwrap_err().to_string();
    assert!(e.contains("is negative"), "{e}");
    let _ = f;
}

#[test]
fn sample_names_come_from_folders_and_files() {
    assert_eq!(
        sample_name("run/t3h/outs/filtered_feature_bc_matrix/matrix.mtx.gz"),
        "t3h"
    );
    assert_eq!(sample_name("d2_matrix.mtx"), "d2");
    assert_eq!(
        sample_name("day14/filtered_gene_bc_matrices/GRCh38/matrix.mtx"),
        "day14"
    );
    assert_eq!(sample_name("6h"), "6h");
}

#[test]
fn times_from_a_sheet_or_asked_for() {
    let f = fixture(4, 6);
    let mut g = fixture(4, 6);
    for (i, s) in g.samples.iter_mut().enumerate() {
        s.0 = format!("lane{}", i + 1);
    }
    match read(&g, &IngestOptions::default()) {
        Err(IngestError::UnmappedSamples { samples }) => {
            assert_eq!(samples, vec!["lane1", "lane2", "lane3"])
        }
        other => panic!("{other:?}"),
    }
    let sheet = "sample,time\nlane1,0\nlane2,12\nlane3,48\n";
    let opts = IngestOptions {
        samples: Some(SampleSheet::parse("s.csv", sheet.as_bytes()).unwrap()),
        ..IngestOptions::default()
    };
    let d = read(&g, &opts).unwrap().dataset(None).unwrap();
    assert_eq!(d.times, vec![0.0, 12.0, 48.0]);
    let base = read(&f, &IngestOptions::default())
        .unwrap()
        .dataset(None)
        .unwrap();
    assert_eq!(d.means, base.means);
}
