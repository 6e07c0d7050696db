//! Where a run trains. `CPU` and `WebGPU` are taken as asked (WebGPU falling back to the CPU
//! when it cannot start). `Auto` never trains on a software adapter (SwiftShader, llvmpipe: an
//! epoch there is hundreds of times slower than on the CPU), which is what headless and
//! GPU-less browsers offer. On a hardware adapter it does not assume the GPU wins: this small
//! model makes thousands of tiny dispatches per epoch, which a laptop GPU can run slower than
//! the CPU's helpers. So it times a few warm training steps of the run itself on each, picks
//! the faster, and keeps both times in the browser's storage under the machine's description,
//! so later runs choose at once; the line under the status shows both times.

use std::cell::Cell;

use vrnn_engine::backend;
use vrnn_engine::burn::tensor::Device;
use vrnn_engine::Run;
use vrnn_protocol::{Backend, Compute, MeasuredSpeeds, Response};
use wasm_bindgen::JsValue;

use crate::adapter;
use crate::benchmark::Throwaway;
use crate::run::helpers;
use crate::state::{navigator, post, Shared};
use crate::store;

/// Untimed batches before the timed ones: the first compiles WebGPU's shaders and fills the
/// CPU's caches.
const WARM_BATCHES: usize = 1;
/// Timed batches per path, at most...
const TIMED_BATCHES: usize = 3;
/// ...and fewer once this many seconds have passed (a slow path needs no precision).
const BUDGET_S: f64 = 2.0;

/// Where a run trains, and what the page should say about the choice.
pub struct Chosen {
    pub device: Device,
    pub backend: Backend,
    /// When the request could not be met (WebGPU asked for and missing): for the notice.
    pub note: Option<String>,
    /// Why `Auto` chose this backend: for the line that names the compute in use.
    pub reason: Option<String>,
}

impl Chosen {
    fn cpu(note: Option<String>, reason: Option<String>) -> Chosen {
        Chosen {
            device: backend::cpu_device(),
            backend: Backend::Cpu,
            note,
            reason,
        }
    }
}

/// A throwaway copy of the run about to start, on a device: what `Auto` times.
pub type Probe<'a> = &'a dyn Fn(Device, Backend) -> Option<Run>;

/// The device for a run asked to train on `compute`; `probe` makes copies of it for `Auto`
/// to time.
pub async fn choose(
    state: &Shared,
    cancel: &Cell<bool>,
    compute: Compute,
    probe: Probe<'_>,
) -> Chosen {
    if compute == Compute::Cpu {
        return Chosen::cpu(None, None);
    }
    let auto = compute == Compute::Auto;
    if !has_webgpu() {
        return if auto {
            Chosen::cpu(None, Some("Auto: this browser offers no WebGPU".into()))
        } else {
            Chosen::cpu(
                Some("this browser offers no WebGPU; using the CPU backend".into()),
                None,
            )
        };
    }
    if auto {
        let as_hardware = state.borrow().software_as_hardware;
        return match adapter::inspect().await {
            Ok(a) if a.software && !as_hardware => Chosen::cpu(
                None,
                Some(format!(
                    "Auto: the browser's WebGPU adapter ({}) is a software renderer, far slower than the CPU",
                    a.name
                )),
            ),
            Ok(a) => measured(state, cancel, &a.name, probe).await,
            Err(e) => Chosen::cpu(None, Some(format!("Auto: {e}"))),
        };
    }
    match webgpu_device(state).await {
        Ok(device) => Chosen {
            device,
            backend: Backend::WebGpu,
            note: None,
            reason: None,
        },
        Err(e) => Chosen::cpu(
            Some(format!(
                "WebGPU could not start ({e}); using the CPU backend"
            )),
            None,
        ),
    }
}

