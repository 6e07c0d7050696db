//! Each request from the page, routed to the module that handles it.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use vrnn_engine::parts::ToHelper;
use vrnn_protocol::Request;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use web_sys::MessageEvent;

use crate::state::{fail, listen, CancelFlag, Shared, State};
use crate::{benchmark, intake, load, run, saved};

pub fn start() {
    let state: Shared = Rc::new(RefCell::new(State::default()));
    let cancel: CancelFlag = Rc::new(Cell::new(false));
    listen(move |ev: MessageEvent| {
        let data = ev.data();
        // A request is a JSON string, or [JSON, Blob, ...] when files travel beside it.
        let (json, files) = match data.as_string() {
            Some(s) => (s, Vec::new()),
            None => {
                let arr: js_sys::Array = data.unchecked_into();
                let blobs = (1..arr.length())
                    .filter_map(|i| arr.get(i).dyn_into::<web_sys::Blob>().ok())
                    .collect();
                (arr.get(0).as_string().unwrap_or_default(), blobs)
            }
        };
        match serde_json::from_str::<Request>(&json) {
            Ok(request) => handle(&state, &cancel, request, files),
            Err(e) => fail(format!("internal error: unreadable request ({e})")),
        }
    });
}

fn handle(state: &Shared, cancel: &CancelFlag, request: Request, files: Vec<web_sys::Blob>) {
    let file = files.first().cloned();
    let (st, cancel) = (state.clone(), cancel.clone());
    match request {
        Request::Cancel => cancel.set(true),
        Request::Load {
            file_name,
            files: paths,
            options,
        } => {
            cancel.set(false);
            spawn_local(intake::load(st, cancel, files, paths, file_name, options));
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
        Request::Workers { count } => state.borrow_mut().workers = Some(count),
        Request::InjectHelperCrash { at_epoch } => {
            state.borrow_mut().helper_fault = Some((at_epoch, ToHelper::Crash))
        }
        Request::InjectHelperHang { at_epoch } => {
            state.borrow_mut().helper_fault = Some((at_epoch, ToHelper::Hang))
        }
        Request::SoftwareAdapterAsHardware => state.borrow_mut().software_as_hardware = true,
    }
}
