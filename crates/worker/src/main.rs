//! The analysis worker: a dedicated Web Worker that parses files and trains the VRNN, so the
//! page never freezes. It speaks only the typed protocol of `vrnn-protocol`.

#[cfg(target_arch = "wasm32")]
mod store;
#[cfg(target_arch = "wasm32")]
mod worker;

#[cfg(target_arch = "wasm32")]
fn main() {
    worker::start();
}

/// The worker only exists in the browser; natively the CLI drives the same engine.
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("vrnn-worker runs inside a browser; use the vrnn-clustering CLI natively");
}
