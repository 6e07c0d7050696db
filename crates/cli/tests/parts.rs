//! `--parts` sets the numbers of a run, `--threads` only its speed (issue 21's first goal).

mod common;

use std::path::Path;

use common::{run_cli, scratch_with_csv};

#[test]
fn threads_change_the_speed_and_not_the_results() {
    let (dir, input, out) = scratch_with_csv("threads");
    let run = |threads: &str, out: &Path| {
        let o = run_cli(
            &input,
            out,
            &["--epochs", "3", "--batch-size", "16", "--threads", threads],
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    run("1", &out);
    let four = dir.join("out4");
    run("4", &four);
    for f in [
        "loss.csv",
        "clusters.csv",
        "latents.csv",
        "umap.csv",
        "memberships.csv",
    ] {
        let a = std::fs::read(out.join(f)).unwrap();
        let b = std::fs::read(four.join(f)).unwrap();
        assert!(a == b, "{f} differs between --threads 1 and --threads 4");
    }
    let json = |d: &Path| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(d.join("run.json")).unwrap()).unwrap()
    };
    let (one, four) = (json(&out), json(&four));
    assert_eq!(one["config"]["parts"], 8, "the default parts");
    assert_eq!(one["config"], four["config"]);
    assert_eq!(one["timings"]["threads"], 1);
    assert_eq!(four["timings"]["threads"], 4);

    // Other parts: another (reproducible) run.
    let parts2 = dir.join("parts2");
    let o = run_cli(
        &input,
        &parts2,
        &["--epochs", "3", "--batch-size", "16", "--parts", "2"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(json(&parts2)["config"]["parts"], 2);
    assert!(
        std::fs::read(parts2.join("latents.csv")).unwrap()
            != std::fs::read(out.join("latents.csv")).unwrap(),
        "parts change the rounding of the sums, so the trained model"
    );
}
