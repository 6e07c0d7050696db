#!/usr/bin/env bash
# Benchmark (not a test): reading a generated ~1 GB CSV (22,500 cells x 10,000 genes) and its
# gzip natively (`vrnn-clustering inspect`, MB/s and peak RSS), then in headless Chromium through
# the worker (MB/s and the worker's wasm memory afterwards). Needs `trunk build --release` for
# the browser part. Usage: bash bench/ingest.sh [genes=10000] [cells_per_time=4500]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
genes=${1:-10000}
cells=${2:-4500}
csv=bench/data/ingest-${genes}x$((cells * 5)).csv
mkdir -p bench/data
cargo build --release -p vrnn-clustering-cli
bin="$CARGO_TARGET_DIR/release/vrnn-clustering"
if [ ! -s "$csv" ]; then
  "$bin" simulate --out "$csv" --truth-out "$csv.truth" --genes "$genes" --cells-per-time "$cells"
fi
[ -s "$csv.gz" ] || gzip -1 -k -c "$csv" > "$csv.gz"
ls -l "$csv" "$csv.gz"
for f in "$csv" "$csv.gz"; do
  cat "$f" > /dev/null # warm the page cache so that the disk is not what is measured
  /usr/bin/time -f "native peak RSS: %M kB" "$bin" inspect --input "$f" 2>&1 | grep -E "^read:|peak RSS"
done
if [ -d dist ]; then
  node bench/browser-ingest.js "$csv" "$csv.gz"
fi
