#!/usr/bin/env bash
# Benchmark (not a test): browser training helpers against the native CLI, in one run (see
# bench/workers.js). Usage: bash bench/workers.sh [rounds=3] [workers=2]; needs a release
# `trunk build` in dist/.
set -euo pipefail
source "$(dirname "$0")/prelude.sh" 20
node bench/workers.js "$cli" "${1:-3}" "${2:-2}"
