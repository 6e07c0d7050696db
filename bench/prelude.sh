# Sourced by the native benchmarks: the build environment, the epoch count from $1 (default
# 20), bench/data/genes2000.csv (the same data as bench/browser-epoch.js) and a release CLI
# in $cli.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/env.sh
epochs=${1:-20}
mkdir -p bench/data
node -e "require('fs').writeFileSync('bench/data/genes2000.csv', require('./tests/e2e/support').timeCourseCsv({ genes: 2000, cellsPerTime: 20, seed: 11 }))"
cargo build --release -p vrnn-clustering-cli >&2
cli="$CARGO_TARGET_DIR/release/vrnn-clustering"
