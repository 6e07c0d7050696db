//! Each request from the page, routed to the module that handles it.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use vrnn_protocol::Request;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use web_sys::MessageEvent;

use crate::state::{fail, listen, CancelFlag, Shared, State};
use crate::{benchmark, load, run, saved};

pub fn start() {
    let state: Shared = Rc::new(RefCell::new(State::default()));
    let cancel: CancelFlag = Rc::new(Cell::new(false));
    listen(move |ev: MessageEvent| {
        let data = ev.data();
        // A request is a JSON string, or [JSON, Blob] when a file travels beside it.
        let (json, file) = match data.as_string() {
            Some(s) => (s, None),
            None => {
                let arr: js_sys::Array = data.unchecked_into();
                (
                    arr.get(0).as_string().unwrap_or_default(),
                    arr.get(1).dyn_into::<web_sys::Blob>().ok(),
                )
            }
        };
        match serde_json::from_str::<Request>(&json) {
            Ok(request) => handle(&state, &cancel, request, file),
            Err(e) => fail(format!("internal error: unreadable request ({e})")),
        }
    });
}

fn handle(state: &Shared, cancel: &CancelFlag, request: Request, file: Option<web_sys::Blob>) {
    let (st, cancel) = (state.clone(), cancel.clone());
    match request {
        Request::Cancel => cancel.set(true),
        Request::Load {
            file_name,
            time_column,
        } => {
            cancel.set(false);
            spawn_local(load::load(st, cancel, file, file_name, time_column));
        }
        Request::LoadDemo => spawn_local(load::demo(st)),
        Request::FilterCellType { cell_type } => load::filter_cell_type(state, cell_type),
        Request::Train(settings) => {
            if let Some(job) = run::exclusive(state, &cancel) {
                spawn_local(job.run(run::train(st, cancel, settings)));
            }
        }
        Request::Resume { epochs, compute } => {
            if let Some(job) = run::exclusive(state, &cancel) {
                spawn_local(job.run(run::resume_current(st, cancel, epochs, compute)));
            }
        }
        Request::Recluster { k, core_threshold } => run::recluster(state, k, core_threshold),
        Request::GeneSets { file_name } => spawn_local(run::gene_sets(st, file_name, file)),
        Request::Similar { gene, n } => run::similar(state, &gene, n),
        Request::Export { name } => saved::export(state, &name),
        Request::ListSaved => spawn_local(saved::list()),
        Request::OpenSaved { id, resume } => {
            cancel.set(false);
            spawn_local(saved::open(st, cancel, id, resume));
        }
        Request::DeleteSaved { id } => spawn_local(saved::delete(id)),
        Request::Benchmark => {
            if let Some(job) = run::exclusive(state, &cancel) {
                spawn_local(job.run(benchmark::benchmark(st, cancel)));
            }
        }
        Request::InjectPanic {
            at_epoch,
            only_on_webgpu,
        } => state.borrow_mut().fault = Some((at_epoch, only_on_webgpu)),
    }
}
