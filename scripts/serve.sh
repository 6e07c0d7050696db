#!/usr/bin/env bash
# Builds the app (release) and serves it on http://127.0.0.1:8080, installing what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
exec trunk serve --release --offline --address 127.0.0.1 --port 8080 "$@"
