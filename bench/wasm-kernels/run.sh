#!/usr/bin/env bash
# Benchmark (not a test): builds lib.rs for wasm32 with SIMD and runs bench.js in Node.
set -euo pipefail
cd "$(dirname "$0")"
export CARGO_TARGET_DIR="${HOME}/.cache/vrnn-clustering/wasm-kernels-target"
RUSTFLAGS="-C target-feature=+simd128" cargo build --release --target wasm32-unknown-unknown --quiet
node --no-liftoff bench.js "$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/wasm_kernels_bench.wasm"
