//! The pool of training helpers: one Web Worker per core (crates/helper, a CPU-only wasm
//! build compiled once here and sent to each as a `WebAssembly.Module`), computing the parts
//! of each training batch. This worker keeps the weights, the optimiser and the noise; a
//! helper gets a part (and the step's weights when it does not hold them), answers with the
//! part's loss and gradients, and gets the next part: parts are handed out as helpers come
//! free, so a slow core does not hold the step. Each helper holds up to [`DEPTH`] parts, so
//! that the next is already in its queue when it answers one: it never waits for this worker
//! to hear the answer and send the next. The engine sums the parts in part order, so a
//! run gives the same numbers with any number of helpers.
//!
//! This worker computes parts too while it waits, from the back of the queue (helpers take
//! theirs from the front), with the helpers' own code ([`PartModel`] by hand): on a machine
//! with N cores, N - 1 helpers and this worker keep every core busy, and a helper's answer
//! waits at most one part for this worker to hear it (the helper has its next part queued).
//!
//! A helper that crashes, or hangs (a part unanswered far longer than any part took, or no
//! start), is stopped and replaced and the part it held is handed out again; when no helper is
//! left (or none can start), the engine computes the batch here, with the same numbers.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use js_sys::{Array, Float32Array, Function, Promise};
use vrnn_engine::burn::tensor::Device;
use vrnn_engine::parts::{FromHelper, PartModel, PartOutput, ToHelper};
use vrnn_engine::train::PartsBatch;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{ErrorEvent, MessageEvent, Worker};

use crate::state::{now_s, yield_to_event_loop};

/// The helpers' bootstrap (public/helper-loader.js): it loads the glue, then instantiates the
/// module of its first message.
const LOADER: &str = "./helper-loader.js";
/// The helpers' wasm, written by trunk next to this worker's.
const MODULE: &str = "./vrnn-helper_bg.wasm";
/// Parts a helper holds at once: the one it computes and the next. One part at a time left
/// each helper idle for a round trip of messages per part (0.7-1.3 ms against 4-5 ms of
/// computing, `bench/workers.js`); more than two would only let a slow helper keep parts that
/// a faster one could take at the end of a batch.
const DEPTH: usize = 2;
/// Helpers replaced per run after crashes before the pool gives up on them.
const MAX_RESTARTS: usize = 4;
/// A part unanswered for this many times the slowest part answered so far, and at least
/// [`HANG_MIN_S`], counts as a hung helper. A part takes milliseconds; the margin is wide so
/// that a loaded machine does not trip it (and a false alarm only costs the part's redoing).
const HANG_FACTOR: f64 = 50.0;
const HANG_MIN_S: f64 = 10.0;
/// A helper not started (not `Ready`) after this many seconds counts as hung too: starting
/// loads its glue script, which a slow first visit may fetch from the network.
const START_S: f64 = 30.0;

/// Time spent by the pool, for the benchmark's model of time against helpers.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PoolTimes {
    /// Parts computed.
    pub parts: usize,
    /// Seconds helpers spent computing them (their own clocks).
    pub compute_s: f64,
    /// Seconds from each part's coming to the front of its helper's queue (sent to an idle
    /// helper, or its predecessor answered) to its result arriving, summed over parts.
    pub round_trip_s: f64,
    /// Seconds this worker spent in batches (waiting, and computing its own parts).
    pub wait_s: f64,
    /// Parts this worker computed itself, and the seconds it spent on them.
    pub here_parts: usize,
    pub here_s: f64,
}

