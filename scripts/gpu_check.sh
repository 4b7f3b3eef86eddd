#!/usr/bin/env bash
# scripts/gpu_check.sh [OUTDIR] -- the checks that need a real NVIDIA GPU, in under 5 minutes
# (the three steps' timeouts add up to 275 s):
#   1. the cuda backend's tests on the GPU (tests/cuda without the simulator) and the PTX test,
#   2. the benchmark (CPU cases plus MLP 784-1024-1024-10 at batch 4096, torch CUDA FP32 rows),
#   3. the numba SGEMM against cuBLAS (PyTorch or CuPy, TF32 off) at 1024^3 and 4096^3.
# Results go to OUTDIR (default: $OUT). Installs nothing: the machine may have no network.
#
# The checkout runs in place. nn_ref.kernels is the top-level kernels/ folder, mapped there by
# setuptools' package-dir only when the package is installed; so without installing we build a
# throw-away package folder of symlinks (nn_ref/* plus nn_ref/kernels -> kernels/) and put it
# first on PYTHONPATH. Python is started with -P so the checkout's own nn_ref/ (which lacks the
# kernels subpackage) is not picked up from the working directory instead. (pip install -e would
# also work, but needs setuptools and writes into the environment: this leaves no trace.)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-${OUT:-}}"
if [[ -z "$out" ]]; then
    echo "usage: $0 OUTDIR   (or set \$OUT)" >&2
    exit 2
fi
mkdir -p "$out"
out="$(cd "$out" && pwd)"

py="${PYTHON:-}"
if [[ -z "$py" ]]; then
    if [[ -x "$repo/.venv/bin/python" ]]; then py="$repo/.venv/bin/python"; else py="python3"; fi
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/nn_ref"
for f in "$repo"/nn_ref/*; do
    ln -s "$f" "$tmp/nn_ref/"
done
ln -s "$repo/kernels" "$tmp/nn_ref/kernels"
export PYTHONPATH="$tmp${PYTHONPATH:+:$PYTHONPATH}"
export NUMBA_CACHE_DIR="$tmp/numba-cache"   # keep the checkout clean
unset NUMBA_ENABLE_CUDASIM
cd "$repo"

status=0
log() { printf '\n== %s (%s)\n' "$1" "$(date +%T)" | tee -a "$out/summary.txt"; }

log "environment"
{
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1 || true
    "$py" -P -c 'import json, nn_ref.kernels as k; print(json.dumps(k.info(), indent=2))'
} 2>&1 | tee "$out/info.txt"

log "cuda tests on the GPU (tests/cuda, NN_REF_CUDA_TESTS=1) and PTX"
if NN_REF_CUDA_TESTS=1 timeout 120 "$py" -P -m pytest tests/cuda tests/test_ptx.py -q -p no:cacheprovider \
        > "$out/cuda_tests.txt" 2>&1; then
    echo "passed: $(tail -n 1 "$out/cuda_tests.txt")" | tee -a "$out/summary.txt"
else
    status=1
    echo "FAILED: $(tail -n 1 "$out/cuda_tests.txt")" | tee -a "$out/summary.txt"
fi

log "SGEMM: numba tiled kernel vs cuBLAS, FP32, TF32 off"
if ! timeout 45 "$py" -P -m nn_ref.bench --gemm 1024 4096 --json "$out/gemm.json" 2>&1 | tee -a "$out/summary.txt"; then
    status=1
fi

log "benchmark (us per training step)"
if ! timeout 110 "$py" -P -m nn_ref.bench --gpu-cases --rounds 3 --budget 0.05 --settle 0.1 --no-compile --no-layers \
        --json "$out/bench.json" 2>&1 | tee "$out/bench.txt"; then
    status=1
fi
cat "$out/bench.txt" >> "$out/summary.txt"

log "done: status $status"
exit "$status"
