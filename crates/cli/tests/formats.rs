//! The formats beyond a cells table, through the command line: a bulk table with its sample
//! sheet, and 10x MEX samples given as folders, one per time point.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{bin, run_cli, scratch};

/// `vrnn-clustering SUBCOMMAND --input I1 --input I2 ... EXTRA...`.
fn cli(subcommand: &str, inputs: &[PathBuf], extra: &[&str]) -> Output {
    let mut cmd = bin();
    cmd.arg(subcommand);
    for i in inputs {
        cmd.arg("--input").arg(i);
    }
    cmd.args(extra).output().unwrap()
}

/// A bulk genes × samples table: 40 genes, 3 replicates at 0, 6 and 24 h.
fn bulk_table() -> String {
    let mut s = String::from("gene_id");
    for t in ["0h", "6h", "24h"] {
        for r in 1..=3 {
            s.push_str(&format!(",{t}_rep{r}"));
        }
    }
    s.push('\n');
    for g in 0..40 {
        s.push_str(&format!("G{g}"));
        for (ti, _) in [0, 6, 24].iter().enumerate() {
            for r in 0..3 {
                let v = 1.0 + (g % 4) as f64 * ti as f64 + r as f64 * 0.1 + g as f64 * 0.01;
                s.push_str(&format!(",{v:.3}"));
            }
        }
        s.push('\n');
    }
    s
}

#[test]
fn a_bulk_table_is_recognised_and_trains() {
    let dir = scratch("bulk");
    let input = dir.join("bulk.tsv");
    std::fs::write(&input, bulk_table().replace(',', "\t")).unwrap();
    let o = cli("inspect", std::slice::from_ref(&input), &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("format: bulk genes x samples table"), "{out}");
    assert!(out.contains("samples: 9"), "{out}");
    assert!(
        out.contains("time points: 0 (3 samples), 6 (3 samples), 24 (3 samples)"),
        "{out}"
    );
    assert!(out.contains("time values: 0h_rep1 -> 0 hours;"), "{out}");
    let o = run_cli(&input, &dir.join("out"), &["--epochs", "2", "--k", "2"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let run: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("out/run.json")).unwrap()).unwrap();
    assert_eq!(run["read"]["format"], "bulk_table");
    assert_eq!(run["read"]["normalization"]["applied"], false);
    assert_eq!(run["dataset"]["n_cells"], 9);
}

#[test]
fn a_sample_sheet_that_leaves_out_a_column_is_refused() {
    let dir = scratch("sheet");
    let input = dir.join("bulk.csv");
    std::fs::write(&input, bulk_table()).unwrap();
    let sheet = dir.join("samples.csv");
    std::fs::write(&sheet, "sample,time\n0h_rep1,0\n0h_rep2,0\n").unwrap();
    let o = cli("inspect", &[input], &["--samples", sheet.to_str().unwrap()]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("the sample sheet leaves out 7 column(s) of the table"),
        "{err}"
    );
}

/// A 10x sample folder (`NAME/filtered_feature_bc_matrix/`) with gzip files, 60 genes.
fn tenx_folder(root: &Path, name: &str, shift: usize) -> PathBuf {
    use std::io::Write;
    let dir = root.join(name).join("filtered_feature_bc_matrix");
    std::fs::create_dir_all(&dir).unwrap();
    let gz = |path: PathBuf, text: String| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(text.as_bytes()).unwrap();
        std::fs::write(path, e.finish().unwrap()).unwrap();
    };
    let genes = 60;
    let cells = 30;
    let features: String = (0..genes)
        .map(|g| format!("ENSG{g:05}\tGENE{g}\tGene Expression\n"))
        .collect();
    let barcodes: String = (0..cells).map(|c| format!("AAAC{c:04}-1\n")).collect();
    let mut entries = Vec::new();
    for c in 0..cells {
        for g in 0..genes {
            let v = (c * 3 + g * 5 + shift * (g % 3)) % 7;
            if v > 2 {
                entries.push(format!("{} {} {}", g + 1, c + 1, v - 2));
            }
        }
    }
    let matrix = format!(
        "%%MatrixMarket matrix coordinate integer general\n{genes} {cells} {}\n{}\n",
        entries.len(),
        entries.join("\n")
    );
    gz(dir.join("features.tsv.gz"), features);
    gz(dir.join("barcodes.tsv.gz"), barcodes);
    gz(dir.join("matrix.mtx.gz"), matrix);
    root.join(name)
}

