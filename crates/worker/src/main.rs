//! The analysis worker: a dedicated Web Worker that parses files and trains the VRNN, so the
//! page never freezes. It speaks only the typed protocol of `vrnn-protocol`.
//!
//! - [`dispatch`]: each request routed to its handler;
//! - [`adapter`]: what the browser's WebGPU adapter is, for `Auto`;
//! - [`benchmark`]: `Benchmark this machine`;
//! - [`compute`]: where a run trains, and `Auto`'s timing of WebGPU against the CPU;
//! - [`state`]: what the worker holds between messages, and posting to the page;
//! - [`load`]: data in (files read in slices, the demo, cell types, dropped sessions);
//! - [`pool`]: the training helpers that compute a CPU run's batch parts, one per core;
//! - [`run`]: training through the engine's run pipeline, checkpoints, the analysis;
//! - [`intake`]: the dropped files, recognised and read (tables, 10x samples, `.h5ad`);
//! - [`saved`]: runs kept in the browser's storage, reopened, and downloaded;
//! - [`store`]: the browser's IndexedDB.

#[cfg(target_arch = "wasm32")]
mod adapter;
#[cfg(target_arch = "wasm32")]
mod benchmark;
#[cfg(target_arch = "wasm32")]
mod compute;
#[cfg(target_arch = "wasm32")]
mod dispatch;
#[cfg(target_arch = "wasm32")]
mod intake;
#[cfg(target_arch = "wasm32")]
mod load;
#[cfg(target_arch = "wasm32")]
mod pool;
#[cfg(target_arch = "wasm32")]
mod run;
#[cfg(target_arch = "wasm32")]
mod saved;
#[cfg(target_arch = "wasm32")]
mod state;
#[cfg(target_arch = "wasm32")]
mod store;

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
    dispatch::start();
}

/// The worker only exists in the browser; natively the CLI drives the same engine.
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("vrnn-worker runs inside a browser; use the vrnn-clustering CLI natively");
}
