#!/usr/bin/env bash
# Runs every test: formatting and lints, engine unit and golden tests, CLI integration tests,
# then builds the app with trunk and drives it end to end in headless Chromium.
# Installs whatever is missing first (see scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
step() { printf '\n== %s (%ds)\n' "$*" "$(( $(date +%s) - start ))" >&2; }

step "setup"
bash scripts/setup.sh
source scripts/env.sh

step "cargo fmt --check"
cargo fmt --all -- --check

step "native tests (engine, protocol, CLI, app helpers)"
cargo test --workspace --exclude vrnn-worker

step "wasm tests (the streaming reader in a dedicated worker of headless Chromium)"
CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}" \
  cargo test --target wasm32-unknown-unknown -p vrnn-ingest --test wasm

step "clippy (native and wasm32)"
cargo clippy --workspace --exclude vrnn-worker --all-targets -- -D warnings
cargo clippy --target wasm32-unknown-unknown -p vrnn-clustering-web -p vrnn-worker -- -D warnings

step "trunk build --release"
trunk build --release --offline

step "end-to-end tests in headless Chromium"
node --test --test-concurrency=1 tests/e2e/

step "all tests passed"
