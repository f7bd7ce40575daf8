package refiner.tests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import refiner.engine.backend.cuda.CudaBackend;
import refiner.engine.backend.cuda.CudaProbe;
import refiner.engine.backend.cuda.Precision;
import refiner.engine.bench.OpStats;
import refiner.engine.bench.ProfilingBackend;
import refiner.engine.model.UNet2DConditionModel;
import refiner.engine.nn.CrossAttention;
import refiner.engine.tensor.Tensor;
import refiner.loader.DType;
import refiner.loader.Weights;
import refiner.loader.safetensors.TensorInfo;

/**
 * Times full-size refiner UNet steps on CUDA in fp16: the real architecture and key shapes from
 * the full-size manifest, synthetic weights (uniform, variance 1/fan-in; norm scales near 1,
 * biases near 0), CFG batch 2 at 1024 px (latents [2, 4, 128, 128]). Prints the weight upload
 * time, each step's wall time (stream synchronised) and the median, how many output values are
 * not finite; on a device with the sm_90a products, the median again with every product forced
 * onto each of their tilings in turn; then one more step through {@link ProfilingBackend}: each
 * op's calls, time and rate.
 * The text's cross-attention keys and values are projected once, before the steps, as the
 * pipeline does. Exit status 2 when no device is usable.
 * Run: {@code java -cp ... refiner.tests.UNetStepBench FULLSIZE_MANIFEST_DIR [steps]}.
 */
public final class UNetStepBench {
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private UNetStepBench() {
    }

    public static void main(String[] args) throws IOException {
        CudaProbe p = CudaBackend.probe();
        if (!p.available()) {
            System.err.println("UNetStepBench: no usable CUDA device: " + p.reason());
            System.exit(2);
        }
        Path dir = Path.of(args.length > 0 ? args[0] : "device/shared/models/fullsize-manifest");
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        JsonNode m = new ObjectMapper().readTree(dir.resolve("unet_parameters.json").toFile());
        long t0 = System.nanoTime();
        Weights w = synthetic(m.get("state_dict"));
        System.out.printf("synthetic weights: %d tensors in %.1f s%n", w.names().size(), (System.nanoTime() - t0) / 1e9);
        try (CudaBackend cuda = CudaBackend.open(Precision.F16)) {
            t0 = System.nanoTime();
            UNet2DConditionModel unet = new UNet2DConditionModel(cuda, m.get("config"), w);
            cuda.synchronize();
            System.out.printf("UNet built and weights uploaded in %.1f s on %s%n", (System.nanoTime() - t0) / 1e9, cuda.device());
            SplittableRandom rnd = new SplittableRandom(7);
            float[][] timeIds = {{1024, 1024, 0, 0, 2.5f}, {1024, 1024, 0, 0, 6}};
            float[] latents = normal(rnd, 2 * 4 * 128 * 128), prompt = normal(rnd, 2 * 77 * 1280), pooled = normal(rnd, 2 * 1280);
            Inputs inputs = new Inputs(latents, prompt, pooled, timeIds);
            int[] notFinite = new int[1];
            double[] ms = run(cuda, unet, inputs, steps, true, notFinite);
            System.out.printf("full-size UNet step, CFG batch 2, 1024 px, fp16: median %.1f ms over %d steps after warm-up; "
                    + "%d non-finite output values%n", median(ms), steps - 1, notFinite[0]);
            if (cuda.hasWgmma()) {
                for (CudaBackend.Tiling t : CudaBackend.Tiling.values()) {
                    if (t == CudaBackend.Tiling.AUTO) continue;
                    cuda.tiling(t);
                    double median = median(run(cuda, unet, inputs, steps, false, notFinite));
                    System.out.printf("full-size UNet step, every sm_90a product on %s: median %.1f ms%n", t, median);
                }
                cuda.tiling(CudaBackend.Tiling.AUTO);
            }

            ProfilingBackend prof = new ProfilingBackend(cuda);
            UNet2DConditionModel profiled = new UNet2DConditionModel(prof, m.get("config"), w);
            try (Tensor sample = prof.upload(latents, 2, 4, 128, 128);
                 Tensor context = prof.upload(prompt, 2, 77, 1280);
                 CrossAttention keyValues = profiled.crossAttention(context);
                 Tensor text = prof.upload(pooled, 2, 1280);
                 Tensor out = profiled.forward(sample, 281f, keyValues, text, timeIds)) {
                cuda.synchronize();
            }
            List<OpStats> ops = prof.byTime();
            double total = ops.stream().mapToDouble(OpStats::seconds).sum();
            System.out.printf("%nOne step, each op waited for (serialised): %.1f ms%n", total * 1e3);
            System.out.printf("%-16s %6s %9s %7s %9s%n", "op", "calls", "ms", "% time", "TFLOP/s");
            for (OpStats o : ops) {
                System.out.printf("%-16s %6d %9.2f %6.1f%% %9.1f%n", o.op(), o.calls(), o.seconds() * 1e3, 100 * o.seconds() / total, o.gflops() / 1e3);
            }
        }
    }

