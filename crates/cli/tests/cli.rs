//! The CLI contract of interfaces.md: files written, their headers, exit status and the
//! one-line error naming file, line and column.

mod common;

use common::{bin, run_cli, scratch, scratch_with_csv, write_csv};

#[test]
fn run_writes_loss_means_and_run_json() {
    let (dir, input, out) = scratch_with_csv("run");
    let started = std::time::Instant::now();
    let o = run_cli(&input, &out, &["--epochs", "2", "--seed", "7"]);
    let wall_s = started.elapsed().as_secs_f64();
    assert!(
        o.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.stdout.is_empty(), "results go to files only");

    let loss = std::fs::read_to_string(out.join("loss.csv")).unwrap();
    let lines: Vec<&str> = loss.lines().collect();
    assert_eq!(lines[0], "epoch,train_loss,test_loss");
    assert_eq!(lines.len(), 3);
    for (i, line) in lines[1..].iter().enumerate() {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f[0], (i + 1).to_string());
        for v in &f[1..] {
            assert!(v.parse::<f64>().unwrap().is_finite(), "{line}");
        }
    }

    let means = std::fs::read_to_string(out.join("means.csv")).unwrap();
    assert_eq!(means.lines().next().unwrap(), "gene,0,3,6,12,24");
    assert_eq!(means.lines().count(), 31);

    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(run["config"]["epochs"], 2);
    assert_eq!(run["config"]["seed"], 7);
    assert_eq!(run["preset"], "dynamics", "the default preset");
    assert_eq!(run["backend"], "CPU");
    assert_eq!(run["dataset"]["n_genes"], 30);

    assert_eq!(run["analysis"]["config"]["k"], 6);
    // Every phase took some time, in seconds: all of them together fit in the process's wall
    // time (a phase timed in milliseconds, or never timed, fails here).
    let seconds = |v: &serde_json::Value, key: &str| {
        let s = v[key].as_f64().unwrap_or_else(|| panic!("{key}: {v}"));
        assert!(
            s > 0.0 && s < wall_s,
            "{key} = {s} s, the run took {wall_s} s"
        );
        s
    };
    let analysis = &run["analysis"]["timings"];
    let phases = seconds(&run["timings"], "ingest_s")
        + seconds(&run["timings"], "train_s")
        + ["latent_s", "k_choice_s", "cluster_s", "umap_s"]
            .iter()
            .map(|key| seconds(analysis, key))
            .sum::<f64>();
    assert!(
        phases < wall_s,
        "phases {phases} s, the run took {wall_s} s"
    );

    // The analysis files of interfaces.md, all from one clustering.
    let read = |name: &str| std::fs::read_to_string(out.join(name)).unwrap();
    let clusters = read("clusters.csv");
    let lines: Vec<&str> = clusters.lines().collect();
    assert_eq!(lines[0], "gene,cluster,membership,core");
    assert_eq!(lines.len(), 31);
    let labels: Vec<usize> = lines[1..]
        .iter()
        .map(|l| l.split(',').nth(1).unwrap().parse().unwrap())
        .collect();
    assert!(labels.iter().all(|&c| (1..=6).contains(&c)));
    for c in 1..=6 {
        let list = read(&format!("cluster_{c}.txt"));
        let expected: Vec<&str> = lines[1..]
            .iter()
            .filter(|l| l.split(',').nth(1) == Some(&c.to_string()))
            .map(|l| l.split(',').next().unwrap())
            .collect();
        assert_eq!(list.lines().collect::<Vec<_>>(), expected);
    }
    assert_eq!(read("clusters.gmt").lines().count(), 6);
    let memberships = read("memberships.csv");
    assert!(memberships.starts_with("gene,cluster,membership_1,"));
    let latents = read("latents.csv");
    // Dynamics clusters the posterior means of every time step: 8 dimensions × 5 times.
    assert!(latents.starts_with("gene,z1,z2,"));
    assert!(latents.lines().next().unwrap().ends_with(",z40"));
    assert_eq!(latents.lines().count(), 31);
    let umap = read("umap.csv");
    assert_eq!(umap.lines().next().unwrap(), "gene,umap1,umap2");
    assert_eq!(umap.lines().count(), 31);

    // Same seed, same numbers, down to the clusters and the layout.
    let out2 = dir.join("out2");
    let o = run_cli(&input, &out2, &["--epochs", "2", "--seed", "7"]);
    assert!(o.status.success());
    let read2 = |name: &str| std::fs::read_to_string(out2.join(name)).unwrap();
    assert_eq!(read2("loss.csv"), loss);
    assert_eq!(read2("clusters.csv"), clusters);
    assert_eq!(read2("umap.csv"), umap);
}

