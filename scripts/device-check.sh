#!/usr/bin/env bash
# The whole GPU check in one run, on a machine with an NVIDIA GPU but no Java, Maven or network.
# Run from the repository root with device/ present (made here by scripts/prepare-device.sh and
# carried with the call):
#   scripts/device-check.sh [bench-repetitions]
# Prints nvidia-smi, runs every test tagged "gpu" with the JUnit console launcher (kernel-by-kernel
# checks against the reference loops, CUDA golden cases), then times each kernel on UNet shapes
# against the card's measured ceilings, profiles one dense layer on each sm_90a tiling and one
# self-attention under Nsight Compute where the machine runs it (throughputs, then stall reasons
# and pipe use; its figures stay in the log only; a failure there fails nothing), times full-size UNet steps on synthetic weights (also with every product on each
# tiling, and one step profiled by op), refines examples/shapes.png with the demo model on CUDA
# through the command line, benchmarks the whole pipeline at 1024 px on a synthetic full-size
# refiner written there (`refiner synth`, about 6 GB), and prints the kernel table, the step
# times, the op profile and the pipeline's stages last. Everything is also written to $OUT
# (device-check.log, bench.txt, unet-step.txt, pipeline-1024.txt/.json, junit/) when OUT is set,
# else to device/out.
# Each stage has its own time limit, so one hang leaves the others their turn. Exit status: 0 when
# every stage passed, 1 otherwise (no GPU, no device/, a failed test or run).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=${OUT:-$root/device/out}
mkdir -p "$out"
exec > >(tee "$out/device-check.log") 2>&1
reps=${1:-20}

fail() {
  echo "device-check: $*"
  exit 1
}

[ -f device/runtime.tar.xz ] && [ -d device/lib ] || fail "device/ is missing or incomplete: run scripts/prepare-device.sh where Java and Maven are, and carry device/"
command -v nvidia-smi >/dev/null || fail "nvidia-smi not found: this machine has no NVIDIA driver, so there is nothing to check"
echo "== nvidia-smi"
nvidia-smi || fail "nvidia-smi failed: no usable NVIDIA GPU"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.sm,temperature.gpu,power.draw --format=csv || true

jre=${TMPDIR:-/tmp}/refiner-jre
if [ ! -x "$jre/runtime/bin/java" ]; then
  mkdir -p "$jre" && tar -C "$jre" -xJf device/runtime.tar.xz || fail "cannot unpack device/runtime.tar.xz"
fi
java=("$jre/runtime/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx32g)
jars=$(ls "$root"/device/lib/*.jar | grep -v junit-platform-console-standalone | tr '\n' ':')
cp="$root/device/classes/engine:$root/device/classes/tests:${jars%:}"  # the launcher expands no wildcards
"${java[@]}" -version 2>&1 | head -1

echo "== gpu tests"
cd "$root/device/work"  # ../shared = device/shared holds the fixtures
launcher=$(ls "$root"/device/lib/junit-platform-console-standalone-*.jar)
timeout 240 "${java[@]}" -jar "$launcher" execute --disable-banner --disable-ansi-colors --details=tree --class-path "$cp" \
  --scan-class-path "$root/device/classes/engine:$root/device/classes/tests" --include-tag gpu \
  --reports-dir "$out/junit"
tests=$?
cd "$root"

echo "== kernel benchmark"
timeout 150 "${java[@]}" -cp "$cp" refiner.engine.backend.cuda.KernelBench "$reps" | tee "$out/bench.txt"
bench=${PIPESTATUS[0]}

echo "== the dense layer 8192x768 * 6144x768^T on each sm_90a tiling and a self-attention of 4096 tokens, under Nsight Compute where it runs"
ncu=$(command -v ncu || ls /opt/nvidia/nsight-compute/*/ncu /usr/local/cuda/bin/ncu 2>/dev/null | head -1)
if [ -n "$ncu" ]; then
  timeout 120 "$ncu" --clock-control none -k regex:"wgmma|attn64" --section SpeedOfLight --section ComputeWorkloadAnalysis \
    --section WarpStateStats --section Occupancy "${java[@]}" -cp "$cp" refiner.engine.backend.cuda.ProductProfile 8192 768 6144 \
    | grep -E "ProductProfile|^  [a-z_0-9]*(wgmma|attn64)|Duration|Throughput|Executed Ipc|Issue Slots|Stall|Warp Cycles Per|Achieved Occupancy|==ERROR=="
  echo "== stall reasons (cycles per issued instruction) and pipes of the products and the attention"
  timeout 150 "$ncu" --clock-control none -k regex:"wgmma|attn64" \
    --metrics regex:^smsp__average_warps_issue_stalled_.*_per_issue_active\.ratio$,sm__pipe_tensor_op_hmma_cycles_active.avg.pct_of_peak_sustained_active,sm__inst_executed_pipe_xu.avg.pct_of_peak_sustained_active,l1tex__data_pipe_lsu_wavefronts_mem_shared.avg.pct_of_peak_sustained_elapsed \
    "${java[@]}" -cp "$cp" refiner.engine.backend.cuda.ProductProfile 8192 768 6144 \
    | awk '/ProductProfile|Context|==ERROR==/ { print; next } /stalled|pipe/ && $NF + 0 >= 0.1 { print }'
else
  echo "no ncu on this machine"
fi

echo "== full-size UNet step (synthetic weights)"
timeout 150 "${java[@]}" -cp "$cp" refiner.tests.UNetStepBench "$root/device/shared/models/fullsize-manifest" 5 | tee "$out/unet-step.txt"
step=${PIPESTATUS[0]}

echo "== refine on CUDA (the built-in demo model)"
timeout 120 "${java[@]}" -cp "$cp" refiner.cli.Main refine --backend cuda -i examples/shapes.png \
  -p "a blue ball and a golden box, studio light" --seed 42 -o "$out/shapes-refined-cuda.png"
refine=$?

echo "== whole pipeline at 1024 px on CUDA (synthetic full-size refiner)"
model=${TMPDIR:-/tmp}/refiner-1.0-synthetic
if [ ! -d "$model" ]; then
  timeout 150 "${java[@]}" -cp "$cp" refiner.cli.Main synth --preset refiner-1.0 --out "$model"
fi
timeout 240 "${java[@]}" -cp "$cp" refiner.cli.Main bench --model "$model" --backend cuda --width 1024 --height 1024 \
  --steps 4 --repeat 2 --json "$out/pipeline-1024.json" | tee "$out/pipeline-1024.txt"
pipeline=${PIPESTATUS[0]}

echo
echo "device-check: gpu tests exit $tests, kernel benchmark exit $bench, UNet step exit $step, refine exit $refine," \
  "pipeline exit $pipeline; log in $out/device-check.log"
if [ -f "$out/bench.txt" ]; then
  sed -n '/^Kernel timings/,$p' "$out/bench.txt"
fi
grep '^full-size UNet step' "$out/unet-step.txt" || true
sed -n '/^One step/,$p' "$out/unet-step.txt"
sed -n '/^machine/,$p' "$out/pipeline-1024.txt"
[ $tests -eq 0 ] && [ $bench -eq 0 ] && [ $step -eq 0 ] && [ $refine -eq 0 ] && [ $pipeline -eq 0 ] || exit 1
