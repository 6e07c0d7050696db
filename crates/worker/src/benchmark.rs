//! `Benchmark this machine`: the same small training on each compute path this browser offers,
//! timed, as a report users can send in, so that speeds come from real laptops and not only from
//! the project's build machines. The workload is the benchmarks' own (docs/benchmarks.md): the
//! default simulation, 2000 genes x 5 time points, the Reference preset with batches of 400,
//! one warm-up epoch and then [`TIMED_EPOCHS`] timed. The CPU is timed in the analysis worker
//! alone, with one training helper, and with as many as the `Workers` setting asks for, each
//! with where its time went (the helpers' computing, the messages, the training worker's own
//! part), the numbers of the model of time against helpers. Nothing of the user's data or run
//! is touched.

use std::cell::Cell;

use vrnn_engine::backend;
use vrnn_engine::burn::tensor::Device;
use vrnn_engine::parts::PartOutput;
use vrnn_engine::train::PartsBatch;
use vrnn_engine::{CoordinatorTimes, Dataset, Hooks, Run, Source};
use vrnn_protocol::{
    defaults, Backend, BenchmarkReport, Compute, GeneSelection, PathTiming, PoolTiming, Preset,
    Response, TrainSettings,
};
use wasm_bindgen::JsValue;

use crate::compute::{has_webgpu, webgpu_device};
use crate::pool::{Pool, PoolTimes};
use crate::run::default_workers;
use crate::state::{navigator, now_s, post, yield_to_event_loop, CancelFlag, Shared};
use crate::{adapter, load};

/// Epochs timed per path, after one warm-up epoch (compilation, caches, allocation).
const TIMED_EPOCHS: usize = 3;
/// Cells per time point of the simulated workload: enough for stable means, quick to make.
const CELLS_PER_TIME: usize = 20;

/// Times every path and posts [`Response::Benchmarked`].
pub async fn benchmark(state: Shared, cancel: CancelFlag) {
    post(&Response::Benchmarking {
        label: "Benchmarking this machine: preparing the workload…".into(),
    });
    let dataset = match load::simulated(CELLS_PER_TIME) {
        Ok((_, d, _)) => d,
        Err(e) => {
            return post(&Response::Failed {
                message: format!("the benchmark's workload could not be made: {e}"),
            })
        }
    };
    let mut paths = vec![
        time_path(
            &dataset,
            backend::cpu_device(),
            Backend::Cpu,
            "CPU, analysis worker only",
            None,
            &cancel,
        )
        .await,
    ];
    // The training helpers: one, and as many as the `Workers` setting asks for.
    let asked = state.borrow().workers.unwrap_or_else(default_workers);
    let mut counts = vec![1];
    if asked > 1 {
        counts.push(asked.min(defaults::PARTS));
    }
    for n in counts {
        let path = if n == 1 {
            "CPU, 1 worker".to_string()
        } else {
            format!("CPU, {n} workers")
        };
        let pool = state.borrow().pool.clone();
        let timing = match pool.resize(n).await {
            Ok(()) => {
                time_path(
                    &dataset,
                    backend::cpu_device(),
                    Backend::Cpu,
                    &path,
                    Some(&pool),
                    &cancel,
                )
                .await
            }
            Err(e) => PathTiming {
                path,
                seconds_per_epoch: None,
                epochs_timed: 0,
                note: Some(format!("the training helpers could not start ({e})")),
                pool: None,
            },
        };
        paths.push(timing);
    }
    let (adapter, software) = if has_webgpu() {
        match adapter::inspect().await {
            Ok(a) => (Some(a.name), a.software),
            Err(e) => (Some(e), false),
        }
    } else {
        (None, false)
    };
    let untimed = |note: String| PathTiming {
        path: "WebGPU".into(),
        seconds_per_epoch: None,
        epochs_timed: 0,
        note: Some(note),
        pool: None,
    };
    paths.push(if adapter.is_none() {
        untimed("this browser offers no WebGPU".into())
    } else if software {
        untimed(
            "a software adapter, hundreds of times slower than the CPU: not timed (Auto never uses it)"
                .into(),
        )
    } else {
        match webgpu_device(&state).await {
            Ok(device) => {
                time_path(&dataset, device, Backend::WebGpu, "WebGPU", None, &cancel).await
            }
            Err(e) => untimed(format!("WebGPU could not start ({e})")),
        }
    });
    post(&Response::Benchmarked(BenchmarkReport {
        version: env!("CARGO_PKG_VERSION").into(),
        user_agent: navigator_field("userAgent")
            .as_string()
            .unwrap_or_default(),
        cores: navigator_field("hardwareConcurrency")
            .as_f64()
            .map_or(0, |c| c as usize),
        adapter,
        adapter_is_software: software,
        workload: format!(
            "{} genes x {} time points (simulated), Reference preset, batch {}, {} parts on the CPU and 1 on WebGPU, 1 warm-up epoch then {TIMED_EPOCHS} timed",
            dataset.n_genes(),
            dataset.n_times(),
            defaults::BATCH_SIZE,
            defaults::PARTS
        ),
        paths,
    }));
}

