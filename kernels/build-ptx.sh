#!/usr/bin/env bash
# Compiles each kernels/src/main/cuda/*.cu to PTX for compute_80 and compute_90:
#   build-ptx.sh DIR   writes DIR/refiner/kernels/sm_{80,90}/NAME.ptx
# Used by check-ptx.sh (Maven, when nvcc is installed) and, with src/main/resources as DIR, to
# refresh the committed PTX after a kernel change.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build-ptx.sh OUTPUT_DIR}
nvcc=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)
pids=()
for arch in 80 90; do
  mkdir -p "$out/refiner/kernels/sm_$arch"
  for f in "$here"/src/main/cuda/*.cu; do
    name=$(basename "$f" .cu)
    "$nvcc" -ptx -arch=compute_$arch -O3 -std=c++17 -o "$out/refiner/kernels/sm_$arch/$name.ptx" "$f" &
    pids+=($!)
  done
done
status=0
for p in "${pids[@]}"; do wait "$p" || status=1; done
exit $status
