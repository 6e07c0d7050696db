//! The helper's message loop.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, Float32Array};
use vrnn_model::burn::tensor::Device;
use vrnn_model::parts::{FromHelper, PartInput, PartModel, ToHelper};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn post(message: &FromHelper, buffers: &[Float32Array]) {
    let json = serde_json::to_string(message).unwrap_or_default();
    let out = Array::of1(&JsValue::from_str(&json));
    let transfer = Array::new();
    for b in buffers {
        out.push(b);
        transfer.push(&b.buffer());
    }
    let _ = scope().post_message_with_transfer(&out, &transfer);
}

fn now_s() -> f64 {
    let scope: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
    scope.performance().map_or(0.0, |p| p.now() / 1000.0)
}

fn floats(v: JsValue) -> Option<Vec<f32>> {
    v.dyn_into::<Float32Array>().ok().map(|a| a.to_vec())
}

pub fn start() {
    console_error_panic_hook::set_once();
    let model: Rc<RefCell<Option<PartModel>>> = Rc::new(RefCell::new(None));
    let crash = Rc::new(Cell::new(false));
    let hang = Rc::new(Cell::new(false));
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
        let arr: Array = ev.data().unchecked_into();
        let header = arr.get(0).as_string().unwrap_or_default();
        match serde_json::from_str::<ToHelper>(&header) {
            Ok(ToHelper::Crash) => crash.set(true),
            Ok(ToHelper::Hang) => hang.set(true),
            Ok(ToHelper::Part(h)) => {
                if crash.replace(false) {
                    panic!("injected by the tests: a training helper crashed");
                }
                if hang.replace(false) {
                    // Injected by the tests: busy for ever, until the pool stops this worker.
                    loop {
                        std::hint::spin_loop();
                    }
                }
                let part = PartInput {
                    x: floats(arr.get(2)).unwrap_or_default(),
                    eps: floats(arr.get(3)).unwrap_or_default(),
                    w: floats(arr.get(4)),
                    header: h,
                };
                let weights = floats(arr.get(1));
                let model = model.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let index = part.header.index;
                    let t0 = now_s();
                    match compute(&model, part, weights).await {
                        Ok(out) => post(
                            &FromHelper::Done {
                                step: out.0,
                                index,
                                loss: out.1.loss,
                                seconds: now_s() - t0,
                            },
                            &[Float32Array::from(&out.1.grads[..])],
                        ),
                        Err(message) => post(&FromHelper::Failed { index, message }, &[]),
                    }
                });
            }
            Err(e) => post(
                &FromHelper::Failed {
                    index: usize::MAX,
                    message: format!("unreadable message ({e})"),
                },
                &[],
            ),
        }
    });
    scope().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    post(&FromHelper::Ready, &[]);
}

/// The part's gradients (a test part's loss), with the weights of its step (sent with the
/// part when they changed).
async fn compute(
    model: &RefCell<Option<PartModel>>,
    part: PartInput,
    weights: Option<Vec<f32>>,
) -> Result<(u64, vrnn_model::parts::PartOutput), String> {
    let h = &part.header;
    // Taken out for the computation (and put back), so that no borrow is held across it.
    let mut m = match model.borrow_mut().take() {
        Some(m) if m.config() == &h.model => m,
        _ => {
            let device = Device::flex();
            device.seed(0);
            PartModel::new(h.model.clone(), device.autodiff())
        }
    };
    let out = match weights {
        Some(w) => m.set_weights(h.step, &w),
        None => Ok(()),
    };
    let out = match out {
        Ok(()) => m.compute(&part).await.map(|o| (h.step, o)),
        Err(e) => Err(e),
    };
    *model.borrow_mut() = Some(m);
    out
}
