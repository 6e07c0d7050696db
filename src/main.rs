//! The web app: a Leptos single page on the main thread. It holds no tensors and runs no
//! numerics; everything heavy happens in the analysis worker, reached through
//! [`client::WorkerClient`] and the typed messages of `vrnn-protocol`.

// The app's state, its reducer and the pure helpers also compile natively, for their tests.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod app;
#[cfg(target_arch = "wasm32")]
mod client;
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod clusters;
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod format;
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod genes;
#[cfg(target_arch = "wasm32")]
mod plots;

#[cfg(target_arch = "wasm32")]
fn main() {
    console_error_panic_hook::set_once();
    register_service_worker();
    leptos::mount::mount_to_body(app::App);
}

/// Registers `sw.js` (written by scripts/post-build.js), which caches this build so that the
/// app opens and works offline after one visit. Where service workers are unavailable (a
/// `file:` URL, a private window) the app simply works online only.
#[cfg(target_arch = "wasm32")]
fn register_service_worker() {
    let navigator = web_sys::window().map(|w| w.navigator());
    let Some(container) = navigator.and_then(|n| {
        let has = js_sys::Reflect::has(&n, &"serviceWorker".into()).unwrap_or(false);
        has.then(|| n.service_worker())
    }) else {
        return;
    };
    let registration = container.register("./sw.js");
    let on_error = wasm_bindgen::closure::Closure::<dyn FnMut(wasm_bindgen::JsValue)>::new(
        |e: wasm_bindgen::JsValue| {
            web_sys::console::warn_2(&"offline cache unavailable:".into(), &e);
        },
    );
    let _ = registration.catch(&on_error);
    on_error.forget();
}

/// The app is a browser page; `trunk serve` builds and serves it.
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("vrnn-clustering-web is a browser app: run `bash scripts/serve.sh`");
}
