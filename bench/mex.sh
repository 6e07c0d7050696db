#!/usr/bin/env bash
# Benchmark (not a test): reading a 10x MEX set (five gzipped samples, one per time point)
# against the CSV reader on the same counts (bench/make_mex.py writes both; numpy in a venv made
# on first use), natively (`vrnn-clustering inspect`: seconds, MB/s of file, cells/s, peak RSS)
# and, when dist/ is built, in headless Chromium through the worker. Both normalise the counts.
# Usage: bash bench/mex.sh [genes=10000] [cells_per_time=4500]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
genes=${1:-10000}
cells=${2:-4500}
dir=bench/data/mex-${genes}x${cells}
venv=${VENV:-$HOME/.cache/vrnn-clustering/bench-venv}
[ -x "$venv/bin/python" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q h5py numpy; }
[ -s "$dir/counts.csv" ] || "$venv/bin/python" bench/make_mex.py "$dir" "$genes" "$cells"
[ -s "$dir/counts.csv.gz" ] || gzip -6 -k -c "$dir/counts.csv" > "$dir/counts.csv.gz"
cargo build --release -p vrnn-clustering-cli
bin="$CARGO_TARGET_DIR/release/vrnn-clustering"
mex=()
for t in 0 3 6 12 24; do mex+=(--input "$dir/t${t}h_matrix.mtx.gz"); done
du -bc "$dir"/t*h_* | tail -1
ls -l "$dir/counts.csv" "$dir/counts.csv.gz"
cat "$dir"/* > /dev/null # warm the page cache so that the disk is not what is measured
for run in csv csv.gz mex; do
  case $run in
    mex) args=("${mex[@]}") ;;
    *) args=(--input "$dir/counts.$run") ;;
  esac
  echo "== $run"
  /usr/bin/time -f "native peak RSS: %M kB" "$bin" inspect "${args[@]}" 2>&1 | grep -E "^read:|^cells:|peak RSS"
done
if [ -d dist ]; then
  node bench/browser-ingest.js "$dir/counts.csv" "$dir/counts.csv.gz" \
    "$(ls "$dir"/t*h_*.gz | paste -sd,)"
fi
