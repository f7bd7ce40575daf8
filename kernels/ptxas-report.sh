#!/usr/bin/env bash
# Assembles the committed PTX for a real GPU (default sm_90) with ptxas -v and prints, per kernel,
# registers, shared memory, stack frame and spills: the resource table of docs/cuda.md.
#   kernels/ptxas-report.sh [sm_90|sm_80]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
arch=${1:-sm_90}
ptxas=$(command -v ptxas || echo /usr/local/cuda/bin/ptxas)
printf '%-22s %5s %8s %6s %6s\n' kernel regs smem_B stack spill
for f in "$here"/src/main/resources/refiner/kernels/"$arch"/*.ptx; do
  "$ptxas" -v -arch="$arch" "$f" -o /dev/null 2>&1 | awk '
    /Compiling entry function/ { gsub(/'\''/, "", $7); name = $7 }
    /bytes stack frame/ { stack = $1; spill = $5 + $9 }
    /Used [0-9]+ registers/ {
      regs = $5; smem = 0
      for (i = 1; i <= NF; i++) if ($i == "smem" || $i == "smem,") smem = $(i - 2)
      printf "%-22s %5s %8s %6s %6s\n", name, regs, smem, stack, spill
    }'
done
