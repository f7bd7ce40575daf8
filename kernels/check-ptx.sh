#!/usr/bin/env bash
# Fails when the committed PTX (src/main/resources/refiner/kernels) is stale against the CUDA
# sources: recompiles into target/ptx with build-ptx.sh and compares file by file. Skipped when
# nothing changed since the last successful check. PTX made by another nvcc release differs in
# its text, so then the comparison is skipped with a warning naming both releases.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
committed=$here/src/main/resources/refiner/kernels
out=$here/target/ptx
stamp=$out/.checked
if [ -f "$stamp" ] && [ -z "$(find "$here/src/main/cuda" "$committed" -newer "$stamp" -print -quit)" ]; then
  exit 0
fi
nvcc=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)
mine=$("$nvcc" --version | grep -o 'V[0-9][0-9.]*' | head -1)
theirs=$(grep -o 'V[0-9][0-9.]*' "$committed/sm_90/gemm.ptx" | head -1 || true)
if [ "$mine" != "$theirs" ]; then
  echo "[kernels] WARNING: committed PTX was made by nvcc $theirs, this is $mine: staleness not checked"
  exit 0
fi
rm -rf "$out"
"$here/build-ptx.sh" "$out"
if ! diff -r -q "$committed" "$out/refiner/kernels"; then
  echo "[kernels] committed PTX is stale against src/main/cuda: run kernels/build-ptx.sh kernels/src/main/resources and commit" >&2
  exit 1
fi
touch "$stamp"
echo "[kernels] committed PTX matches its sources ($mine)"
