#!/usr/bin/env bash
# The evaluation of issue 4: ARI and NMI of both presets and the classical baselines against
# the planted modules of the project's simulator, on the default simulation and on variations
# the Dynamics preset was not tuned on. Writes Markdown tables to standard output; progress and
# confusion tables go to standard error. Usage: bash bench/evaluate.sh [default|robustness|bulk|ablations|biology|all]
# VRNN_EVAL_BIN=path uses an existing vrnn-clustering binary instead of building the release one
# (a debug build does the same arithmetic, since Rust reorders no floating-point operation at
# any optimisation level; only the seconds differ).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bin="${VRNN_EVAL_BIN:-}"
if [[ -z $bin ]]; then
  cargo build --release -p vrnn-clustering-cli >&2
  bin="$CARGO_TARGET_DIR/release/vrnn-clustering"
fi
what=${1:-all}
run() { echo; echo "### $1"; echo; shift; "$bin" evaluate "$@"; }
if [[ $what == default || $what == all ]]; then
  run "Default simulation (2000 genes, 300 cells per time, 0/3/6/12/24 h), both presets" --seeds 3
fi
if [[ $what == ablations || $what == all ]]; then
  run "Ablations: the Dynamics preset with one lever changed" --seeds 3 --presets dynamics \
    --ablations latent-unstandardised,no-composition,zscore,unit-variance,decoder-h-t,latent-mean,beta-1e-6
fi
if [[ $what == robustness || $what == all ]]; then
  run "Other module shapes" --seeds 3 --presets dynamics --shapes alternative
  run "Other time points (0, 1, 2, 4, 8, 16, 24 h)" --seeds 3 --presets dynamics --times 0,1,2,4,8,16,24
  run "200 genes" --seeds 3 --presets dynamics --genes 200
  run "10,000 genes" --seeds 3 --presets dynamics --genes 10000
  run "Noisier: a third of the counts per cell" --seeds 3 --presets dynamics --depth 0.33
  run "Weaker responses: 60 % of the amplitude" --seeds 3 --presets dynamics --amplitude 0.6
  run "Fewer cells: 50 per time point" --seeds 3 --presets dynamics --cells-per-time 50
fi
if [[ $what == bulk || $what == all ]]; then
  # Bulk tables (issue 20): replicates play the part of cells; with one sample per time the
  # standard error is unknown and is estimated from the genes that vary least
  # (recipe/noise.rs); unit-variance (no per-time weights) is compared with it.
  run "Bulk: 3 replicates per time point" --seeds 3 --presets dynamics --replicates 3
  run "Bulk: one sample per time point (noise estimated)" --seeds 3 --presets dynamics \
    --replicates 1 --ablations unit-variance
fi
if [[ $what == biology || $what == all ]]; then
  run "Gene selection and enrichment against the planted modules" --seeds 3 --biology
fi
