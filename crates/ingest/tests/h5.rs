//! AnnData `.h5ad` and 10x `.h5`, in every layout the reader supports, against the same cells
//! as a cells × genes CSV: the per-time means agree to 1e-5. The fixtures are written by
//! tests/fixtures/make_h5.py (anndata, h5py, scipy) and committed.

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use vrnn_ingest::h5::{self, H5Kind, Hdf5File};
use vrnn_ingest::{ingest, Dataset, IngestError, IngestOptions, InputFormat, Normalize};

fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/h5")
        .join(name)
}

fn open(name: &str) -> Hdf5File {
    let storage = h5::FileStorage::open(path(name)).unwrap();
    h5::open(name, Arc::new(storage)).unwrap()
}

fn h5ad(name: &str, opts: &IngestOptions) -> Result<vrnn_ingest::Tally, IngestError> {
    let f = open(name);
    assert_eq!(h5::kind(name, &f).unwrap(), H5Kind::AnnData);
    h5::read_h5ad(name, &f, opts, 0, &mut |_| {}).map(|(t, _)| t)
}

fn csv(opts: &IngestOptions) -> Dataset {
    let text = std::fs::read(path("cells.csv")).unwrap();
    ingest(&text[..], opts).unwrap().dataset(None).unwrap()
}

#[test]
fn every_layout_equals_the_csv() {
    for normalize in [Normalize::Auto, Normalize::No] {
        let opts = IngestOptions {
            normalize,
            ..IngestOptions::default()
        };
        let expect = csv(&opts);
        for name in ["csr.h5ad", "csc.h5ad", "dense_lzf.h5ad", "legacy.h5ad"] {
            let t = h5ad(name, &opts).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(t.format, InputFormat::AnnData);
            assert_eq!(
                t.normalization.applied,
                normalize == Normalize::Auto,
                "{name}"
            );
            common::same(&t.dataset(None).unwrap(), &expect);
        }
    }
}

#[test]
fn time_labels_cell_types_and_symbols() {
    let t = h5ad("csr.h5ad", &IngestOptions::default()).unwrap();
    assert_eq!(t.time_column, "obs column time");
    assert_eq!(
        common::labels(&t),
        vec![
            ("0h".into(), Some(0.0)),
            ("1d".into(), Some(24.0)),
            ("6h".into(), Some(6.0))
        ]
    );
    let types: Vec<(String, u64)> = t
        .cell_types()
        .into_iter()
        .map(|c| (c.name, c.cells))
        .collect();
    assert_eq!(types, vec![("B".into(), 30), ("T".into(), 60)]);
    // Ensembl ids in the index: the symbols are shown; `index` keeps the ids.
    assert_eq!(t.genes[0], "SYM0");
    let ids = IngestOptions {
        gene_names: Some("index".into()),
        ..IngestOptions::default()
    };
    assert_eq!(h5ad("csr.h5ad", &ids).unwrap().genes[0], "ENSG00000000000");
    // `t=0` strings in a column named `timepoint`.
    let t = h5ad("dense_lzf.h5ad", &IngestOptions::default()).unwrap();
    assert_eq!(t.time_column, "obs column timepoint");
}

#[test]
fn a_layer_or_raw_instead_of_x() {
    let expect = csv(&IngestOptions::default());
    for m in ["raw", "layers/counts", "counts"] {
        let opts = IngestOptions {
            matrix: Some(m.into()),
            ..IngestOptions::default()
        };
        common::same(
            &h5ad("layers.h5ad", &opts).unwrap().dataset(None).unwrap(),
            &expect,
        );
    }
    // X itself is log-normalised values: used as they are, equal to normalising the counts.
    let x = h5ad("layers.h5ad", &IngestOptions::default()).unwrap();
    assert!(!x.normalization.applied);
    common::same(&x.dataset(None).unwrap(), &expect);
    let f = open("layers.h5ad");
    let s = h5::describe("layers.h5ad", &f).unwrap();
    let (_, read) =
        h5::read_h5ad("layers.h5ad", &f, &IngestOptions::default(), 0, &mut |_| {}).unwrap();
    assert_eq!(read, s, "the summary read with the data is describe's");
    assert_eq!(s.matrices, vec!["X", "raw", "layers/counts"]);
    assert!(s.obs_columns.contains(&"time".to_string()));
    assert_eq!(s.gene_name_columns, vec!["index", "feature_name"]);
    let e = h5ad(
        "layers.h5ad",
        &IngestOptions {
            matrix: Some("layers/spliced".into()),
            ..IngestOptions::default()
        },
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "layers.h5ad: no matrix \"layers/spliced\" in this file; it has [\"X\", \"raw\", \"layers/counts\"]"
    );
}

#[test]
fn tenx_h5_samples_one_per_time_point() {
    let files: Vec<(String, Hdf5File)> = ["t0h.h5", "t6h.h5", "day1.h5"]
        .iter()
        .map(|n| (n.to_string(), open(n)))
        .collect();
    for (n, f) in &files {
        assert_eq!(h5::kind(n, f).unwrap(), H5Kind::Tenx);
    }
    let inputs: Vec<(String, String, &Hdf5File)> = files
        .iter()
        .map(|(n, f)| {
            (
                n.clone(),
                vrnn_ingest::mex::sample_name(n.trim_end_matches(".h5")),
                f,
            )
        })
        .collect();
    let t = h5::read_tenx_h5(&inputs, &IngestOptions::default(), 0, &mut |_| {}).unwrap();
    assert_eq!(t.format, InputFormat::TenxH5);
    assert!(t.normalization.applied);
    common::same(&t.dataset(None).unwrap(), &csv(&IngestOptions::default()));
}

#[test]
fn bad_files_say_what_is_wrong() {
    let e = h5ad("no_time.h5ad", &IngestOptions::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "no usable time column in obs: none is named like \"time\" and none holds 2 to 50 values that all read as times; the obs columns are [\"cell_type\", \"n_genes\"]. Choose one with \"Time column\" on the page or --time-column on the command line"
    );
    let e = h5ad("zstd.h5ad", &IngestOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("zstd.h5ad: the data are compressed with Zstandard (HDF5 filter 32015), which this app cannot decode; rewrite the file with gzip"),
        "{e}"
    );
    let opts = IngestOptions {
        time_values: vec![],
        time_column: Some("cell_type".into()),
        ..IngestOptions::default()
    };
    let e = h5ad("csr.h5ad", &opts).unwrap_err().to_string();
    assert!(
        e.contains("obs column \"cell_type\": time labels \"B\", \"T\" could not be read as times"),
        "{e}"
    );
}

#[test]
fn truncated_and_bit_flipped_files_never_panic() {
    let bytes = std::fs::read(path("csr.h5ad")).unwrap();
    let try_bytes = |b: Vec<u8>| {
        // A panic fails the test: every damage must come back as an error.
        let storage = h5::BytesStorage::new(b);
        match h5::open("x.h5ad", Arc::new(storage)) {
            Ok(f) => {
                h5::read_h5ad("x.h5ad", &f, &IngestOptions::default(), 0, &mut |_| {}).map(|_| ())
            }
            Err(e) => Err(e),
        }
    };
    for cut in [100, 1000, 4096, bytes.len() / 2, bytes.len() - 10] {
        assert!(try_bytes(bytes[..cut].to_vec()).is_err(), "cut at {cut}");
    }
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    for _ in 0..300 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let mut b = bytes.clone();
        let at = (x % b.len() as u64) as usize;
        b[at] ^= 1 << (x >> 61);
        let _ = try_bytes(b);
    }
}
