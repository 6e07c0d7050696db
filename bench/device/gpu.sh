#!/usr/bin/env bash
# Benchmark on a lent GPU machine (issue 7): native wgpu on the real GPU, and burn vs PyTorch
# on that machine's CPU. Run by the device tool from the repo root, with carried folders:
#   .gl  - Debian libvulkan1/libegl1/libglvnd0/libopengl0/libgl1/libglx0/libgles2 .debs
#   .dev - vrnn-clustering.xz (the release CLI, xz-compressed) and genes2000.csv
#          (bench/data/genes2000.csv as bench/vs-torch.sh writes it)
# Writes the logs and run.json files to $OUT/all.tgz. Numbers: docs/benchmarks.md.
set -u
[ -z "${SKIP_GL:-}" ] && { for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig; }
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f /usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json ] && export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
nvidia-smi -L; lscpu | grep -E "Model name|^CPU\(s\)"; find /usr /etc -name '*nvidia*icd*.json' 2>/dev/null | head
xz -dc .dev/vrnn-clustering.xz > /tmp/vc && chmod +x /tmp/vc
W=/tmp/w; mkdir -p $W; trap 'tar czf $OUT/all.tgz -C /tmp w' EXIT
B=/tmp/vc; D=.dev/genes2000.csv
spe() { python3 -c "import json,sys; r=json.load(open(sys.argv[1])); t=r['timings']; a=r.get('analysis',{}).get('timings',{}); print(sys.argv[2], 's/epoch', round(t['seconds_per_epoch'],4), 'timings', {k:(round(v,3) if isinstance(v,float) else v) for k,v in t.items()}, 'analysis', {k: round(v,3) for k,v in a.items()}, 'backend', r.get('backend', r.get('compute')))" "$1/run.json" "$2"; }
run() { local name=$1; shift; local o=/tmp/o_$name; mkdir -p $o; local t0=$(date +%s.%N); timeout ${TMO:-120} $B run --input $D --out $o "$@" 2>/tmp/$name.err >/dev/null; local rc=$?; local t1=$(date +%s.%N); echo "== $name rc=$rc wall=$(python3 -c "print(round($t1-$t0,2))")"; tail -2 /tmp/$name.err; cp /tmp/$name.err $W/; [ -f $o/run.json ] && spe $o $name; cp $o/run.json $W/$name.json 2>/dev/null; }
run wgpu_ref_b400_e21 --backend wgpu --preset reference --epochs 21
run wgpu_ref_b2000_e21 --backend wgpu --preset reference --epochs 21 --batch-size 2000
for th in 1 16; do RAYON_NUM_THREADS=$th run cpu${th}_ref_e21 --backend cpu --preset reference --epochs 21; done
for th in 1 16; do timeout 60 python3 bench/torch_reference.py $D 20 $th; done
# full trainings on the GPU: the app's default run, the reference's default, batch 2000
TMO=90 run wgpu_dynamics_300 --backend wgpu --epochs 300
TMO=210 run wgpu_reference_default --backend wgpu --preset reference
TMO=70 run wgpu_ref_b2000_e300 --backend wgpu --preset reference --epochs 300 --batch-size 2000
