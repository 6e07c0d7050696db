//! What the CLI's test files share: the binary, a scratch folder, a run on a file, and a small
//! data set in the seed's layout.

#![allow(dead_code)] // each test file uses its own share of these

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vrnn-clustering"))
}

/// Runs `vrnn-clustering run --input INPUT --out OUT EXTRA...`.
pub fn run_cli(input: &Path, out: &Path, extra: &[&str]) -> Output {
    bin()
        .args(["run", "--input"])
        .arg(input)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

/// An empty folder of this test process's own, named for the test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vrnn-cli-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A deterministic seed-layout CSV: 30 genes, times 0, 3, 6, 12, 24, 4 cells each.
pub fn write_csv(path: &Path) {
    let times = [0.0f64, 3.0, 6.0, 12.0, 24.0];
    let mut s = String::from("Cell_ID,Cell_Type,Time_numeric");
    for g in 0..30 {
        s.push_str(&format!(",G{g}"));
    }
    s.push('\n');
    let mut id = 0;
    for &t in &times {
        for c in 0..4 {
            s.push_str(&format!("cell{id},T,{t}"));
            id += 1;
            for g in 0..30 {
                let v = ((g as f64 + 1.0) * (t / 24.0) + (c as f64) * 0.01).max(0.0);
                s.push_str(&format!(",{v:.3}"));
            }
            s.push('\n');
        }
    }
    std::fs::write(path, s).unwrap();
}

/// A scratch folder holding [`write_csv`]'s data: the folder, the CSV and an `out` path in it.
pub fn scratch_with_csv(name: &str) -> (PathBuf, PathBuf, PathBuf) {
    let dir = scratch(name);
    let input = dir.join("data.csv");
    write_csv(&input);
    let out = dir.join("out");
    (dir, input, out)
}
