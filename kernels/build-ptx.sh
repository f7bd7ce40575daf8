#!/usr/bin/env bash
# Compiles each kernels/src/main/cuda/*.cu to PTX for compute_80 and compute_90, and each
# kernels/src/main/cuda/sm_90a/*.cu (Hopper-only instructions) for compute_90a:
#   build-ptx.sh DIR   writes DIR/refiner/kernels/sm_{80,90,90a}/NAME.ptx
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
mkdir -p "$out/refiner/kernels/sm_90a"
for f in "$here"/src/main/cuda/sm_90a/*.cu; do
  name=$(basename "$f" .cu)
  "$nvcc" -ptx -gencode=arch=compute_90a,code=compute_90a -O3 -std=c++17 -I"$here/src/main/cuda" \
    -o "$out/refiner/kernels/sm_90a/$name.ptx" "$f" &
  pids+=($!)
done
status=0
for p in "${pids[@]}"; do wait "$p" || status=1; done
exit $status
