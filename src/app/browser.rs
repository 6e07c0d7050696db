//! The page's two contacts with the browser outside the DOM it renders: the URL it was opened
//! with, and saving a file through the browser's download (nothing is uploaded).

use leptos::prelude::*;
use vrnn_protocol::{Compute, Request};
use wasm_bindgen::JsCast;

use super::reducer::{Body, Download};
use super::state::UrlSettings;

/// `?backend=cpu|webgpu&epochs=N&workers=N` as initial settings, and testing aids:
/// `?inject-panic=N` or `?inject-gpu-loss=N` make the worker panic at the end of epoch N (the
/// second only when training on WebGPU, as a lost device would), `?inject-helper-crash=N`
/// crashes a training helper after epoch N, `?inject-helper-hang=N` makes one stop answering,
/// and `?software-adapter-as-hardware` makes `Auto`
/// time a software WebGPU adapter as it would a GPU.
pub fn url_settings() -> UrlSettings {
    let search = window().location().search().unwrap_or_default();
    let Ok(params) = web_sys::UrlSearchParams::new_with_str(&search) else {
        return UrlSettings::default();
    };
    let number = |k: &str| params.get(k).and_then(|v| v.parse::<usize>().ok());
    let crash = number("inject-helper-crash")
        .map(|at_epoch| Request::InjectHelperCrash { at_epoch })
        .or_else(|| {
            number("inject-helper-hang").map(|at_epoch| Request::InjectHelperHang { at_epoch })
        });
    let fault = number("inject-panic")
        .map(|at_epoch| Request::InjectPanic {
            at_epoch,
            only_on_webgpu: false,
        })
        .or_else(|| {
            number("inject-gpu-loss").map(|at_epoch| Request::InjectPanic {
                at_epoch,
                only_on_webgpu: true,
            })
        })
        .or(crash);
    let adapter = params
        .has("software-adapter-as-hardware")
        .then_some(Request::SoftwareAdapterAsHardware);
    UrlSettings {
        compute: params.get("backend").and_then(|b| Compute::parse(&b)),
        workers: number("workers").map(|n| n.min(vrnn_protocol::defaults::MAX_WORKERS)),
        epochs: number("epochs").filter(|&e| e > 0),
        aids: fault.into_iter().chain(adapter).collect(),
    }
}

/// Saves a file through a temporary link.
pub fn save_file(download: Download) {
    let part: wasm_bindgen::JsValue = match download.body {
        Body::Text(text) => text.into(),
        Body::Bytes(bytes) => js_sys::Uint8Array::from(&bytes[..]).into(),
    };
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(&download.mime);
    let Ok(blob) =
        web_sys::Blob::new_with_u8_array_sequence_and_options(&js_sys::Array::of1(&part), &opts)
    else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    let doc = document();
    if let Ok(a) = doc.create_element("a") {
        let a: web_sys::HtmlAnchorElement = a.unchecked_into();
        a.set_href(&url);
        a.set_download(&download.name);
        if let Some(body) = doc.body() {
            let _ = body.append_child(&a);
            a.click();
            let _ = body.remove_child(&a);
        }
    }
    // Give the download time to start before the URL is released.
    let revoke = wasm_bindgen::closure::Closure::once_into_js(move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    let _ = window()
        .set_timeout_with_callback_and_timeout_and_arguments_0(revoke.unchecked_ref(), 10_000);
}
