//! The steps after clustering through the CLI: genes that change over time, enrichment in a
//! gene-set file, membership cores and stability, in the files of interfaces.md.

mod common;

use std::path::Path;

use common::{bin, scratch};

/// 24 genes over times 0..24 h, 6 cells each: R0..R11 rise with time, F0..F11 are flat; the
/// noise is a fixed hash of (cell, gene).
fn write_csv(path: &Path) {
    let times = [0.0f64, 3.0, 6.0, 12.0, 24.0];
    let names: Vec<String> = (0..12)
        .map(|g| format!("R{g}"))
        .chain((0..12).map(|g| format!("F{g}")))
        .collect();
    let mut s = format!("Cell_ID,Cell_Type,Time_numeric,{}\n", names.join(","));
    let mut id = 0u64;
    for &t in &times {
        for _ in 0..6 {
            s.push_str(&format!("cell{id},T,{t}"));
            for g in 0..24u64 {
                let h = (id * 31 + g * 17 + 7).wrapping_mul(2654435761) % 1000;
                let noise = h as f64 / 1000.0 * 0.4;
                let v = if g < 12 {
                    1.0 + (g as f64 + 2.0) * t / 24.0 + noise
                } else {
                    1.0 + noise
                };
                s.push_str(&format!(",{v:.4}"));
            }
            s.push('\n');
            id += 1;
        }
    }
    std::fs::write(path, s).unwrap();
}

