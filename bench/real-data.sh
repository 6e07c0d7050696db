#!/usr/bin/env bash
# The Dynamics evaluation on real, public time courses (issue 20): a bulk table with replicates
# (influenza challenge, 15 times, 8-9 volunteers each) and a single-cell .h5ad (myoblast
# differentiation, 4 times). The data come from Debian's Bioconductor data packages
# (`apt-get download`, a package registry) and are written in the users' layouts by
# bench/real_data.py (pyreadr, anndata from PyPI, in a venv made on first use). No truth was
# planted, so `evaluate --input` reports the seed-to-seed agreement and where the known
# programmes land. Writes Markdown to standard output. Usage: bash bench/real-data.sh [seeds=3]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
seeds=${1:-3}
data=bench/data/real
venv=${VENV:-$HOME/.cache/vrnn-clustering/real-venv}
mkdir -p "$data/debs"
if [ ! -s "$data/hsmm.h5ad" ]; then
  [ -x "$venv/bin/python" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q pyreadr anndata scipy pandas; }
  (cd "$data/debs" && apt-get download r-bioc-qusage r-bioc-hsmmsinglecell >&2)
  for deb in "$data"/debs/*.deb; do dpkg -x "$deb" "$data/root"; done
  "$venv/bin/python" bench/real_data.py "$data/root" "$data" >&2
fi
bin="${VRNN_EVAL_BIN:-}"
if [[ -z $bin ]]; then
  cargo build --release -p vrnn-clustering-cli >&2
  bin="$CARGO_TARGET_DIR/release/vrnn-clustering"
fi
echo "### Bulk: influenza H3N2 challenge, symptomatic volunteers (GSE30550, r-bioc-qusage)"
echo
"$bin" evaluate --seeds "$seeds" --input "$data/flu.csv" --samples "$data/flu-samples.csv" \
  --cell-type sx --gene-sets "$data/flu.gmt"
echo
echo "### Single cell: myoblast differentiation (GSE52529, r-bioc-hsmmsinglecell), .h5ad"
echo
"$bin" evaluate --seeds "$seeds" --input "$data/hsmm.h5ad" --gene-sets "$data/hsmm.gmt"