/// `Auto` on a hardware adapter: the faster of WebGPU and the CPU, as remembered for this
/// machine or timed now.
async fn measured(state: &Shared, cancel: &Cell<bool>, adapter: &str, probe: Probe<'_>) -> Chosen {
    let gpu = match webgpu_device(state).await {
        Ok(device) => device,
        Err(e) => return Chosen::cpu(None, Some(format!("Auto: WebGPU could not start ({e})"))),
    };
    let Some(mut cpu_run) = probe(backend::cpu_device(), Backend::Cpu) else {
        return Chosen::cpu(None, None);
    };
    let (pool, _) = helpers(state, Backend::Cpu, cpu_run.trainer.config.parts).await;
    let cpu = Backend::Cpu.with_workers(pool.as_ref().map_or(0, |p| p.size()));
    let key = speeds_key(adapter, &cpu, &cpu_run);
    let chosen = |speeds: &MeasuredSpeeds, remembered: bool| match speeds.faster() {
        Backend::WebGpu => Chosen {
            device: gpu.clone(),
            backend: Backend::WebGpu,
            note: None,
            reason: Some(speeds.reason(remembered)),
        },
        Backend::Cpu => Chosen::cpu(None, Some(speeds.reason(remembered))),
    };
    if let Ok(Some(speeds)) = store::speeds(&key).await {
        return chosen(&speeds, true);
    }
    post(&Response::Measuring {
        label: format!("Auto: timing {cpu} on this data…"),
    });
    let mut hooks = Throwaway {
        pool: pool.as_ref(),
        cpu: true,
        cancel,
    };
    let cpu_s = cpu_run
        .time_batches(&mut hooks, WARM_BATCHES, TIMED_BATCHES, BUDGET_S)
        .await;
    drop(cpu_run);
    post(&Response::Measuring {
        label: format!("Auto: timing WebGPU ({adapter}) on this data…"),
    });
    let mut hooks = Throwaway {
        pool: None,
        cpu: false,
        cancel,
    };
    let webgpu_s = match (cpu_s, probe(gpu.clone(), Backend::WebGpu)) {
        (Some(_), Some(mut run)) => {
            run.time_batches(&mut hooks, WARM_BATCHES, TIMED_BATCHES, BUDGET_S)
                .await
        }
        _ => None,
    };
    let (Some(cpu_s), Some(webgpu_s)) = (cpu_s, webgpu_s) else {
        // Cancelled: the run stops before its first batch, on the CPU.
        return Chosen::cpu(None, Some("Auto: the timing was cancelled".into()));
    };
    let speeds = MeasuredSpeeds {
        cpu,
        cpu_s,
        adapter: adapter.into(),
        webgpu_s,
        date: js_sys::Date::new_0()
            .to_iso_string()
            .as_string()
            .unwrap_or_default()
            .chars()
            .take(10)
            .collect(),
    };
    let mut out = chosen(&speeds, false);
    if let Err(e) = store::keep_speeds(&key, &speeds).await {
        out.reason = out
            .reason
            .map(|r| format!("{r}; not remembered: the browser's storage refused it ({e})"));
    }
    out
}

/// What a measurement holds for: this build on this machine (its adapter and cores), the CPU
/// path's helpers, and the shape of a training step (model, batch, parts, time points). The
/// number of genes only scales both paths' epochs alike, so a new data set reuses it.
fn speeds_key(adapter: &str, cpu: &str, run: &Run) -> String {
    let c = &run.trainer.config;
    let cores = js_sys::Reflect::get(&navigator(), &JsValue::from_str("hardwareConcurrency"))
        .ok()
        .and_then(|c| c.as_f64())
        .unwrap_or(0.0);
    format!(
        "version {} | {adapter} | {cores} cores | {cpu} | batch {} in {} parts | {} time points | {:?}",
        env!("CARGO_PKG_VERSION"),
        c.batch_size,
        c.parts,
        run.dataset.n_times(),
        c.model
    )
}

/// The browser's WebGPU device, asked for once per worker: later runs reuse it (or its error).
pub async fn webgpu_device(state: &Shared) -> Result<Device, String> {
    let cached = state.borrow().gpu.clone();
    match cached {
        Some(r) => r,
        None => {
            let r = backend::wgpu_device_async().await;
            state.borrow_mut().gpu = Some(r.clone());
            r
        }
    }
}

/// Whether this browser has WebGPU at all.
pub fn has_webgpu() -> bool {
    js_sys::Reflect::get(&navigator(), &JsValue::from_str("gpu"))
        .map(|g| !g.is_undefined())
        .unwrap_or(false)
}
