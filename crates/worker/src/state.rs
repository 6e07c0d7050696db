//! What the worker holds between messages, and how it talks to the page.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use vrnn_engine::burn::tensor::Device;
use vrnn_engine::ingest::Tally;
use vrnn_engine::{Dataset, Session};
use vrnn_protocol::{ReadStats, Response, SimilarGene};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::DedicatedWorkerGlobalScope;

/// The worker's state, shared by the tasks that handle messages.
pub type Shared = Rc<RefCell<State>>;
/// Set by `Cancel`; whatever runs (reading, training, analysis) stops at its next step.
pub type CancelFlag = Rc<Cell<bool>>;

#[derive(Default)]
pub struct State {
    /// The data set in use, with what it came from.
    pub data: Option<Data>,
    /// Counts loads, so that a file dropped while another is read supersedes it.
    pub load_generation: u64,
    /// WebGPU can be initialised once per worker: remember the outcome.
    pub gpu: Option<Result<Device, String>>,
    /// A training run or its analysis is in progress.
    pub running: bool,
    /// The last run, as of its last checkpoint or its end.
    pub current: Option<CurrentRun>,
    /// A panic asked for by the tests (see `Request::InjectPanic`).
    pub fault: Option<(usize, bool)>,
    /// The user's gene sets: every analysis is tested for enrichment in them.
    pub gene_sets: Option<vrnn_engine::enrich::GeneSets>,
    /// The user's last membership-core threshold, kept for the next analyses.
    pub core_threshold: Option<f64>,
    /// Training helpers asked for (`Request::Workers`); None: one per core but the page's.
    pub workers: Option<usize>,
    /// The training helpers, kept between runs.
    pub pool: crate::pool::Pool,
    /// A helper crash or hang asked for by the tests, after this epoch (see
    /// `Request::InjectHelperCrash`, `Request::InjectHelperHang`).
    pub helper_fault: Option<(usize, vrnn_engine::parts::ToHelper)>,
    /// `Auto` times a software adapter instead of refusing it (a testing aid, see
    /// `Request::SoftwareAdapterAsHardware`).
    pub software_as_hardware: bool,
}

/// A data set and what it came from.
pub struct Data {
    pub dataset: Rc<Dataset>,
    /// The sums of the file, per cell type: a cell type filter needs no second pass (none for
    /// a reopened session).
    pub tally: Option<Rc<Tally>>,
    pub file_name: String,
    pub cell_type: Option<String>,
    pub read: ReadStats,
    /// How it was read (format, counts rule, time labels), kept for a reopened session too.
    pub info: vrnn_protocol::ReadInfo,
    pub extras: crate::load::Extras,
}

/// The current run: its session (everything to show it, save it or go on training), its id in
/// the browser's storage, and the page's last similar-genes query.
pub struct CurrentRun {
    pub id: String,
    pub session: Session,
    pub similar: Option<(String, Vec<SimilarGene>)>,
    /// A storage failure is reported once per run, not at every checkpoint.
    pub storage_warned: bool,
}

impl CurrentRun {
    pub fn new(id: String, session: Session) -> CurrentRun {
        CurrentRun {
            id,
            session,
            similar: None,
            storage_warned: false,
        }
    }
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

pub fn post(msg: &Response) {
    match serde_json::to_string(msg) {
        Ok(json) => {
            let _ = scope().post_message(&JsValue::from_str(&json));
        }
        Err(e) => web_sys::console::error_1(&format!("cannot encode {msg:?}: {e}").into()),
    }
}

/// Says what went wrong; the page shows it as an alert.
pub fn fail(message: impl Into<String>) {
    post(&Response::Failed {
        message: message.into(),
    })
}

/// Posts a message with bytes beside it (the page's client joins them again).
pub fn post_with_bytes(msg: &Response, bytes: &[u8]) {
    let Ok(json) = serde_json::to_string(msg) else {
        return;
    };
    let parts = js_sys::Array::new();
    parts.push(&JsValue::from_str(&json));
    parts.push(&js_sys::Uint8Array::from(bytes));
    let _ = scope().post_message(&parts);
}

/// Seconds since the worker started (`performance.now()`).
pub fn now_s() -> f64 {
    scope()
        .performance()
        .map(|p| p.now() / 1000.0)
        .unwrap_or(0.0)
}

/// The browser's `navigator` of this worker.
pub fn navigator() -> web_sys::WorkerNavigator {
    scope().navigator()
}

/// The channel [`yield_to_event_loop`] posts to, and the resolvers waiting on it, in order.
type Tick = (
    Option<web_sys::MessageChannel>,
    RefCell<std::collections::VecDeque<js_sys::Function>>,
);

thread_local! {
    static TICK: Tick = {
        let channel = web_sys::MessageChannel::new().ok();
        if let Some(ch) = &channel {
            let on_tick = Closure::<dyn FnMut()>::new(|| {
                if let Some(resolve) = TICK.with(|t| t.1.borrow_mut().pop_front()) {
                    let _ = resolve.call0(&JsValue::NULL);
                }
            });
            ch.port1().set_onmessage(Some(on_tick.as_ref().unchecked_ref()));
            // Lives as long as the worker: the channel is used for every yield.
            on_tick.forget();
        }
        (channel, RefCell::new(std::collections::VecDeque::new()))
    };
}

/// Lets queued messages (a Cancel) run: a macrotask, since awaiting a resolved promise only
/// drains microtasks. A message to our own channel, not `setTimeout(0)`: browsers clamp
/// nested timeouts to 4 ms. With a yield per batch of 20 genes (80 an epoch), an epoch took
/// 1.131 s with the timeout and 1.007 s with the channel.
pub async fn yield_to_event_loop() {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        let posted = TICK.with(|(channel, waiting)| {
            let ch = channel.as_ref()?;
            ch.port2().post_message(&JsValue::NULL).ok()?;
            waiting.borrow_mut().push_back(resolve.clone());
            Some(())
        });
        if posted.is_none() {
            let _ = scope().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0);
        }
    });
    let _ = JsFuture::from(p).await;
}

/// Installs the message handler and the panic hook, and tells the page the worker listens.
pub fn listen(on_message: impl FnMut(web_sys::MessageEvent) + 'static) {
    // A panic aborts this WebAssembly instance: the page is told why, and starts a new worker.
    // The console gets the location; the page gets the message, which is what a user can read.
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| info.to_string());
        post(&Response::Crashed { message });
    }));
    let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(on_message);
    scope().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    post(&Response::Ready);
}
