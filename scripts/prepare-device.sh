#!/usr/bin/env bash
# Prepares device/ (git-ignored) for scripts/device-check.sh, which runs on a GPU machine that has
# no Java, no Maven and no network. Run here, from anywhere inside the checkout:
#   scripts/prepare-device.sh
# device/ then holds: runtime.tar.xz (a jlink'ed Java 25, uncompressed inside so that xz packs it
# best), lib/ (main jars with the command line's, dependencies, the JUnit console launcher), classes/ (test classes of
# engine and tests), shared/ (the tiny-refiner golden fixtures and model and the full-size key
# manifest, found by the tests as ../shared from device/work). Carry `device` with the device call.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
junit_platform=1.14.1
limit_mib=60

shared=${REFINER_SHARED:-}
if [ -z "$shared" ]; then
  d=$root
  while [ "$d" != / ]; do
    if [ -d "$(dirname "$d")/shared/golden" ]; then shared=$(dirname "$d")/shared; break; fi
    d=$(dirname "$d")
  done
fi
[ -n "$shared" ] && [ -d "$shared/golden/tiny-refiner" ] || { echo "prepare-device: ../shared/golden/tiny-refiner not found (set REFINER_SHARED)" >&2; exit 1; }

dev=$root/device
rm -rf "$dev"
mkdir -p "$dev/lib" "$dev/classes" "$dev/shared/golden" "$dev/shared/models" "$dev/work"

echo "== building (main jars, test classes, dependencies)"
mvn -B -q package dependency:copy-dependencies -pl engine,tests,cli -am -DskipTests \
  -DincludeScope=test -DexcludeGroupIds=dev.refiner,org.junit.jupiter,org.junit.platform,org.opentest4j,org.apiguardian \
  -DoutputDirectory="$dev/lib"
for m in model-loader tokenizer kernels engine cli; do
  cp "$m"/target/refiner-"$m"-*.jar "$dev/lib/"
done
# JCuda's natives jar also carries the runtime, NVRTC and PTX-compiler bindings; only the driver's is used.
natives=$(ls "$dev"/lib/jcuda-natives-*.jar)
mkdir -p "$dev/tmp" && (cd "$dev/tmp" && unzip -q "$natives" 'lib/libJCudaDriver-*' && zip -q -r "$natives.slim" lib)
mv "$natives.slim" "$natives" && rm -rf "$dev/tmp"
cp -r engine/target/test-classes "$dev/classes/engine"
cp -r tests/target/test-classes "$dev/classes/tests"
mvn -B -q dependency:copy -Dartifact=org.junit.platform:junit-platform-console-standalone:$junit_platform \
  -DoutputDirectory="$dev/lib"

echo "== jlink runtime"
"$JAVA_HOME/bin/jlink" --add-modules java.base,java.desktop,java.logging,java.management,jdk.incubator.vector,jdk.unsupported \
  --strip-debug --no-man-pages --no-header-files --output "$dev/runtime" 2>&1 | grep -v 'incubator modules' || true
strip --strip-unneeded "$dev/runtime/lib/server/libjvm.so"
"$dev/runtime/bin/java" --add-modules jdk.incubator.vector -cp "$dev/lib/*:$dev/classes/engine" \
  -XX:+IgnoreUnrecognizedVMOptions refiner.engine.backend.cuda.KernelBench >/dev/null 2>&1 && true
status=$?
[ $status -eq 2 ] || [ $status -eq 0 ] || { echo "prepare-device: the jlink'ed runtime cannot start KernelBench (exit $status)" >&2; exit 1; }
XZ_OPT="-9 -T2" tar -C "$dev" -cJf "$dev/runtime.tar.xz" runtime
rm -rf "$dev/runtime"

echo "== fixtures"
cp -r "$shared/golden/tiny-refiner" "$dev/shared/golden/"
cp -r "$shared/models/tiny-refiner" "$shared/models/fullsize-manifest" "$dev/shared/models/"
chmod -R u+w "$dev/shared"

size=$(du -sm "$dev" | cut -f1)
tree=$(git ls-files -z | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1)
echo "device/: ${size} MiB (limit ${limit_mib} MiB); tracked files: $((tree / 1048576)) MiB"
du -sh "$dev"/* | sed 's/^/  /'
if [ "$size" -gt "$limit_mib" ]; then
  echo "prepare-device: device/ is ${size} MiB, over ${limit_mib} MiB: the call's working tree must stay under 64 MiB" >&2
  exit 1
fi
echo "ready: carry 'device' and run scripts/device-check.sh"
