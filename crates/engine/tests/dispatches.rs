//! Kernel launches (WebGPU dispatches) per training step on native wgpu, issue 21: every
//! dispatch costs a fixed amount on WebGPU whatever its size, and this model's are small, so
//! their number is what decides whether WebGPU can beat the CPU. Counted with cubecl's launch
//! observer over one training batch after a warm-up batch (which compiles the kernels), for the
//! default parts per batch and for one part, printed per kernel, and held to a budget: the test
//! fails when a change makes the count grow, and a change that cuts it lowers the budget. The
//! numbers are in docs/benchmarks.md. Its own test binary: the observer sees every launch of
//! the process, so no other wgpu test may run beside it.

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use cubecl_runtime::logging::{LaunchObservation, LaunchObserver};
use vrnn_engine::{backend, TrainConfig, Trainer};
use vrnn_types::defaults;

/// Launches per training batch at the default parts per batch, and with one part: the counts
/// measured when they were last cut (docs/benchmarks.md). Lower them when a change cuts the
/// dispatches; never raise them without saying why there.
const BUDGET_DEFAULT_PARTS: usize = 3_724;
const BUDGET_ONE_PART: usize = 481;

/// How far over its budget a count may go before the test fails: fusion decides at run time
/// how to split its queue into kernels, so a machine may launch a few more or fewer.
const SLACK_PERCENT: usize = 2;

#[derive(Default)]
struct Launches(Mutex<BTreeMap<&'static str, usize>>);

impl LaunchObserver for Launches {
    fn launched(&self, kernel: &'static str) {
        *self
            .0
            .lock()
            .expect("one counter")
            .entry(kernel)
            .or_default() += 1;
    }
}

impl Launches {
    fn total(&self) -> usize {
        self.0.lock().expect("one counter").values().sum()
    }

    /// The kernels launched most often, for the record.
    fn top(&self, n: usize) -> String {
        let counts = self.0.lock().expect("one counter");
        let mut v: Vec<(&&str, &usize)> = counts.iter().collect();
        v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        v.iter()
            .take(n)
            .map(|(k, c)| format!("  {c:>6} {}", short(k)))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// A kernel's type name without its paths and long generic arguments:
/// `KernelBinop<AddOp>`, `MatmulEntry`.
fn short(kernel: &str) -> String {
    let last = |s: &str| s.rsplit("::").next().unwrap_or(s).to_string();
    match kernel.split_once('<') {
        None => last(kernel),
        Some((base, args)) => {
            let first = args.split([',', '<', '>']).next().unwrap_or("");
            let first = last(first.trim());
            if first.len() <= 24 {
                format!("{}<{first}>", last(base))
            } else {
                last(base)
            }
        }
    }
}

/// Launches of one training batch and of the epoch's close (the test genes' forward pass and
/// the one read-back of both losses).
fn count(
    parts: usize,
    device: &vrnn_engine::burn::tensor::Device,
) -> (Arc<Launches>, Arc<Launches>) {
    // The reference's shapes: batch 400, 5 time points; 500 genes leave 400 to train.
    let (genes, steps) = (500, 5);
    let means: Vec<f32> = (0..genes * steps)
        .map(|i| ((i * 37) % 101) as f32 / 50.0)
        .collect();
    let config = TrainConfig::new().with_parts(parts).with_batch_size(400);
    let mut trainer = Trainer::new(config, &means, genes, steps, device);
    // Warm-up: the first epoch compiles every kernel. Fusion holds operations in a queue until
    // enough accumulate, so each count starts and ends with the queue emptied: otherwise a few
    // of one batch's kernels run at the next read-back, and the counts move between the two.
    let sync = || device.sync().expect("the device runs what it was given");
    pollster::block_on(trainer.epoch());
    sync();
    let step = Arc::new(Launches::default());
    let watching = LaunchObservation::new(step.clone());
    trainer.train_batch();
    sync();
    drop(watching);
    let close = Arc::new(Launches::default());
    let watching = LaunchObservation::new(close.clone());
    pollster::block_on(trainer.finish_epoch());
    sync();
    drop(watching);
    (step, close)
}

#[test]
fn dispatches_per_training_step_stay_within_budget() {
    // A process registers one wgpu runtime: the device is made once and cloned.
    let Some(gpu) = common::wgpu_or_skip("dispatches_per_training_step_stay_within_budget") else {
        return;
    };
    let device = backend::training_device(gpu.clone(), 7);
    let mut report = String::new();
    let mut over = Vec::new();
    for (parts, budget) in [
        (defaults::PARTS, BUDGET_DEFAULT_PARTS),
        (1, BUDGET_ONE_PART),
    ] {
        let (step, close) = count(parts, &device);
        report += &format!(
            "{parts} part(s) per batch: {} launches per training batch, {} to close the epoch; most launched:\n{}\n",
            step.total(),
            close.total(),
            step.top(12)
        );
        if step.total() > budget + budget * SLACK_PERCENT / 100 {
            over.push(format!(
                "{parts} part(s): {} launches per batch, over the budget of {budget} (+{SLACK_PERCENT} %)",
                step.total()
            ));
        }
    }
    // The counts for the record: `cargo test ... -- dispatches --nocapture`.
    eprintln!("\n{report}");
    assert!(over.is_empty(), "{}\n{report}", over.join("\n"));

    // So a WebGPU run trains in one part whatever its settings say; a CPU run keeps them.
    let mut csv = String::from("Cell,Time,G1,G2,G3,G4\n");
    for c in 0..12 {
        let t = [0, 3, 6][c % 3];
        csv += &format!(
            "c{c},{t},{},{},{},{}\n",
            c % 5,
            (c * 3) % 7,
            c % 2,
            (c * 5) % 3
        );
    }
    let data = vrnn_engine::read_table(csv.as_bytes(), &Default::default()).unwrap();
    let settings = vrnn_types::TrainSettings {
        k: 2,
        epochs: 1,
        ..Default::default()
    };
    let on = |device, backend| {
        let source = vrnn_engine::Source::default();
        let clock = vrnn_engine::run::native_clock;
        vrnn_engine::Run::new(&data, source, settings.clone(), device, backend, clock)
            .unwrap()
            .0
            .settings
            .parts
    };
    assert_eq!(on(gpu, vrnn_types::Backend::WebGpu), 1);
    assert_eq!(
        on(backend::cpu_device(), vrnn_types::Backend::Cpu),
        defaults::PARTS
    );
}
