//! The analysis worker: a dedicated Web Worker that parses files and trains the VRNN, so the
//! page never freezes. It speaks only the typed protocol of `vrnn-protocol`.

#[cfg(target_arch = "wasm32")]
mod store;
#[cfg(target_arch = "wasm32")]
mod worker;

#[cfg(target_arch = "wasm32")]
extern "C" {
    /// The static constructors (burn's WebGPU compiler registers its IR with `inventory`).
    fn __wasm_call_ctors();
}

#[cfg(target_arch = "wasm32")]
fn main() {
    // A binary is a WebAssembly "command": unless the program runs its constructors itself,
    // wasm-ld wraps every export so that *each call from JavaScript* runs all of them again
    // (every closure, every allocation for a message). That was 6 % of a training epoch in
    // the browser's profile. Referencing `__wasm_call_ctors` turns the wrapping off, so it is
    // run here, once, before anything else.
    // SAFETY: called once, first, on the worker's only thread; nothing has run yet.
    unsafe { __wasm_call_ctors() };
    worker::start();
}

/// The worker only exists in the browser; natively the CLI drives the same engine.
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("vrnn-worker runs inside a browser; use the vrnn-clustering CLI natively");
}
