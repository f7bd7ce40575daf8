package refiner.engine.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import refiner.engine.backend.Activation;
import refiner.engine.backend.cpu.TestWeights;
import refiner.engine.backend.reference.ReferenceBackend;
import refiner.engine.tensor.Tensor;
import refiner.loader.DType;
import refiner.loader.safetensors.TensorInfo;

/**
 * Every CUDA kernel against the reference loops, in both precisions, at ordinary and odd shapes,
 * on fresh random inputs; device buffers are filled with NaN before each op writes them, so an
 * element a kernel forgets shows up. Inputs of the fp16 runs are rounded to fp16 for the
 * reference as well, so the error measured is the kernels' own. Bound: relative L2 error 5e-3
 * for fp16 (the project's reduced-precision bound), 1e-5 for fp32.
 */
@Tag("gpu")
class CudaOpsTest {
    private static final ReferenceBackend REF = new ReferenceBackend();
    private static final Map<Precision, CudaBackend> CUDA = new EnumMap<>(Precision.class);
    private final SplittableRandom rnd = new SplittableRandom(System.nanoTime());

    @BeforeAll
    static void open() {
        if (!CudaBackend.probe().available()) return;
        for (Precision pr : Precision.values()) {
            CudaBackend b = CudaBackend.open(pr);
            b.debug(true);
            CUDA.put(pr, b);
        }
    }

    @BeforeEach
    void needDevice() {
        CudaProbe p = CudaBackend.probe();
        Assumptions.assumeTrue(p.available(), "no usable CUDA device: " + p.reason());
        CUDA.values().forEach(b -> {
            b.allowWgmma(true);
            b.tiling(CudaBackend.Tiling.AUTO);
        });
    }

    @AfterAll
    static void close() {
        CUDA.values().forEach(CudaBackend::close);
    }

    private static double tolerance(Precision p) {
        return p == Precision.F16 ? 5e-3 : 1e-5;
    }

    /** One input on both sides: the CUDA tensor and the reference tensor of the same values. */
    private record Pair(Tensor cuda, Tensor ref) {
    }

    /** An activation of uniform values in [offset - scale, offset + scale). */
    private Pair act(Precision p, double scale, double offset, int... shape) {
        float[] v = TestWeights.random(rnd, (int) Tensor.numel(shape), scale);
        for (int i = 0; i < v.length; i++) v[i] = round(p, (float) (v[i] + offset));
        return new Pair(CUDA.get(p).upload(v, shape), REF.upload(v, shape));
    }

    private Pair act(Precision p, int... shape) {
        return act(p, 1.0, 0.0, shape);
    }

    /** A checkpoint weight stored in the backend's own precision. */
    private Pair weight(Precision p, double scale, double offset, int... shape) {
        float[] v = TestWeights.random(rnd, (int) Tensor.numel(shape), scale);
        for (int i = 0; i < v.length; i++) v[i] += (float) offset;
        TensorInfo info = TestWeights.of("w" + rnd.nextInt(), p.dtype(), v, Arrays.stream(shape).asLongStream().toArray());
        return new Pair(CUDA.get(p).weight(info), REF.weight(info));
    }

    private static float round(Precision p, float v) {
        return p == Precision.F16 ? Float.float16ToFloat(Float.floatToFloat16(v)) : v;
    }

    /** Same shape, every element written and finite, relative L2 error within the bound. */
    private static void check(Precision p, Tensor ref, Tensor cuda, String what) {
        assertArrayEquals(ref.shape(), cuda.shape(), what + ": shape");
        float[] e = REF.download(ref), a = CUDA.get(p).download(cuda);
        for (int i = 0; i < a.length; i++) {
            if (!Float.isFinite(a[i])) fail(what + ": element " + i + " is " + a[i] + " (unwritten or overflow), expected " + e[i]);
        }
        double num = 0, den = 0;
        for (int i = 0; i < e.length; i++) {
            double d = (double) e[i] - a[i];
            num += d * d;
            den += (double) e[i] * e[i];
        }
        double rel = Math.sqrt(num / Math.max(den, 1e-30));
        assertTrue(rel <= tolerance(p), what + ": relative L2 error " + rel + " > " + tolerance(p));
        cuda.close();
    }