#[test]
fn tenx_folders_one_per_time_point() {
    let dir = scratch("tenx");
    let inputs: Vec<_> = [("t0h", 0), ("t6h", 2), ("day1", 5)]
        .iter()
        .map(|(n, s)| tenx_folder(&dir, n, *s))
        .collect();
    let o = cli("inspect", &inputs, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("format: 10x Genomics MatrixMarket"), "{out}");
    assert!(out.contains("cells: 90"), "{out}");
    assert!(
        out.contains("time points: 0 (30 cells), 6 (30 cells), 24 (30 cells)"),
        "{out}"
    );
    assert!(
        out.contains("time values: t0h -> 0 hours; t6h -> 6 hours; day1 -> 24 hours"),
        "{out}"
    );
    assert!(
        out.contains("values: log1p(count / cell total x 1e4)"),
        "{out}"
    );

    let out_dir = dir.join("out");
    let o = cli(
        "run",
        &inputs,
        &[
            "--out",
            out_dir.to_str().unwrap(),
            "--epochs",
            "2",
            "--k",
            "2",
            "--normalize",
            "no",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let run: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("out/run.json")).unwrap()).unwrap();
    assert_eq!(run["read"]["format"], "tenx_mex");
    assert_eq!(run["read"]["normalization"]["applied"], false);
}

#[test]
fn several_inputs_must_be_tenx_samples() {
    let dir = scratch("several");
    let a = dir.join("a.csv");
    std::fs::write(&a, bulk_table()).unwrap();
    let o = cli("inspect", &[a.clone(), a], &[]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--input is given 2 times, but only 10x Genomics samples"),
        "{err}"
    );
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../ingest/tests/fixtures/h5")
        .join(name)
}

#[test]
fn an_h5ad_with_its_matrix_and_gene_names() {
    let o = cli(
        "inspect",
        &[fixture("layers.h5ad")],
        &["--matrix", "layers/counts", "--gene-names", "index"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("format: AnnData .h5ad"), "{out}");
    assert!(out.contains("cells: 90"), "{out}");
    assert!(out.contains("time column: obs column time"), "{out}");
    assert!(
        out.contains("time values: 0h -> 0 hours; 1d -> 24 hours; 6h -> 6 hours"),
        "{out}"
    );
    assert!(
        out.contains(
            "values: log1p(count / cell total x 1e4) (Auto: every value is a whole number)"
        ),
        "{out}"
    );
    assert!(
        out.contains("cell types (column cell_type): B (30 cells), T (60 cells)"),
        "{out}"
    );
    let dir = scratch("h5ad");
    let o = run_cli(
        &fixture("csr.h5ad"),
        &dir.join("out"),
        &["--epochs", "2", "--k", "2"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let run: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("out/run.json")).unwrap()).unwrap();
    assert_eq!(run["read"]["format"], "ann_data");
    assert_eq!(run["read"]["normalization"]["applied"], true);
    let means = std::fs::read_to_string(dir.join("out/means.csv")).unwrap();
    assert!(means.starts_with("gene,0,6,24\n"), "{means}");
    assert!(
        means.contains("\nSYM1,"),
        "symbols, not Ensembl ids: {means}"
    );
}

#[test]
fn tenx_h5_samples_and_a_filter_that_cannot_be_read() {
    let inputs: Vec<PathBuf> = ["t0h.h5", "t6h.h5", "day1.h5"].map(fixture).into();
    let o = cli("inspect", &inputs, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("format: 10x Genomics .h5"), "{out}");
    assert!(
        out.contains("time points: 0 (30 cells), 6 (30 cells), 24 (30 cells)"),
        "{out}"
    );
    let o = cli("inspect", &[fixture("zstd.h5ad")], &[]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("zstd.h5ad: the data are compressed with Zstandard (HDF5 filter 32015)"),
        "{err}"
    );
    assert!(
        err.contains("adata.write_h5ad(path, compression=\"gzip\")"),
        "{err}"
    );
}
