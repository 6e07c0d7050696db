#!/usr/bin/env bash
# Benchmark (not a test): reading a generated CSR .h5ad of about SIZE_GB (default 2; 10,000
# genes) natively (`vrnn-clustering inspect`: MB/s of file, peak RSS) and, when dist/ is built,
# in headless Chromium through the worker (MB/s, the worker's wasm memory afterwards). The file
# is written by bench/make_h5ad.py with h5py, installed into a venv (PyPI) on first use.
# Usage: bash bench/h5ad.sh [size_gb=2] [genes=10000]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
gb=${1:-2}
genes=${2:-10000}
venv=${VENV:-$HOME/.cache/vrnn-clustering/bench-venv}
[ -x "$venv/bin/python" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q h5py numpy; }
file=bench/data/bench-${gb}gb-${genes}.h5ad
mkdir -p bench/data
[ -s "$file" ] || "$venv/bin/python" bench/make_h5ad.py "$file" "$gb" "$genes"
cargo build --release -p vrnn-clustering-cli
bin="$CARGO_TARGET_DIR/release/vrnn-clustering"
ls -l "$file"
cat "$file" > /dev/null # warm the page cache so that the disk is not what is measured
/usr/bin/time -f "native peak RSS: %M kB" "$bin" inspect --input "$file" 2>&1 | grep -E "^read:|^cells:|peak RSS|^values:"
if [ -d dist ]; then
  node bench/browser-ingest.js "$file"
fi
