//! The page's end of the worker protocol: starts the worker, queues requests until it says
//! `Ready`, and hands every response to one callback.

use std::cell::RefCell;
use std::rc::Rc;

use vrnn_protocol::{Request, Response};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{ErrorEvent, MessageEvent, Worker};

/// The worker's loader, written by trunk next to index.html (classic worker, no-modules build).
const WORKER_URL: &str = "./vrnn-worker_loader.js";

pub struct WorkerClient {
    worker: Worker,
    ready: Rc<RefCell<bool>>,
    queue: Rc<RefCell<Vec<JsValue>>>,
}

impl WorkerClient {
    pub fn start(on_response: impl Fn(Response) + 'static) -> Result<Rc<Self>, String> {
        let worker = Worker::new(WORKER_URL)
            .map_err(|e| format!("the analysis worker could not start: {e:?}"))?;
        let client = Rc::new(Self {
            worker,
            ready: Rc::new(RefCell::new(false)),
            queue: Rc::new(RefCell::new(Vec::new())),
        });
        let on_response = Rc::new(on_response);
        let (ready, queue, w) = (
            client.ready.clone(),
            client.queue.clone(),
            client.worker.clone(),
        );
        let handler = on_response.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            let data = ev.data();
            // A message is JSON, or [JSON, bytes] when a binary file comes with it.
            let (text, bytes) = match data.as_string() {
                Some(text) => (text, None),
                None => {
                    let parts: js_sys::Array = data.unchecked_into();
                    let bytes = parts.get(1).dyn_into::<js_sys::Uint8Array>().ok();
                    (parts.get(0).as_string().unwrap_or_default(), bytes)
                }
            };
            match serde_json::from_str::<Response>(&text) {
                Ok(Response::BinaryFile { name, mime, .. }) => handler(Response::BinaryFile {
                    name,
                    mime,
                    bytes: bytes.map(|b| b.to_vec()).unwrap_or_default(),
                }),
                Ok(Response::Ready) => {
                    *ready.borrow_mut() = true;
                    for msg in queue.borrow_mut().drain(..) {
                        let _ = w.post_message(&msg);
                    }
                    handler(Response::Ready);
                }
                Ok(r) => handler(r),
                Err(e) => handler(Response::Failed {
                    message: format!("internal error: unreadable message from the worker ({e})"),
                }),
            }
        });
        client
            .worker
            .set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();
        let on_error = Closure::<dyn FnMut(ErrorEvent)>::new(move |ev: ErrorEvent| {
            ev.prevent_default();
            on_response(Response::Failed {
                message: format!("the analysis worker stopped: {}", ev.message()),
            });
        });
        client
            .worker
            .set_onerror(Some(on_error.as_ref().unchecked_ref()));
        on_error.forget();
        Ok(client)
    }

    fn post(&self, msg: JsValue) {
        if *self.ready.borrow() {
            let _ = self.worker.post_message(&msg);
        } else {
            self.queue.borrow_mut().push(msg);
        }
    }

    pub fn send(&self, request: &Request) {
        if let Ok(json) = serde_json::to_string(request) {
            self.post(JsValue::from_str(&json));
        }
    }

    /// Sends a request together with a file (a `File` is a `Blob`; the browser shares, not copies).
    pub fn send_with_file(&self, request: &Request, file: &web_sys::Blob) {
        if let Ok(json) = serde_json::to_string(request) {
            let arr = js_sys::Array::new();
            arr.push(&JsValue::from_str(&json));
            arr.push(file);
            self.post(arr.into());
        }
    }
}
