//! What the browser's WebGPU adapter is, asked of the browser itself before burn requests one:
//! `Auto` must tell a software renderer (Chromium's SwiftShader, Mesa's llvmpipe, Windows'
//! WARP) from a GPU. Read through `Reflect` because `GPUAdapterInfo` and
//! `isFallbackAdapter` are recent (the latter moved from the adapter to its `info`), and a
//! missing property must read as absent, not break the worker.

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::state::navigator;

/// Words in an adapter's description that mark a renderer without a GPU.
const SOFTWARE: [&str; 7] = [
    "swiftshader",
    "llvmpipe",
    "lavapipe",
    "softpipe",
    "microsoft basic render",
    "warp",
    "software",
];

/// The default adapter as the browser describes it.
pub struct Adapter {
    /// Vendor, architecture, device and description, as far as the browser tells them.
    pub name: String,
    /// A fallback (software) adapter, by the browser's flag or by its description.
    pub software: bool,
}

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// Requests the default adapter (as burn will) and reads its description.
pub async fn inspect() -> Result<Adapter, String> {
    let gpu = get(&navigator(), "gpu");
    let request: Function = get(&gpu, "requestAdapter")
        .dyn_into()
        .map_err(|_| "this browser's WebGPU has no requestAdapter".to_string())?;
    let promise: Promise = request
        .call0(&gpu)
        .ok()
        .and_then(|p| p.dyn_into().ok())
        .ok_or("WebGPU's requestAdapter failed")?;
    let adapter = JsFuture::from(promise)
        .await
        .map_err(|e| format!("WebGPU's requestAdapter failed ({e:?})"))?;
    if adapter.is_null() || adapter.is_undefined() {
        return Err("the browser offers WebGPU but no adapter".into());
    }
    let info = get(&adapter, "info");
    let field = |key: &str| get(&info, key).as_string().unwrap_or_default();
    let parts: Vec<String> = ["vendor", "architecture", "device", "description"]
        .iter()
        .map(|k| field(k))
        .filter(|s| !s.is_empty())
        .collect();
    let name = if parts.is_empty() {
        "undescribed".to_string()
    } else {
        parts.join(" ")
    };
    let flagged = get(&info, "isFallbackAdapter").as_bool() == Some(true)
        || get(&adapter, "isFallbackAdapter").as_bool() == Some(true);
    Ok(Adapter {
        software: flagged || is_software(&name),
        name,
    })
}

/// Whether an adapter's description names a software renderer.
pub fn is_software(name: &str) -> bool {
    let name = name.to_lowercase();
    SOFTWARE.iter().any(|w| name.contains(w))
}