struct Helper {
    id: usize,
    worker: Worker,
    ready: bool,
    /// When it was started.
    started: f64,
    /// The weights version it holds.
    holds: Option<u64>,
    /// The parts it holds, in the order sent (it computes them in that order): each as its
    /// batch's version, its index and the time it came to the front (sent, or when the one
    /// before it was answered).
    busy: VecDeque<(u64, usize, f64)>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

impl Drop for Helper {
    fn drop(&mut self) {
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.terminate();
    }
}

/// The batch being computed.
struct InFlight {
    version: u64,
    batch: Rc<PartsBatch>,
    weights: Float32Array,
    queue: VecDeque<usize>,
    results: Vec<Option<PartOutput>>,
    left: usize,
    /// Set when the parts cannot be computed by helpers (the engine computes them here).
    failed: bool,
    resolve: Function,
}

#[derive(Default)]
struct Inner {
    module: Option<JsValue>,
    helpers: Vec<Helper>,
    next_id: usize,
    version: u64,
    batch: Option<InFlight>,
    restarts: usize,
    /// Why helpers stopped since the last [`Pool::take_crashes`].
    crashes: Vec<String>,
    times: PoolTimes,
    /// The longest a part has taken, from sending to its answer.
    slowest_s: f64,
    /// A testing aid: the next part sent crashes or hangs its helper.
    fault_next: Option<ToHelper>,
    /// This worker's own copy of a helper's model, and the batch version of its weights
    /// (taken out while it computes, so that no borrow is held across the computation).
    here: Option<(PartModel, u64)>,
}

/// The pool; cheap to clone (one pool per worker, kept between runs).
#[derive(Clone, Default)]
pub struct Pool(Rc<RefCell<Inner>>);

impl Pool {
    /// Makes the pool `size` helpers strong (compiling their module the first time), ready
    /// for a new run. Helpers start in the background: parts go to those that are ready.
    pub async fn resize(&self, size: usize) -> Result<(), String> {
        if self.0.borrow().module.is_none() {
            let module = compile().await?;
            self.0.borrow_mut().module = Some(module);
        }
        let mut inner = self.0.borrow_mut();
        inner.restarts = 0;
        inner.crashes.clear();
        inner.times = PoolTimes::default();
        inner.slowest_s = 0.0;
        inner.helpers.truncate(size);
        while inner.helpers.len() < size {
            let h = spawn(&self.0, &mut inner)?;
            inner.helpers.push(h);
        }
        Ok(())
    }

    /// Helpers in the pool now.
    pub fn size(&self) -> usize {
        self.0.borrow().helpers.len()
    }

    /// Stops every helper (their memory is returned).
    pub fn clear(&self) {
        let mut inner = self.0.borrow_mut();
        inner.helpers.clear();
        inner.here = None;
    }

    /// The parts' results from the helpers, or None when they could not compute them.
    /// `meanwhile` runs here once the helpers have their first parts, before this worker
    /// computes its own: work that would otherwise hold them up between batches.
    pub async fn compute(
        &self,
        batch: &PartsBatch,
        meanwhile: &mut dyn FnMut(),
    ) -> Option<Vec<PartOutput>> {
        let t0 = now_s();
        let batch = Rc::new(batch.clone());
        let mut setup = |resolve: Function, _reject: Function| {
            let mut inner = self.0.borrow_mut();
            inner.version += 1;
            let n = batch.parts.len();
            inner.batch = Some(InFlight {
                version: inner.version,
                weights: Float32Array::from(&batch.weights[..]),
                batch: batch.clone(),
                queue: (0..n).collect(),
                results: vec![None; n],
                left: n,
                failed: inner.helpers.is_empty(),
                resolve,
            });
        };
        let promise = Promise::new(&mut setup);
        dispatch(&mut self.0.borrow_mut());
        if self.0.borrow().helpers.iter().any(|h| !h.busy.is_empty()) {
            meanwhile();
        }
        // Once a second, helpers that stopped answering are found and replaced.
        let weak = Rc::downgrade(&self.0);
        let tick = Closure::<dyn FnMut()>::new(move || {
            if let Some(p) = weak.upgrade() {
                watch(&p);
            }
        });
        let scope: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
        let timer = scope
            .set_interval_with_callback_and_timeout_and_arguments_0(
                tick.as_ref().unchecked_ref(),
                1000,
            )
            .ok();
        // Parts computed here, one at a time from the back of the queue, with the event loop
        // let in between so that helpers' answers are heard and their queues refilled.
        while let Some((version, index)) = self.part_for_here() {
            self.compute_here(&batch, version, index).await;
            yield_to_event_loop().await;
        }
        let _ = JsFuture::from(promise).await;
        if let Some(timer) = timer {
            scope.clear_interval_with_handle(timer);
        }
        drop(tick);
        let mut inner = self.0.borrow_mut();
        inner.times.wait_s += now_s() - t0;
        let done = inner.batch.take()?;
        if done.failed {
            return None;
        }
        done.results.into_iter().collect()
    }