#[test]
fn change_selection_enrichment_cores_and_stability_files() {
    let dir = scratch("all");
    let input = dir.join("data.csv");
    write_csv(&input);
    let rising: Vec<String> = (0..12).map(|g| format!("r{g}")).collect();
    std::fs::write(
        dir.join("sets.gmt"),
        format!(
            "RISING\tplanted\t{}\nDECOY\tx\tR0\tF1\tF2\tF3\tNOT_A_GENE\n",
            rising.join("\t")
        ),
    )
    .unwrap();
    let out = dir.join("out");
    let o = bin()
        .args(["run", "--input"])
        .arg(&input)
        .arg("--out")
        .arg(&out)
        .args([
            "--epochs",
            "2",
            "--k",
            "2",
            "--select",
            "change",
            "--core-threshold",
            "0.6",
        ])
        .args(["--stability-runs", "1", "--gene-sets"])
        .arg(dir.join("sets.gmt"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "stderr: {stderr}");
    assert!(stderr.contains("change most over time"), "{stderr}");
    let read = |name: &str| std::fs::read_to_string(out.join(name)).unwrap();

    // Every gene read, the rising ones analysed and the flat ones not.
    let genes = read("genes.csv");
    let rows: Vec<Vec<&str>> = genes.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(
        rows[0],
        ["gene", "mean", "variance", "f", "p", "q", "effect", "welch", "analysed"]
    );
    assert_eq!(rows.len(), 25);
    for r in &rows[1..] {
        let q: f64 = r[5].parse().unwrap();
        assert_eq!(r[8] == "true", r[0].starts_with('R'), "{r:?}");
        assert_eq!(q < 0.05, r[0].starts_with('R'), "{r:?}");
    }

    let clusters = read("clusters.csv");
    assert!(clusters.starts_with("gene,cluster,membership,core\n"));
    assert_eq!(clusters.lines().count(), 13);
    for l in clusters.lines().skip(1) {
        let f: Vec<&str> = l.split(',').collect();
        let m: f64 = f[2].parse().unwrap();
        assert_eq!(f[3] == "true", m >= 0.6, "{l}");
    }
    let cores = read("clusters_core.gmt");
    assert!(cores.starts_with("cluster_1_core\tVRNN cluster 1 of 2 core (membership >= 0.6)"));

    let stability = read("stability.csv");
    assert!(stability.starts_with("gene,cluster,confidence\n"));
    assert_eq!(stability.lines().count(), 13);
    for l in stability.lines().skip(1) {
        let c: f64 = l.rsplit(',').next().unwrap().parse().unwrap();
        assert!((0.0..=1.0).contains(&c), "{l}");
    }

    // Every analysed gene is rising, so RISING holds them all: its overlap with each cluster
    // is the cluster's size. DECOY has one analysed gene: too small to test.
    let enrichment = read("enrichment.csv");
    let rows: Vec<&str> = enrichment.lines().collect();
    assert_eq!(rows[0], "cluster,set,overlap,set_size,fold,p,q,genes");
    assert!(
        rows[1..].iter().all(|r| r.contains(",RISING,")),
        "{enrichment}"
    );
    assert!(
        rows[1..].iter().all(|r| r.contains(",12,1.000000,")),
        "{enrichment}"
    );

    let run: serde_json::Value = serde_json::from_str(&read("run.json")).unwrap();
    assert_eq!(run["gene_selection"]["rule"], "Change");
    assert_eq!(run["stability_runs"], 1);
    assert_eq!(run["analysis"]["core_threshold"], 0.6);
}

#[test]
fn a_bad_gene_set_file_fails_before_training_and_says_where() {
    let dir = scratch("bad");
    let input = dir.join("data.csv");
    write_csv(&input);
    std::fs::write(dir.join("bad.gmt"), "A\tdesc\tR1\nB only spaces here\n").unwrap();
    let o = bin()
        .args(["run", "--input"])
        .arg(&input)
        .arg("--out")
        .arg(dir.join("out"))
        .arg("--gene-sets")
        .arg(dir.join("bad.gmt"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("bad.gmt, line 2: a GMT line needs"),
        "{stderr}"
    );
    assert!(!dir.join("out").exists(), "nothing trained");
}

/// `evaluate --input` on a real data set: the genes a Dynamics run keeps (the 12 rising ones),
/// every baseline and the preset over the seeds, and each gene set's placement; without
/// `--gene-sets` it says what is missing.
#[test]
fn evaluate_on_a_data_set_reports_seed_agreement_and_where_each_set_lands() {
    let dir = scratch("evaluate-data");
    let input = dir.join("cells.csv");
    write_csv(&input);
    let sets = dir.join("sets.gmt");
    std::fs::write(
        &sets,
        "rising\tgenes that rise\tR0\tR1\tR2\tR3\tR4\tR5\tR6\tR7\tR8\tR9\tR10\tR11\n\
         flat\tnever kept\tF0\tF1\tF2\n",
    )
    .unwrap();
    let evaluate = |extra: &[&str]| {
        bin()
            .args([
                "evaluate",
                "--seeds",
                "2",
                "--k",
                "2",
                "--epochs-dynamics",
                "2",
            ])
            .arg("--input")
            .arg(&input)
            .args(extra)
            .output()
            .unwrap()
    };
    let o = evaluate(&["--gene-sets", sets.to_str().unwrap()]);
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
    );
    assert!(o.status.success(), "{err}");
    assert!(
        out.contains("12 genes kept of 24 (12 change over time at FDR 0.05)"),
        "{out}"
    );
    // The flat set has no gene among the kept ones, so it gets no column.
    assert!(
        out.contains(
            "| method | ARI between seeds | rising (12 genes): share in best cluster, p, peak |\n"
        ),
        "{out}"
    );
    for method in [
        "k-means, raw means",
        "k-means, z-scored means",
        "VRNN Dynamics (2 epochs)",
    ] {
        let row = out
            .lines()
            .find(|l| l.starts_with(&format!("| {method} |")))
            .unwrap_or_else(|| panic!("no row for {method}: {out}"));
        // Two clusters of 12 rising genes: the best holds at least half of them.
        let share: f64 = row.split('|').nth(3).unwrap().trim()[..4].parse().unwrap();
        assert!((0.5..=1.0).contains(&share), "{row}");
        // Rising genes peak at the last time point.
        assert!(row.contains("peak 24/24"), "{row}");
    }
    let o = evaluate(&[]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("evaluate --input needs --gene-sets"));
}
