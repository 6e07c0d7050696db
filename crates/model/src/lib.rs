//! The VRNN and what computes one part of a training batch: everything a browser training
//! helper needs, and nothing else (no wgpu, no ingest, no analysis), so that the helpers' wasm
//! is a small CPU-only build. The engine re-exports these modules under their own names.
//!
//! - [`model`]: the VRNN, its loss, its weights in PyTorch's layout;
//! - [`cpu`]: fused kernels for burn's CPU backend, with their own backward passes, and a
//!   training part's gradients computed by hand ([`cpu::by_hand`]) for the browser's helpers;
//! - [`parts`]: one part of a batch as plain numbers, its gradients, and the flat buffers of
//!   weights and gradients that travel between the training worker and its helpers.

pub mod cpu;
pub mod model;
pub mod parts;

pub use burn;
pub use model::{Vrnn, VrnnConfig};