    /// The next part for this worker: the last one queued, unless the batch has failed.
    fn part_for_here(&self) -> Option<(u64, usize)> {
        let mut inner = self.0.borrow_mut();
        let b = inner.batch.as_mut().filter(|b| !b.failed)?;
        Some((b.version, b.queue.pop_back()?))
    }

    /// Computes part `index` of batch `version` here, as a helper would, and files its result.
    async fn compute_here(&self, batch: &PartsBatch, version: u64, index: usize) {
        let t0 = now_s();
        let part = &batch.parts[index];
        let config = &part.header.model;
        let taken = self.0.borrow_mut().here.take();
        let (mut model, held) = match taken {
            Some((m, held)) if m.config() == config => (m, Some(held)),
            _ => {
                let device = Device::flex();
                device.seed(0);
                (PartModel::new(config.clone(), device.autodiff()), None)
            }
        };
        // The batch's parts carry step 0: this model's weights are always "step 0", and the
        // version says which batch's they are.
        let mut holds = held;
        let mut out = Ok(());
        if held != Some(version) {
            out = model.set_weights(0, &batch.weights);
            holds = out.is_ok().then_some(version);
        }
        let out = match out {
            Ok(()) => model.compute(part).await,
            Err(e) => Err(e),
        };
        let mut inner = self.0.borrow_mut();
        let inner = &mut *inner;
        inner.here = holds.map(|v| (model, v));
        let Some(b) = inner.batch.as_mut().filter(|b| b.version == version) else {
            return;
        };
        match out {
            Ok(out) => {
                if let Some(slot) = b.results.get_mut(index).filter(|s| s.is_none()) {
                    *slot = Some(out);
                    b.left -= 1;
                    inner.times.here_parts += 1;
                    inner.times.here_s += now_s() - t0;
                }
            }
            Err(e) => {
                inner.crashes.push(format!(
                    "the analysis worker could not compute a part ({e})"
                ));
                b.failed = true;
            }
        }
        dispatch(inner);
    }

    /// Why helpers stopped since the last call (each was replaced or its work redone).
    pub fn take_crashes(&self) -> Vec<String> {
        std::mem::take(&mut self.0.borrow_mut().crashes)
    }

    pub fn times(&self) -> PoolTimes {
        self.0.borrow().times
    }

