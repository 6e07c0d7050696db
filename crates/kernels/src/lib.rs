//! The engine's hand-written CPU kernels and its random generators, in a crate of their own
//! without burn: the WebAssembly SIMD paths they take in the browser can then be compiled and
//! run under `wasm-bindgen-test` in seconds (`tests/wasm.rs`), where the native tests only
//! reach their scalar fallback lanes.
//!
//! - [`matmul`]: the browser's matrix product for the model's small layers;
//! - [`chacha`]: ChaCha12 four blocks at a time in SIMD lanes, for the training noise;
//! - [`rng`]: the generators every seed drives, with documented, pinned streams.

pub mod chacha;
pub mod matmul;
pub mod rng;
#[doc(hidden)]
pub mod testing;
