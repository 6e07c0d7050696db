#!/usr/bin/env bash
# Runs the tests. Installs whatever is missing first (see scripts/setup.sh).
#
#   bash scripts/test.sh          every test (what CI runs): formatting; the native build with
#                                 clippy's lints, unit, golden, integration and CLI tests; the
#                                 WebAssembly tests in headless Chromium; the release build of
#                                 the app, linted for wasm32; the end-to-end browser tests
#   bash scripts/test.sh quick    the everyday tier: formatting, the native build with its
#                                 lints, and the native tests (no WebAssembly, no browser)
#
# Clippy runs inside the builds (clippy-driver as the workspace's compiler), not as separate
# `cargo clippy` passes: burn, wgpu and leptos are then compiled twice in all (natively for the
# tests, and for wasm32 in the release build) instead of four times.
set -euo pipefail
cd "$(dirname "$0")/.."
tier="${1:-full}"
case "$tier" in full | quick) ;; *) echo "usage: bash scripts/test.sh [quick]" >&2; exit 2 ;; esac
start=$(date +%s)
step() { printf '\n== %s (%ds)\n' "$*" "$(( $(date +%s) - start ))" >&2; }

step "setup ($tier)"
bash scripts/setup.sh "$tier"
source scripts/env.sh

# Every workspace crate is compiled by clippy-driver with warnings as errors; dependencies by
# rustc as usual, so their builds are shared with plain `cargo build` and `trunk`.
lint() {
  RUSTC_WORKSPACE_WRAPPER="$(rustup which clippy-driver)" \
    CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__" "$@"
}

step "cargo fmt --check"
cargo fmt --all -- --check

step "native build with clippy's lints, and the native tests (engine, golden on CPU and wgpu, CLI, app helpers)"
# The golden test on wgpu must run: setup installs Mesa's software Vulkan adapter.
VRNN_REQUIRE_WGPU=1 lint cargo test --workspace --exclude vrnn-worker

if [ "$tier" = quick ]; then
  step "quick tier passed"
  exit 0
fi

step "wasm tests in a dedicated worker of headless Chromium (the SIMD kernels and noise generator, the streaming reader)"
CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}" \
  cargo test --target wasm32-unknown-unknown -p vrnn-kernels -p vrnn-ingest --test wasm

step "trunk build --release, with clippy's lints for wasm32 (app, analysis worker and training helper)"
lint trunk build --release --offline

step "end-to-end tests in headless Chromium"
node --test --test-concurrency=1 tests/e2e/

step "all tests passed"
