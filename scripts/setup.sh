#!/usr/bin/env bash
# Installs every tool the build and the tests need, skipping what is already present.
# Idempotent: safe to run on every invocation of scripts/serve.sh and scripts/test.sh.
# `bash scripts/setup.sh quick` installs only what the native tests need.
set -euo pipefail
cd "$(dirname "$0")/.."
tier="${1:-full}"

WASM_BINDGEN_VERSION=0.2.130
TRUNK_VERSION=0.21.14
export PATH="$HOME/.cargo/bin:$PATH"

log() { printf '[setup] %s\n' "$*" >&2; }

need_apt=()
# Mesa's software Vulkan driver (lavapipe): a wgpu adapter for the golden test on wgpu.
ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1 || need_apt+=(mesa-vulkan-drivers)
if [ "$tier" != quick ]; then
  command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
  command -v chromedriver >/dev/null 2>&1 || need_apt+=(chromium-driver)
  command -v wasm-opt >/dev/null 2>&1 || need_apt+=(binaryen)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  log "apt-get install ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! rustup which clippy-driver >/dev/null 2>&1; then
  log "rustup component add clippy rustfmt"
  rustup component add clippy rustfmt
fi

if [ "$tier" = quick ]; then
  exit 0
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION"; then
  log "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

if ! trunk --version 2>/dev/null | grep -q " $TRUNK_VERSION"; then
  log "cargo install trunk $TRUNK_VERSION"
  cargo install trunk --version "$TRUNK_VERSION" --locked --no-default-features --features rustls --force
fi

# Every crate of the lock file, for every target: the release build runs with --offline (trunk
# must never reach for the network), and the native tests alone would not download the
# crates only the wasm32 build uses.
log "cargo fetch"
cargo fetch --locked --quiet

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