    @ParameterizedTest(name = "{0} linear M={1} K={2} N={3} bias={4}")
    @CsvSource({
        "F16, 1, 8, 1, true", "F16, 7, 13, 5, true", "F16, 130, 72, 200, false", "F16, 257, 320, 129, true",
        "F16, 154, 64, 256, true", "F16, 2, 2816, 1280, true", "F16, 300, 36, 130, false", "F16, 200, 136, 200, true",
        "F16, 1030, 1544, 264, true", "F16, 1, 64, 8, false", "F16, 300, 136, 512, true", "F16, 130, 520, 256, false",
        "F32, 1, 8, 1, true", "F32, 7, 13, 5, true", "F32, 130, 72, 200, false", "F32, 257, 320, 129, true"})
    void linear(Precision p, int m, int k, int n, boolean bias) {
        // Biases around 2 keep single outputs (M = N = 1) away from cancellation, where fp32 rounding
        // of the O(1) terms against the double-precision reference would read as a large relative error.
        Pair x = act(p, m, k), w = weight(p, 1.0 / Math.sqrt(k), 0, n, k), b = bias ? weight(p, 0.5, 2.0, n) : null;
        Tensor expected = REF.linear(x.ref, w.ref, b == null ? null : b.ref);
        for (Generation g : generations(p)) {
            g.select(CUDA.get(p));
            check(p, expected, CUDA.get(p).linear(x.cuda, w.cuda, b == null ? null : b.cuda), "linear" + g.label);
        }
    }

    /** A dense layer's output added to a residual: fused on the sm_90a kernels, after the product elsewhere. */
    @ParameterizedTest(name = "{0} linear + residual M={1} K={2} N={3}")
    @CsvSource({"F16, 7, 16, 8", "F16, 130, 72, 200", "F16, 257, 320, 136", "F16, 300, 136, 512", "F16, 2, 2816, 1280",
        "F16, 300, 36, 130", "F32, 130, 72, 200"})
    void linearResidual(Precision p, int m, int k, int n) {
        Pair x = act(p, m, k), w = weight(p, 1.0 / Math.sqrt(k), 0, n, k), b = weight(p, 0.5, 2.0, n), r = act(p, 1.0, 1.0, m, n);
        Tensor expected = REF.linear(x.ref, w.ref, b.ref, r.ref);
        for (Generation g : generations(p)) {
            g.select(CUDA.get(p));
            check(p, expected, CUDA.get(p).linear(x.cuda, w.cuda, b.cuda, r.cuda), "linear + residual" + g.label);
        }
    }

    /**
     * A feed-forward projection and its GEGLU: in one kernel on sm_90a where 2F is a multiple of
     * 128 (over a blocked copy of w, cached for checkpoint weights), else the two ops.
     */
    @ParameterizedTest(name = "{0} linear + GEGLU M={1} K={2} F={3} checkpoint weight={4}")
    @CsvSource({"F16, 7, 16, 64, true", "F16, 130, 72, 192, true", "F16, 300, 136, 320, false", "F16, 33, 40, 12, true",
        "F16, 2, 2816, 128, true", "F32, 20, 24, 64, true"})
    void linearGeglu(Precision p, int m, int k, int f, boolean checkpoint) {
        Pair x = act(p, m, k), w = checkpoint ? weight(p, 1.0 / Math.sqrt(k), 0, 2 * f, k) : act(p, 1.0 / Math.sqrt(k), 0, 2 * f, k);
        Pair b = weight(p, 0.5, 0, 2 * f);
        Tensor expected = REF.linearGeglu(x.ref, w.ref, b.ref);
        for (int run = 0; run < 2; run++) {  // the second run of a checkpoint weight reads the cached blocks
            check(p, expected, CUDA.get(p).linearGeglu(x.cuda, w.cuda, b.cuda), "linear + GEGLU, run " + run);
        }
    }

