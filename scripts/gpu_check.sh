#!/usr/bin/env bash
# scripts/gpu_check.sh [OUTDIR] -- the checks that need a real NVIDIA GPU, in one prepared call of under
# 10 minutes (the five steps' timeouts add up to 30 + 270 + 60 + 150 + 60 = 570 s):
#   1. the environment (nvidia-smi, nn-ref info),
#   2. the cuda backend's tests on the GPU (marker cuda, NN_REF_CUDA_TESTS=1: no simulator) and the PTX test,
#   3. the numba SGEMM against cuBLAS (PyTorch or CuPy, FP32, TF32 off) at 1024^3 and 4096^3,
#   4. nn-ref bench with the GPU rows: the fused cuda step against torch CUDA on the MLP 784-1024-1024-10
#      at batch 4096 (and the CPU cases),
#   5. nn-ref profile on cuda: that step op by op against the GPU's measured roofline (its GEMM, a copy).
# Results go to OUTDIR (default: $OUT): summary.txt, info.txt, cuda_tests.txt, gemm.json, bench.json,
# bench.txt, profile_cuda.json, profile_cuda.png, profile_cuda.txt. Installs nothing: the machine may have no network. Exit status 1 when any step failed.
#
# The checkout runs in place. nn_ref.kernels is the top-level kernels/ folder, mapped there by setuptools'
# package-dir only when the package is installed; so without installing we build a throw-away package folder
# of symlinks (nn_ref/* plus nn_ref/kernels -> kernels/) and put it first on PYTHONPATH. Python is started
# with -P so the checkout's own nn_ref/ (which lacks the kernels subpackage) is not picked up from the working
# directory instead.
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
export NUMBA_CACHE_DIR="$tmp/numba-cache" # keep the checkout clean
export NN_REF_CUDA_TESTS=1                # tests/conftest.py: a real GPU, not the simulator
unset NUMBA_ENABLE_CUDASIM
cd "$repo"

status=0
log() { printf '\n== %s (%s)\n' "$1" "$(date +%T)" | tee -a "$out/summary.txt"; }

log "environment"
{
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1 || true
    timeout 30 "$py" -P -c 'import json, nn_ref.kernels as k; print(json.dumps(k.info(), indent=2))' || true
} 2>&1 | tee "$out/info.txt"

log "cuda tests on the GPU (marker cuda, NN_REF_CUDA_TESTS=1) and the PTX test"
if timeout 270 "$py" -P -m pytest tests/test_cuda.py tests/test_parity.py tests/test_contract.py tests/test_ptx.py \
    -m "cuda or ptx" -q -p no:cacheprovider >"$out/cuda_tests.txt" 2>&1; then
    echo "passed: $(tail -n 1 "$out/cuda_tests.txt")" | tee -a "$out/summary.txt"
else
    status=1
    echo "FAILED: $(tail -n 1 "$out/cuda_tests.txt")" | tee -a "$out/summary.txt"
fi

log "SGEMM: numba tiled kernel vs cuBLAS, FP32, TF32 off (goal: >= 50% of cuBLAS at 4096^3)"
if ! timeout 60 "$py" -P -m nn_ref.cli bench --gemm 1024 4096 --json "$out/gemm.json" 2>&1 | tee -a "$out/summary.txt"; then
    status=1
fi

log "nn-ref bench with the GPU rows (us per training step; MLP 784-1024-1024-10 batch 4096: goal >= 1x torch CUDA)"
if ! timeout 150 "$py" -P -m nn_ref.cli bench --gpu-cases --rounds 3 --budget 0.05 --settle 0.1 --no-compile \
    --no-layers --json "$out/bench.json" >"$out/bench.txt" 2>&1; then
    status=1
fi
cat "$out/bench.txt" >>"$out/summary.txt"

log "nn-ref profile on cuda (MLP 784-1024-1024-10, batch 4096: each op against the GPU's GEMM peak and bandwidth)"
if ! timeout 60 "$py" -P -m nn_ref.cli profile --backend cuda --layers 784,1024,1024,10 --batch 4096 --rounds 3 \
    --budget 0.05 --peak-size 4096 --stream-mib 256 --json "$out/profile_cuda.json" --plot "$out/profile_cuda.png" \
    >"$out/profile_cuda.txt" 2>&1; then
    status=1
fi
cat "$out/profile_cuda.txt" >>"$out/summary.txt"

log "done: status $status"
exit "$status"