    /** The step's inputs: latents [2, 4, 128, 128], text [2, 77, 1280], pooled text [2, 1280], time ids. */
    private record Inputs(float[] latents, float[] prompt, float[] pooled, float[][] timeIds) {
    }

    /**
     * Runs {@code steps} UNet steps, each synchronised, and returns their wall times in ms; with
     * {@code log}, prints each; counts the last output's non-finite values into notFinite[0].
     */
    private static double[] run(CudaBackend cuda, UNet2DConditionModel unet, Inputs in, int steps, boolean log, int[] notFinite) {
        double[] ms = new double[steps];
        try (Tensor sample = cuda.upload(in.latents(), 2, 4, 128, 128);
             Tensor context = cuda.upload(in.prompt(), 2, 77, 1280);
             CrossAttention keyValues = unet.crossAttention(context);
             Tensor text = cuda.upload(in.pooled(), 2, 1280)) {
            for (int i = 0; i < steps; i++) {
                long s = System.nanoTime();
                try (Tensor out = unet.forward(sample, 281f, keyValues, text, in.timeIds())) {
                    long queued = System.nanoTime();
                    cuda.synchronize();
                    ms[i] = (System.nanoTime() - s) / 1e6;
                    if (i == steps - 1) {
                        notFinite[0] = 0;
                        for (float v : cuda.download(out)) if (!Float.isFinite(v)) notFinite[0]++;
                    }
                    if (log) System.out.printf("step %d: %.1f ms (the host queued its work in %.1f ms)%n", i, ms[i], (queued - s) / 1e6);
                }
            }
        }
        return ms;
    }

    /** The median of the step times after the first (warm-up) one. */
    private static double median(double[] ms) {
        double[] timed = Arrays.copyOfRange(ms, Math.min(1, ms.length - 1), ms.length);
        Arrays.sort(timed);
        return timed[timed.length / 2];
    }

    private static float[] normal(SplittableRandom rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rnd.nextGaussian());
        return a;
    }

    /** Random fp16 tensors with the manifest's names and shapes, filled in parallel. */
    private static Weights synthetic(JsonNode stateDict) {
        List<JsonNode> entries = new ArrayList<>();
        stateDict.forEach(entries::add);
        TensorInfo[] infos = new TensorInfo[entries.size()];
        IntStream.range(0, infos.length).parallel().forEach(i -> {
            JsonNode e = entries.get(i);
            String name = e.get("name").asText();
            long[] shape = new long[e.get("shape").size()];
            long n = 1;
            for (int d = 0; d < shape.length; d++) n *= shape[d] = e.get("shape").get(d).asLong();
            MemorySegment seg = Arena.ofAuto().allocate(n * 2, 16);
            SplittableRandom rnd = new SplittableRandom(i);
            double scale = shape.length >= 2 ? Math.sqrt(3.0 * shape[0] / n) : name.endsWith(".weight") ? 0.1 : 0.02;
            double offset = shape.length == 1 && name.endsWith(".weight") ? 1.0 : 0.0;
            for (long k = 0; k < n; k++) seg.setAtIndex(HALF, k, Float.floatToFloat16((float) (offset + scale * (2 * rnd.nextDouble() - 1))));
            infos[i] = new TensorInfo(name, DType.F16, shape, seg);
        });
        Map<String, TensorInfo> map = new LinkedHashMap<>();
        for (TensorInfo t : infos) map.put(t.name(), t);
        return Weights.of("synthetic full-size UNet", map);
    }
}
