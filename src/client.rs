//! The page's end of the worker protocol: starts the worker, queues requests until it says
//! `Ready`, and hands every response to one callback. A worker that dies (a panic aborts its
//! WebAssembly instance) is replaced by a new one, and the page is told with `Crashed`.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use vrnn_protocol::{Request, Response};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{ErrorEvent, MessageEvent, Worker};

/// The worker's loader, written by trunk next to index.html (classic worker, no-modules build).
const WORKER_URL: &str = "./vrnn-worker_loader.js";

pub struct WorkerClient {
    worker: RefCell<Option<Worker>>,
    ready: RefCell<bool>,
    queue: RefCell<Vec<JsValue>>,
    on_response: Rc<dyn Fn(Response)>,
}

impl WorkerClient {
    pub fn start(on_response: impl Fn(Response) + 'static) -> Result<Rc<Self>, String> {
        let client = Rc::new(Self {
            worker: RefCell::new(None),
            ready: RefCell::new(false),
            queue: RefCell::new(Vec::new()),
            on_response: Rc::new(on_response),
        });
        client.spawn()?;
        Ok(client)
    }

    /// Starts a worker and wires its messages to the page.
    fn spawn(self: &Rc<Self>) -> Result<(), String> {
        let worker = Worker::new(WORKER_URL)
            .map_err(|e| format!("the analysis worker could not start: {e:?}"))?;
        let me: Weak<Self> = Rc::downgrade(self);
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            if let Some(client) = me.upgrade() {
                client.receive(ev.data());
            }
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();
        let me: Weak<Self> = Rc::downgrade(self);
        let on_error = Closure::<dyn FnMut(ErrorEvent)>::new(move |ev: ErrorEvent| {
            ev.prevent_default();
            if let Some(client) = me.upgrade() {
                client.crashed(format!("the analysis worker stopped: {}", ev.message()));
            }
        });
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        on_error.forget();
        *self.ready.borrow_mut() = false;
        *self.worker.borrow_mut() = Some(worker);
        Ok(())
    }

    fn receive(self: &Rc<Self>, data: JsValue) {
        // A message is JSON, or [JSON, bytes] when a binary file comes with it.
        let (text, bytes) = match data.as_string() {
            Some(text) => (text, None),
            None => {
                let parts: js_sys::Array = data.unchecked_into();
                let bytes = parts.get(1).dyn_into::<js_sys::Uint8Array>().ok();
                (parts.get(0).as_string().unwrap_or_default(), bytes)
            }
        };
        let handler = self.on_response.clone();
        match serde_json::from_str::<Response>(&text) {
            Ok(Response::BinaryFile { name, mime, .. }) => handler(Response::BinaryFile {
                name,
                mime,
                bytes: bytes.map(|b| b.to_vec()).unwrap_or_default(),
            }),
            Ok(Response::Ready) => {
                *self.ready.borrow_mut() = true;
                let queued: Vec<JsValue> = self.queue.borrow_mut().drain(..).collect();
                if let Some(w) = self.worker.borrow().as_ref() {
                    for msg in queued {
                        let _ = w.post_message(&msg);
                    }
                }
                handler(Response::Ready);
            }
            Ok(Response::Crashed { message }) => self.crashed(message),
            Ok(r) => handler(r),
            Err(e) => handler(Response::Failed {
                message: format!("internal error: unreadable message from the worker ({e})"),
            }),
        }
    }

    /// The worker is gone: a new one starts (requests sent from now on wait for it), then the
    /// page hears why.
    fn crashed(self: &Rc<Self>, message: String) {
        if let Some(old) = self.worker.borrow_mut().take() {
            old.set_onmessage(None);
            old.set_onerror(None);
            old.terminate();
        }
        self.queue.borrow_mut().clear();
        let message = match self.spawn() {
            Ok(()) => message,
            Err(e) => format!("{message}; {e}"),
        };
        (self.on_response)(Response::Crashed { message });
    }

    fn post(&self, msg: JsValue) {
        let worker = self.worker.borrow();
        match worker.as_ref() {
            Some(w) if *self.ready.borrow() => {
                let _ = w.post_message(&msg);
            }
            _ => self.queue.borrow_mut().push(msg),
        }
    }

    pub fn send(&self, request: &Request) {
        if let Ok(json) = serde_json::to_string(request) {
            self.post(JsValue::from_str(&json));
        }
    }

    /// Sends a request together with a file (a `File` is a `Blob`; the browser shares, not copies).
    pub fn send_with_file(&self, request: &Request, file: &web_sys::Blob) {
        self.send_with_files(request, std::slice::from_ref(file));
    }

    /// Sends a request with files beside it, in order (structured clones: no bytes copied).
    pub fn send_with_files(&self, request: &Request, files: &[web_sys::Blob]) {
        if let Ok(json) = serde_json::to_string(request) {
            let arr = js_sys::Array::new();
            arr.push(&JsValue::from_str(&json));
            for f in files {
                arr.push(f);
            }
            self.post(arr.into());
        }
    }
}