    /** The product kernels: WMMA, and on sm_90a each tiling of wgmma. */
    private enum Generation {
        WMMA("", CudaBackend.Tiling.SHARED_128),
        WGMMA(" (wgmma)", CudaBackend.Tiling.SHARED_128),
        WS256(" (wgmma, warp-specialised)", CudaBackend.Tiling.SPECIALISED_256),
        PP128(" (wgmma, ping-pong)", CudaBackend.Tiling.PINGPONG_128);

        final String label;
        final CudaBackend.Tiling tiling;

        Generation(String label, CudaBackend.Tiling tiling) {
            this.label = label;
            this.tiling = tiling;
        }

        void select(CudaBackend cuda) {
            cuda.allowWgmma(this != WMMA);
            cuda.tiling(tiling);
        }
    }

    /** The generations a product can run on, on this device. */
    private static List<Generation> generations(Precision p) {
        return p == Precision.F16 && CUDA.get(p).hasWgmma() ? List.of(Generation.values()) : List.of(Generation.WMMA);
    }

    @ParameterizedTest(name = "{0} conv2d x[{1},{2},{3},{4}] O={5} k={6} s={7} p={8}")
    @CsvSource({
        "F16, 1, 3, 7, 9, 5, 3, 1, 1", "F16, 2, 4, 16, 16, 32, 3, 1, 1", "F16, 1, 32, 17, 15, 64, 3, 2, 1",
        "F16, 2, 64, 8, 8, 32, 1, 1, 0", "F16, 1, 16, 33, 31, 130, 3, 1, 1", "F16, 1, 40, 12, 12, 24, 3, 1, 0",
        "F16, 2, 24, 20, 18, 136, 3, 1, 1", "F16, 1, 8, 16, 16, 8, 3, 2, 1", "F16, 2, 136, 12, 12, 64, 3, 1, 1",
        "F16, 1, 40, 9, 7, 256, 3, 1, 1", "F16, 2, 64, 8, 8, 512, 1, 1, 0",
        "F32, 1, 3, 7, 9, 5, 3, 1, 1", "F32, 2, 4, 16, 16, 32, 3, 1, 1", "F32, 1, 32, 17, 15, 64, 3, 2, 1",
        "F32, 2, 64, 8, 8, 32, 1, 1, 0", "F32, 1, 12, 33, 31, 130, 3, 1, 1", "F32, 1, 6, 9, 9, 8, 3, 1, 1"})
    void conv2d(Precision p, int b, int c, int h, int w, int o, int k, int s, int pad) {
        Pair x = act(p, b, c, h, w), wt = weight(p, 1.0 / Math.sqrt(c * k * k), 0, o, c, k, k), bias = weight(p, 0.5, 0, o);
        Tensor expected = REF.conv2d(x.ref, wt.ref, bias.ref, s, pad);
        for (Generation g : generations(p)) {
            g.select(CUDA.get(p));
            check(p, expected, CUDA.get(p).conv2d(x.cuda, wt.cuda, bias.cuda, s, pad), "conv2d" + g.label);
        }
    }

    @ParameterizedTest(name = "{0} groupNorm x[{1},{2},{3}] groups={4} silu={5}")
    @CsvSource({
        "F16, 2, 64, 63, 32, true", "F16, 1, 32, 25, 8, false", "F16, 2, 96, 16, 32, true", "F16, 1, 64, 4096, 32, false",
        "F16, 2, 96, 4099, 32, true", "F16, 2, 320, 1024, 32, true", "F32, 2, 64, 63, 32, true", "F32, 1, 32, 25, 8, false", "F32, 1, 64, 4096, 32, true",
        "F32, 2, 96, 4099, 32, false"})
    void groupNorm(Precision p, int b, int c, int s, int groups, boolean silu) {
        Pair x = act(p, 2.0, 3.0, b, c, s), g = weight(p, 0.5, 1.0, c), beta = weight(p, 0.5, 0, c);
        check(p, REF.groupNorm(x.ref, groups, g.ref, beta.ref, 1e-6f, silu),
                CUDA.get(p).groupNorm(x.cuda, groups, g.cuda, beta.cuda, 1e-6f, silu), "groupNorm");
    }

