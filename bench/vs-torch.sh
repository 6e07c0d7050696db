#!/usr/bin/env bash
# Benchmark (not a test): seconds per epoch of the reference model (batch 400, 2000 genes x 5
# time points) natively on burn's CPU backend and in PyTorch, on 1 thread and on all threads,
# in one run so that the ratios compare like with like. The first epoch of each is warm-up and
# is left out. Needs `pip install torch numpy`.
# Usage: bash bench/vs-torch.sh [epochs=20]
set -euo pipefail
source "$(dirname "$0")/prelude.sh"
burn_epoch() { # threads -> seconds per epoch, epochs 2..N
  local out log
  out=$(mktemp -d)
  log="$out/log"
  RAYON_NUM_THREADS=$1 "$cli" run --input bench/data/genes2000.csv --out "$out" --epochs $((epochs + 1)) \
    --preset reference --backend cpu 2>"$log" >/dev/null
  python3 - "$log" <<'PY'
import re, sys
avg = {int(m[1]): float(m[2]) for m in re.finditer(r"epoch (\d+)/\d+: .*\(([\d.]+) s/epoch\)", open(sys.argv[1]).read())}
n = max(avg)
print(f"{(n * avg[n] - avg[1]) / (n - 1):.4f}")
PY
}
all=$(nproc)
printf '| threads | burn flex (s/epoch) | PyTorch (s/epoch) | PyTorch / burn |\n|---|---|---|---|\n'
for threads in 1 "$all"; do
  b=$(burn_epoch "$threads")
  t=$(python3 bench/torch_reference.py bench/data/genes2000.csv "$epochs" "$threads" | sed -E 's/.*: ([0-9.]+) seconds.*/\1/')
  python3 -c "import sys; b, t = float(sys.argv[2]), float(sys.argv[3]); print(f'| {sys.argv[1]} | {b:.4f} | {t:.4f} | {t / b:.2f}x |')" "$threads" "$b" "$t"
done
