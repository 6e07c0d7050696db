#!/usr/bin/env bash
# Benchmark (not a test): seconds per epoch of the native CLI on 2000 genes x 5 time points
# (batch 400), and seconds per analysis phase after training (latent summary, k choice for
# k = 2..12, clustering, UMAP). Generates the same data as bench/browser-epoch.js.
# Usage: bash bench/native-epoch.sh [epochs] [backends="cpu wgpu"]
set -euo pipefail
source "$(dirname "$0")/prelude.sh"
for backend in ${2:-cpu wgpu}; do
  out=$(mktemp -d)
  if "$cli" run --input bench/data/genes2000.csv --out "$out" \
      --epochs "$epochs" --backend "$backend" --preset "${PRESET:-reference}" 2>/dev/null; then
    python3 -c "import json,sys; r=json.load(open(sys.argv[1])); a=r['analysis']['timings']; print(sys.argv[2], 'seconds per epoch:', round(r['timings']['seconds_per_epoch'], 4), '| analysis seconds:', {k: round(v, 3) for k, v in a.items()})" "$out/run.json" "$backend"
  else
    echo "$backend: not available on this machine"
  fi
done