    @ParameterizedTest(name = "{0} layerNorm rows={1} D={2}")
    @CsvSource({"F16, 154, 64", "F16, 5, 1280", "F16, 3, 33", "F16, 8193, 768", "F16, 2, 2056", "F32, 154, 64", "F32, 3, 33",
        "F32, 9, 1536"})
    void layerNorm(Precision p, int rows, int d) {
        Pair x = act(p, 2.0, 1.5, rows, d), g = weight(p, 0.5, 1.0, d), beta = weight(p, 0.5, 0, d);
        check(p, REF.layerNorm(x.ref, g.ref, beta.ref, 1e-5f), CUDA.get(p).layerNorm(x.cuda, g.cuda, beta.cuda, 1e-5f), "layerNorm");
    }

    @ParameterizedTest(name = "{0} attention B={1} Lq={2} Lk={3} heads={4} D={5} causal={6}")
    @CsvSource({
        "F16, 2, 77, 77, 2, 32, true", "F16, 1, 100, 77, 4, 64, false", "F16, 2, 130, 130, 3, 64, true",
        "F16, 1, 64, 64, 1, 64, false", "F16, 1, 300, 300, 1, 128, false", "F16, 1, 257, 257, 1, 512, false",
        "F16, 1, 17, 5, 2, 40, false", "F16, 1, 1024, 1024, 2, 64, false", "F16, 2, 77, 77, 20, 64, true",
        "F16, 1, 300, 1000, 2, 64, false", "F16, 1, 260, 260, 2, 64, true",
        "F32, 2, 77, 77, 2, 32, true", "F32, 1, 300, 300, 1, 128, false", "F32, 1, 257, 257, 1, 512, false",
        "F32, 1, 100, 77, 4, 64, false"})
    void attention(Precision p, int b, int lq, int lk, int heads, int d, boolean causal) {
        Pair q = act(p, 2.0, 0, b, lq, heads * d), k = act(p, 2.0, 0, b, lk, heads * d), v = act(p, b, lk, heads * d);
        check(p, REF.attention(q.ref, k.ref, v.ref, heads, causal), CUDA.get(p).attention(q.cuda, k.cuda, v.cuda, heads, causal), "attention");
    }

    @ParameterizedTest(name = "{0} activations")
    @EnumSource(Precision.class)
    void pointwise(Precision p) {
        CudaBackend c = CUDA.get(p);
        // Odd lengths take the one-element loops, multiples of 8 the 16-byte ones.
        for (int[] shape : new int[][] {{3, 7, 11}, {2, 64, 40}}) {
            for (Activation a : Activation.values()) {
                Pair x = act(p, 4.0, 0, shape);
                check(p, REF.activation(x.ref, a), c.activation(x.cuda, a), a + " " + Arrays.toString(shape));
            }
            Pair a = act(p, shape), b = act(p, shape);
            check(p, REF.add(a.ref, b.ref), c.add(a.cuda, b.cuda), "add " + Arrays.toString(shape));
            check(p, REF.scale(a.ref, 0.18215f), c.scale(a.cuda, 0.18215f), "scale " + Arrays.toString(shape));
        }
        for (int f : new int[] {161, 320}) {
            Pair g = act(p, 3.0, 0, 2, 77, 2 * f);
            check(p, REF.geglu(g.ref), c.geglu(g.cuda), "geglu F=" + f);
        }
        for (int[] shape : new int[][] {{2, 64, 7, 5}, {2, 64, 4, 6}}) {
            Pair x = act(p, shape), ch = act(p, 2, 64);
            check(p, REF.addChannels(x.ref, ch.ref), c.addChannels(x.cuda, ch.cuda), "addChannels " + Arrays.toString(shape));
        }
    }

