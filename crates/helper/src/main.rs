//! A training helper: one per core, started by the training worker (crates/worker's `pool`),
//! which sends it this crate's compiled module once and then parts of training batches. For
//! each part it answers with the part's loss and flat gradients ([`vrnn_model::parts`]). It
//! holds nothing but the model of the current step: the worker keeps the weights, the
//! optimiser and the noise, so a helper that dies loses nothing that cannot be asked again.
//!
//! Messages, both ways a JS array whose first element is a JSON [`ToHelper`] / [`FromHelper`]:
//! a part is `[header, weights | null, x, eps, w | null]` (`Float32Array`s; the weights only
//! when the step changed), a result `[Done, gradients]`.

#[cfg(target_arch = "wasm32")]
mod helper;

#[cfg(target_arch = "wasm32")]
extern "C" {
    fn __wasm_call_ctors();
}

#[cfg(target_arch = "wasm32")]
fn main() {
    // As in the worker: run the static constructors once, here, so that wasm-ld does not wrap
    // every export to run them again on each call from JavaScript.
    // SAFETY: called once, first, on the helper's only thread; nothing has run yet.
    unsafe { __wasm_call_ctors() };
    helper::start();
}

/// A helper only exists in the browser; natively the CLI computes parts on threads.
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("vrnn-helper runs inside a browser, started by the analysis worker");
}