    /// A testing aid: the helper given the next part crashes (or hangs) on it.
    pub fn inject_next_part(&self, fault: ToHelper) {
        self.0.borrow_mut().fault_next = Some(fault);
    }
}

/// Fetches and compiles the helpers' module once.
async fn compile() -> Result<JsValue, String> {
    let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
    let fail = |what: &str, e: JsValue| format!("{what} {MODULE}: {e:?}");
    let response: web_sys::Response = JsFuture::from(global.fetch_with_str(MODULE))
        .await
        .map_err(|e| fail("could not fetch", e))?
        .unchecked_into();
    if !response.ok() {
        return Err(format!(
            "could not fetch {MODULE}: HTTP {}",
            response.status()
        ));
    }
    let bytes = JsFuture::from(
        response
            .array_buffer()
            .map_err(|e| fail("could not read", e))?,
    )
    .await
    .map_err(|e| fail("could not read", e))?;
    JsFuture::from(js_sys::WebAssembly::compile(&bytes))
        .await
        .map_err(|e| fail("could not compile", e))
}

/// Starts a helper and sends it the module.
fn spawn(pool: &Rc<RefCell<Inner>>, inner: &mut Inner) -> Result<Helper, String> {
    let id = inner.next_id;
    inner.next_id += 1;
    let worker =
        Worker::new(LOADER).map_err(|e| format!("a training helper could not start: {e:?}"))?;
    let weak: Weak<RefCell<Inner>> = Rc::downgrade(pool);
    let w = weak.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
        if let Some(p) = w.upgrade() {
            heard(&p, id, ev);
        }
    });
    let on_error = Closure::<dyn FnMut(ErrorEvent)>::new(move |ev: ErrorEvent| {
        ev.prevent_default();
        if let Some(p) = weak.upgrade() {
            crashed(&p, id, ev.message());
        }
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    if let Some(module) = &inner.module {
        worker
            .post_message(module)
            .map_err(|e| format!("a training helper could not be given its module: {e:?}"))?;
    }
    Ok(Helper {
        id,
        worker,
        ready: false,
        started: now_s(),
        holds: None,
        busy: VecDeque::new(),
        _on_message: on_message,
        _on_error: on_error,
    })
}

/// A helper's message.
fn heard(pool: &Rc<RefCell<Inner>>, id: usize, ev: MessageEvent) {
    let arr: Array = ev.data().unchecked_into();
    let head = arr.get(0).as_string().unwrap_or_default();
    let message = serde_json::from_str::<FromHelper>(&head);
    let mut inner = pool.borrow_mut();
    let inner = &mut *inner;
    let Some(h) = inner.helpers.iter_mut().find(|h| h.id == id) else {
        return;
    };
    match message {
        Ok(FromHelper::Ready) => h.ready = true,
        Ok(FromHelper::Done {
            step,
            index,
            loss,
            seconds,
        }) => {
            let sent = match h.busy.iter().position(|b| (b.0, b.1) == (step, index)) {
                Some(at) => h.busy.remove(at).map(|b| b.2),
                None => None,
            };
            // The next part starts now: its time (and the hang watch's) counts from here.
            if let Some(next) = h.busy.front_mut() {
                next.2 = now_s();
            }
            let grads = arr
                .get(1)
                .dyn_into::<Float32Array>()
                .map(|a| a.to_vec())
                .unwrap_or_default();
            if let Some(t) = sent {
                inner.slowest_s = inner.slowest_s.max(now_s() - t);
            }
            if let Some(b) = inner.batch.as_mut().filter(|b| b.version == step) {
                if let Some(slot) = b.results.get_mut(index).filter(|s| s.is_none()) {
                    *slot = Some(PartOutput { index, loss, grads });
                    b.left -= 1;
                    inner.times.parts += 1;
                    inner.times.compute_s += seconds;
                    inner.times.round_trip_s += sent.map_or(0.0, |t| now_s() - t);
                }
            }
        }
        Ok(FromHelper::Failed { message, .. }) => {
            h.busy.clear();
            inner
                .crashes
                .push(format!("a training helper refused a part ({message})"));
            if let Some(b) = inner.batch.as_mut() {
                b.failed = true;
            }
        }
        Err(e) => {
            h.busy.clear();
            inner.crashes.push(format!(
                "a training helper sent an unreadable message ({e})"
            ));
            if let Some(b) = inner.batch.as_mut() {
                b.failed = true;
            }
        }
    }
    dispatch(inner);
}

/// A helper stopped (a panic, or it could not start): it is replaced, and the parts it held
/// are handed out again.
fn crashed(pool: &Rc<RefCell<Inner>>, id: usize, message: String) {
    let mut inner = pool.borrow_mut();
    let inner = &mut *inner;
    let Some(at) = inner.helpers.iter().position(|h| h.id == id) else {
        return;
    };
    let gone = inner.helpers.remove(at);
    inner.crashes.push(if message.is_empty() {
        "a training helper stopped".to_string()
    } else {
        format!("a training helper stopped ({message})")
    });
    if let Some(b) = inner.batch.as_mut() {
        for &(version, part, _) in gone.busy.iter().rev() {
            if version == b.version && b.results.get(part).is_some_and(|r| r.is_none()) {
                b.queue.push_front(part);
            }
        }
    }
    drop(gone);
    if inner.restarts < MAX_RESTARTS {
        inner.restarts += 1;
        match spawn(pool, inner) {
            Ok(h) => inner.helpers.push(h),
            Err(e) => inner.crashes.push(e),
        }
    }
    if inner.helpers.is_empty() {
        if let Some(b) = inner.batch.as_mut() {
            b.failed = true;
        }
    }
    dispatch(inner);
}

/// Stops and replaces (as [`crashed`]) every helper that has not answered its part within the
/// hang limit, or not started within [`START_S`].
fn watch(pool: &Rc<RefCell<Inner>>) {
    let now = now_s();
    let hung: Vec<(usize, String)> = {
        let inner = pool.borrow();
        let limit = HANG_MIN_S.max(HANG_FACTOR * inner.slowest_s);
        inner
            .helpers
            .iter()
            .filter_map(|h| match h.busy.front() {
                Some(&(_, part, sent)) if now - sent > limit => Some((
                    h.id,
                    format!("it did not answer part {} within {limit:.0} s", part + 1),
                )),
                None if !h.ready && now - h.started > START_S => {
                    Some((h.id, format!("it did not start within {START_S:.0} s")))
                }
                _ => None,
            })
            .collect()
    };
    for (id, why) in hung {
        crashed(pool, id, why);
    }
}

/// Hands queued parts to ready helpers, those holding fewest first, up to [`DEPTH`] each;
/// resolves the batch when it is complete or failed.
fn dispatch(inner: &mut Inner) {
    let Some(b) = inner.batch.as_mut() else {
        return;
    };
    if b.left == 0 || b.failed {
        let _ = b.resolve.call0(&JsValue::NULL);
        return;
    }
    for held in 0..DEPTH {
        for h in inner
            .helpers
            .iter_mut()
            .filter(|h| h.ready && h.busy.len() == held)
        {
            let Some(index) = b.queue.pop_front() else {
                return;
            };
            let fault = inner.fault_next.take();
            match send(h, b, index, fault) {
                Ok(()) => h.busy.push_back((b.version, index, now_s())),
                Err(_) => b.queue.push_front(index),
            }
        }
    }
}

/// Posts part `index` to a helper, with the step's weights when it does not hold them.
fn send(
    h: &mut Helper,
    b: &InFlight,
    index: usize,
    fault: Option<ToHelper>,
) -> Result<(), JsValue> {
    if let Some(fault) = fault {
        let json = serde_json::to_string(&fault).unwrap_or_default();
        h.worker
            .post_message(&Array::of1(&JsValue::from_str(&json)))?;
    }
    let part = &b.batch.parts[index];
    let mut header = part.header.clone();
    header.step = b.version;
    let json = serde_json::to_string(&ToHelper::Part(header)).unwrap_or_default();
    let weights: JsValue = if h.holds == Some(b.version) {
        JsValue::NULL
    } else {
        b.weights.clone().into()
    };
    let x = Float32Array::from(&part.x[..]);
    let eps = Float32Array::from(&part.eps[..]);
    let w: JsValue = part
        .w
        .as_ref()
        .map_or(JsValue::NULL, |w| Float32Array::from(&w[..]).into());
    let message = Array::of5(&JsValue::from_str(&json), &weights, &x, &eps, &w);
    let transfer = Array::of2(&x.buffer(), &eps.buffer());
    if let Some(w) = w.dyn_ref::<Float32Array>() {
        transfer.push(&w.buffer());
    }
    h.worker.post_message_with_transfer(&message, &transfer)?;
    h.holds = Some(b.version);
    Ok(())
}