#[test]
fn reference_preset_and_simulate() {
    let dir = scratch("reference");
    let input = dir.join("sim.csv");
    let truth = dir.join("truth.csv");
    let o = bin()
        .args(["simulate", "--out"])
        .arg(&input)
        .arg("--truth-out")
        .arg(&truth)
        .args(["--genes", "50", "--cells-per-time", "20", "--seed", "3"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let t = std::fs::read_to_string(&truth).unwrap();
    assert_eq!(t.lines().next().unwrap(), "gene,module");
    assert_eq!(t.lines().count(), 51);
    assert!(t.contains("IRF1,fast_transient") && t.contains("CXCL10,late_rising"));
    let header = std::fs::read_to_string(&input).unwrap();
    assert!(header.starts_with("Cell_ID,Cell_Type,Time_numeric,"));

    let out = dir.join("out");
    let o = run_cli(&input, &out, &["--epochs", "1", "--preset", "reference"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(run["preset"], "reference");
    assert_eq!(run["config"]["lr"], 1e-4);
    assert_eq!(run["config"]["model"]["decoder_previous_h"], false);
    let latents = std::fs::read_to_string(out.join("latents.csv")).unwrap();
    assert!(latents.lines().next().unwrap().ends_with(",z64"));
}

#[test]
fn similar_genes_and_k_are_honoured() {
    let (dir, input, out) = scratch_with_csv("similar");
    let o = run_cli(
        &input,
        &out,
        &[
            "--epochs",
            "1",
            "--k",
            "3",
            "--similar-to",
            "G5",
            "--similar-n",
            "4",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let sim = std::fs::read_to_string(out.join("similar_genes.csv")).unwrap();
    let lines: Vec<&str> = sim.lines().collect();
    assert_eq!(lines[0], "query,rank,gene,distance,cluster");
    assert_eq!(lines.len(), 5);
    assert!(lines[1].starts_with("G5,1,"));
    assert!(!out.join("cluster_4.txt").exists());

    let o = run_cli(
        &input,
        &dir.join("out2"),
        &["--epochs", "1", "--similar-to", "NOPE"],
    );
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("no gene named \"NOPE\""), "{err}");
}

#[test]
fn genes_keeps_the_most_variable_and_k_above_the_gene_count_fails_early() {
    let (dir, input, out) = scratch_with_csv("genes");
    let o = run_cli(
        &input,
        &out,
        &[
            "--epochs", "1", "--genes", "10", "--k", "3", "--select", "variance",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let clusters = std::fs::read_to_string(out.join("clusters.csv")).unwrap();
    // G0..G29 grow with the gene index, so the 10 most variable are G20..G29.
    let genes: Vec<&str> = clusters
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(genes, (20..30).map(|g| format!("G{g}")).collect::<Vec<_>>());

    let o = run_cli(
        &input,
        &dir.join("out2"),
        &["--epochs", "1", "--genes", "4", "--k", "6"],
    );
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--k 6: 4 genes are left to cluster, fewer than the 6 clusters asked for"),
        "{err}"
    );
    assert!(!err.contains("epoch 1/1"), "fails before training: {err}");
}

#[test]
fn inspect_describes_the_file_and_cell_type_keeps_one_type() {
    let dir = scratch("inspect");
    let input = dir.join("typed.csv");
    let mut s = String::from("Cell_ID,Cell_Type,Time,IRF1,CXCL9,CXCL10,FLAT\n");
    for i in 0..12 {
        let kind = if i % 3 == 0 { "B" } else { "T" };
        let t = (i % 2) * 3;
        s += &format!(
            "c{i},{kind},{t},{},{},{},0\n",
            i as f64 * 0.5,
            (i % 5) as f64,
            ((i * i) % 7) as f64
        );
    }
    std::fs::write(&input, s).unwrap();
    let o = bin()
        .args(["inspect", "--input"])
        .arg(&input)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("cells: 12"), "{out}");
    assert!(out.contains("genes that never vary: 1"), "{out}");
    assert!(
        out.contains("time points: 0 (6 cells), 3 (6 cells)"),
        "{out}"
    );
    assert!(
        out.contains("cell types (column Cell_Type): B (4 cells), T (8 cells)"),
        "{out}"
    );
    assert!(out.contains("rows/s"), "{out}");

    let o = run_cli(
        &input,
        &dir.join("out"),
        &["--cell-type", "T", "--epochs", "2", "--k", "2"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("out/run.json")).unwrap()).unwrap();
    assert_eq!(run["dataset"]["cell_type"], "T");
    assert_eq!(run["dataset"]["n_cells"], 8);
}

/// The one catalogue of bad inputs, shared with the reader's and the browser's tests.
const CATALOGUE: &str = include_str!("../../../tests/bad-inputs/catalogue.json");

/// A case's bytes: `text`, `hex`, or `repeat` (`head`, then `row` `count` times with `{i}`
/// replaced by the row index), as tests/bad-inputs/catalogue.json describes.
fn case_bytes(c: &serde_json::Value) -> Vec<u8> {
    if let Some(f) = c["fixture"].as_str() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        return std::fs::read(root.join(f)).unwrap();
    }
    if let Some(t) = c["text"].as_str() {
        return t.as_bytes().to_vec();
    }
    if let Some(h) = c["hex"].as_str() {
        return (0..h.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
            .collect();
    }
    let r = &c["repeat"];
    let (row, count) = (r["row"].as_str().unwrap(), r["count"].as_u64().unwrap());
    let mut out = r["head"].as_str().unwrap().as_bytes().to_vec();
    if row.contains("{i}") {
        for i in 0..count {
            out.extend(row.replace("{i}", &i.to_string()).bytes());
        }
    } else {
        out.extend(row.repeat(count as usize).bytes());
    }
    out
}

/// Every case of the catalogue the CLI checks: `run` (and `inspect`, which reads without
/// training, where the case needs no option of `run` alone) exits non-zero with `error: ` and
/// `FILE: MESSAGE` on standard error, before any training.
#[test]
fn every_bad_input_of_the_catalogue_exits_non_zero_with_its_message() {
    let catalogue: serde_json::Value = serde_json::from_str(CATALOGUE).unwrap();
    let dir = scratch("bad-inputs");
    let mut checked = 0;
    for c in catalogue["cases"].as_array().unwrap() {
        if !c["fronts"].as_array().unwrap().iter().any(|f| f == "cli") {
            continue;
        }
        let (id, name) = (c["id"].as_str().unwrap(), c["file"].as_str().unwrap());
        let input = dir.join(name);
        // Several files (10x samples, a table and its sheet): each written, and given as
        // --input or --samples as the case says.
        let mut given: Vec<String> = Vec::new();
        if let Some(files) = c["files"].as_object() {
            for (f, text) in files {
                std::fs::write(dir.join(f), text.as_str().unwrap()).unwrap();
            }
            for f in c["inputs"].as_array().unwrap().iter().skip(1) {
                given.push("--input".into());
                given.push(dir.join(f.as_str().unwrap()).display().to_string());
            }
            if let Some(sheet) = c["samples"].as_str() {
                given.push("--samples".into());
                given.push(dir.join(sheet).display().to_string());
            }
        } else {
            std::fs::write(&input, case_bytes(c)).unwrap();
        }
        let first = match c["inputs"].as_array() {
            Some(inputs) => dir.join(inputs[0].as_str().unwrap()),
            None => input.clone(),
        };
        let expected = match c["message"].as_str() {
            Some(m) => format!("{name}: {m}"),
            None => c["messages"]["cli"].as_str().unwrap().to_string(),
        };
        let opts = &c["options"];
        let mut args: Vec<String> = vec!["--epochs".into(), "1".into()];
        args.extend(given.iter().cloned());
        for (key, flag) in [
            ("time_column", "--time-column"),
            ("cell_type", "--cell-type"),
            ("clusters", "--k"),
        ] {
            if let Some(v) = opts.get(key) {
                let v = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                args.extend([flag.to_string(), v]);
            }
        }
        let run_args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut outputs = vec![("run", run_cli(&first, &dir.join("out"), &run_args))];
        let read_stage = c.get("stage").is_none_or(|s| s == "read");
        if read_stage && opts.get("cell_type").is_none() && opts.get("clusters").is_none() {
            let mut inspect = bin();
            inspect
                .args(["inspect", "--input"])
                .arg(&first)
                .args(&given);
            if let Some(t) = opts.get("time_column").and_then(|v| v.as_str()) {
                inspect.args(["--time-column", t]);
            }
            outputs.push(("inspect", inspect.output().unwrap()));
        }
        for (command, o) in outputs {
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(!o.status.success(), "{id}: {command} succeeded: {err}");
            assert!(err.contains("error: "), "{id}: {command}: {err}");
            assert!(err.contains(&expected), "{id}: {command}: {err}");
            assert!(
                err.contains(name),
                "{id}: {command} does not name the file: {err}"
            );
            assert!(!err.contains("epoch 1/"), "{id}: {command} trained: {err}");
            assert!(o.stdout.is_empty(), "{id}: {command} printed results");
        }
        match c["files"].as_object() {
            Some(files) => files
                .keys()
                .for_each(|f| std::fs::remove_file(dir.join(f)).unwrap()),
            None => std::fs::remove_file(&input).unwrap(),
        }
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} cases checked");
}

#[test]
fn open_writes_a_sessions_results_identical_to_the_run() {
    let dir = scratch("open");
    let input = dir.join("cells.csv");
    write_csv(&input);
    let o = run_cli(&input, &dir.join("run"), &["--epochs", "2", "--k", "3"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = bin()
        .args(["open", "--session"])
        .arg(dir.join("run/session.vrnn"))
        .arg("--out")
        .arg(dir.join("opened"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for f in [
        "clusters.csv",
        "latents.csv",
        "umap.csv",
        "loss.csv",
        "memberships.csv",
    ] {
        assert_eq!(
            std::fs::read_to_string(dir.join("run").join(f)).unwrap(),
            std::fs::read_to_string(dir.join("opened").join(f)).unwrap(),
            "{f}"
        );
    }
    // Going on training from the saved weights: 2 more epochs, a new analysis and session.
    let o = bin()
        .args(["open", "--epochs", "4", "--session"])
        .arg(dir.join("run/session.vrnn"))
        .arg("--out")
        .arg(dir.join("more"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("going on training from epoch 2 to 4"), "{err}");
    let loss = std::fs::read_to_string(dir.join("more/loss.csv")).unwrap();
    let first = std::fs::read_to_string(dir.join("run/loss.csv")).unwrap();
    assert_eq!(loss.lines().count(), 5, "{loss}");
    assert!(loss.starts_with(&first), "the first two epochs are kept");
    assert!(dir.join("more/session.vrnn").exists());
    assert_eq!(
        std::fs::read_to_string(dir.join("more/clusters.csv"))
            .unwrap()
            .lines()
            .count(),
        std::fs::read_to_string(dir.join("run/clusters.csv"))
            .unwrap()
            .lines()
            .count()
    );
    let o = bin()
        .args(["open", "--session"])
        .arg(&input)
        .arg("--out")
        .arg(dir.join("nope"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a session file"));
}

/// Without `--epochs` a run trains for its preset's default, as the app does: 150 for
/// Dynamics (the Reference preset's 2000 is what interfaces.md gives with its other defaults).
#[test]
fn epochs_default_to_the_presets() {
    let (_dir, input, out) = scratch_with_csv("default-epochs");
    let o = run_cli(&input, &out, &["--k", "3"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(run["preset"], "dynamics");
    assert_eq!(run["config"]["epochs"], 150);
    let loss = std::fs::read_to_string(out.join("loss.csv")).unwrap();
    assert_eq!(loss.lines().count(), 151, "a header and one row per epoch");
}