fn navigator_field(key: &str) -> JsValue {
    js_sys::Reflect::get(&navigator(), &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// The hooks of a run trained only to be timed (here and by `Auto`): a CPU run's batches go
/// out in parts, to the pool's helpers or (with none) to the engine's own copy of a helper's
/// code; Cancel is heard between batches.
pub struct Throwaway<'a> {
    pub pool: Option<&'a Pool>,
    pub cpu: bool,
    pub cancel: &'a Cell<bool>,
}

impl Hooks for Throwaway<'_> {
    async fn before_batch(&mut self) -> bool {
        yield_to_event_loop().await;
        !self.cancel.get()
    }

    fn pooled(&self) -> bool {
        self.cpu
    }

    async fn parts(
        &mut self,
        batch: &PartsBatch,
        meanwhile: &mut dyn FnMut(),
    ) -> Option<Vec<PartOutput>> {
        self.pool?.compute(batch, meanwhile).await
    }
}

/// Trains the workload on `device` (with `pool`'s helpers computing the batches' parts, when
/// given): a warm-up epoch, then [`TIMED_EPOCHS`] timed ones, yielding between batches so that
/// Cancel is heard.
async fn time_path(
    dataset: &Dataset,
    device: Device,
    backend: Backend,
    path: &str,
    pool: Option<&Pool>,
    cancel: &CancelFlag,
) -> PathTiming {
    let mut timing = PathTiming {
        path: path.into(),
        seconds_per_epoch: None,
        epochs_timed: 0,
        note: None,
        pool: None,
    };
    let epochs = 1 + TIMED_EPOCHS;
    let settings = TrainSettings {
        epochs,
        compute: match backend {
            Backend::Cpu => Compute::Cpu,
            Backend::WebGpu => Compute::WebGpu,
        },
        preset: Preset::Reference,
        selection: GeneSelection::Variance,
        genes: None,
        keep: Vec::new(),
        ..TrainSettings::default()
    };
    let mut run = match Run::new(dataset, Source::default(), settings, device, backend, now_s) {
        Ok((run, _)) => run,
        Err(e) => {
            timing.note = Some(e.to_string());
            return timing;
        }
    };
    let mut started = None;
    let mut at_start = PoolTimes::default();
    let mut own_at_start = CoordinatorTimes::default();
    let mut hooks = Throwaway {
        pool,
        cpu: backend == Backend::Cpu,
        cancel,
    };
    while !run.trainer.is_done() {
        if !hooks.before_batch().await {
            timing.note = Some("cancelled".into());
            return timing;
        }
        if run.train_batch(&mut hooks).await {
            run.finish_epoch(&mut hooks).await;
            let done = run.trainer.epochs_done();
            if done == 1 {
                started = Some(now_s());
                at_start = pool.map(Pool::times).unwrap_or_default();
                own_at_start = run.coordinator_times();
            }
            post(&Response::Benchmarking {
                label: format!("Benchmarking this machine: {path}, epoch {done} of {epochs}…"),
            });
        }
    }
    if let Some(crashes) = pool.map(Pool::take_crashes).filter(|c| !c.is_empty()) {
        timing.note = Some(format!(
            "timed with helpers replaced or parts computed in the analysis worker: {}",
            crashes.join("; ")
        ));
    }
    if let Some(t0) = started {
        let seconds = now_s() - t0;
        let epochs = TIMED_EPOCHS as f64;
        timing.epochs_timed = TIMED_EPOCHS;
        timing.seconds_per_epoch = Some(seconds / epochs);
        if let Some(pool) = pool {
            let t = pool.times();
            let own = run.coordinator_times();
            let parts = (t.parts - at_start.parts).max(1) as f64;
            let here = t.here_parts - at_start.here_parts;
            let compute = t.compute_s - at_start.compute_s;
            timing.pool = Some(PoolTiming {
                helpers: pool.size(),
                parts: (t.parts - at_start.parts + here) / TIMED_EPOCHS,
                part_s: compute / parts,
                parts_here: here as f64 / epochs,
                part_here_s: (t.here_s - at_start.here_s) / here.max(1) as f64,
                message_s: (t.round_trip_s - at_start.round_trip_s - compute) / parts,
                coordinator_s: (seconds - (t.wait_s - at_start.wait_s)) / epochs,
                batch_s: (own.batch_s - own_at_start.batch_s) / epochs,
                step_s: (own.step_s - own_at_start.step_s) / epochs,
                close_s: (own.close_s - own_at_start.close_s) / epochs,
                ahead_s: (own.ahead_s - own_at_start.ahead_s) / epochs,
            });
        }
    }
    timing
}