    @ParameterizedTest(name = "{0} layout ops")
    @EnumSource(Precision.class)
    void layout(Precision p) {
        CudaBackend c = CUDA.get(p);
        Pair a = act(p, 2, 3, 5, 7), b = act(p, 2, 4, 5, 7);
        check(p, REF.concat(1, a.ref, b.ref), c.concat(1, a.cuda, b.cuda), "concat axis 1");
        Pair a8 = act(p, 2, 8, 4, 4), b8 = act(p, 2, 16, 4, 4);
        check(p, REF.concat(1, a8.ref, b8.ref), c.concat(1, a8.cuda, b8.cuda), "concat axis 1, chunks of 8");
        Pair d = act(p, 3, 5, 7);
        check(p, REF.concat(0, a.ref, d.ref.reshape(1, 3, 5, 7)), c.concat(0, a.cuda, d.cuda.reshape(1, 3, 5, 7)), "concat axis 0");
        Pair e = act(p, 2, 3, 5, 9);
        check(p, REF.concat(3, a.ref, e.ref), c.concat(3, a.cuda, e.cuda), "concat last axis");
        check(p, REF.slice(b.ref, 1, 1, 3), c.slice(b.cuda, 1, 1, 3), "slice axis 1");
        check(p, REF.slice(b.ref, 3, 2, 7), c.slice(b.cuda, 3, 2, 7), "slice last axis");
        Pair img = act(p, 2, 67, 9, 13);
        check(p, REF.toTokens(img.ref), c.toTokens(img.cuda), "toTokens");
        Pair tok = act(p, 2, 9 * 13, 67);
        check(p, REF.toImage(tok.ref, 9, 13), c.toImage(tok.cuda, 9, 13), "toImage");
        check(p, REF.upsampleNearest2x(img.ref), c.upsampleNearest2x(img.cuda), "upsampleNearest2x");
        Pair table = weight(p, 1.0, 0, 1000, 64);
        int[] ids = {49, 0, 999, 3, 3, 500, 77};
        check(p, REF.embedding(table.ref, ids), c.embedding(table.cuda, ids), "embedding");
    }

    @ParameterizedTest(name = "{0} the same inputs give the same bits")
    @EnumSource(Precision.class)
    void deterministic(Precision p) {
        CudaBackend c = CUDA.get(p);
        Pair x = act(p, 2, 64, 33, 31), w = weight(p, 1.0 / Math.sqrt(64 * 9), 0, 96, 64, 3, 3), b = weight(p, 0.5, 0, 96);
        Pair g = weight(p, 0.5, 1.0, 64), beta = weight(p, 0.5, 0, 64);
        Pair q = act(p, 2, 300, 4 * 64), k = act(p, 2, 77, 4 * 64), v = act(p, 2, 77, 4 * 64);
        Pair tokens = act(p, 1030, 136), lw = weight(p, 1.0 / Math.sqrt(136), 0, 200, 136);
        List<Supplier<Tensor>> ops = List.of(() -> c.conv2d(x.cuda, w.cuda, b.cuda, 1, 1),
                () -> c.groupNorm(x.cuda, 32, g.cuda, beta.cuda, 1e-5f, true), () -> c.attention(q.cuda, k.cuda, v.cuda, 4, false),
                () -> c.linear(tokens.cuda, lw.cuda, null));
        for (int i = 0; i < ops.size(); i++) {
            float[] first, again;
            try (Tensor t = ops.get(i).get()) {
                first = c.download(t);
            }
            try (Tensor t = ops.get(i).get()) {
                again = c.download(t);
            }
            assertArrayEquals(first, again, "op " + i + " gave other bits on the same inputs");
        }
    }

    @ParameterizedTest(name = "{0} buffers are reused and inputs left untouched")
    @EnumSource(Precision.class)
    void allocatorReusesAndInputsStay(Precision p) {
        CudaBackend c = CUDA.get(p);
        float[] v = TestWeights.random(rnd, 4096, 1.0);
        for (int i = 0; i < v.length; i++) v[i] = round(p, v[i]);
        Tensor x = c.upload(v, 64, 64);
        long before = c.memory().bytesLive();
        for (int i = 0; i < 10; i++) c.scale(x, 2f).close();
        assertEquals(before, c.memory().bytesLive(), "live bytes after closing every result");
        assertArrayEquals(v, c.download(x), "input modified");
        x.close();
    }
}
