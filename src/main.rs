//! The web app: a Leptos single page on the main thread. It holds no tensors and runs no
//! numerics; everything heavy happens in the analysis worker, reached through
//! [`client::WorkerClient`] and the typed messages of `vrnn-protocol`.

#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod client;
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod format;
#[cfg(target_arch = "wasm32")]
mod plots;

#[cfg(target_arch = "wasm32")]
fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}

/// The app is a browser page; `trunk serve` builds and serves it.
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("vrnn-clustering-web is a browser app: run `bash scripts/serve.sh`");
}
