#!/usr/bin/env bash
# Runs every kernel on the CPU through the emulation in src/test/host (one thread per CUDA
# thread; see emu.h) against double-precision loops: a check of indexing, masking and the
# algorithms on machines without a GPU. Needs g++ 12 or newer. Slow by design; not a benchmark.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$here/target/host-check
major=$(g++ -dumpversion | cut -d. -f1)
if (( major < 12 )); then
  echo "[kernels] host check skipped: it needs g++ 12 or newer, this is g++ $major"
  exit 0
fi
mkdir -p "$out"
# Twice: with cp.async copies landing at the wait (late), then at once (early).
g++ -std=c++20 -O2 -pthread -Wno-psabi -I"$here/src/test/host" -o "$out/check" "$here/src/test/host/check.cpp" &
g++ -std=c++20 -O2 -pthread -Wno-psabi -DREFINER_EMU_EAGER_COPIES -I"$here/src/test/host" -o "$out/check-eager" "$here/src/test/host/check.cpp" &
wait %1 && wait %2
echo "[kernels] host check, copies landing at the wait:"
"$out/check"
echo "[kernels] host check, copies landing at once:"
"$out/check-eager"
