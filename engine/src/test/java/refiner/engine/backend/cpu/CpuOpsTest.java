package refiner.engine.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.BiFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import refiner.engine.backend.Activation;
import refiner.engine.backend.Backend;
import refiner.engine.backend.reference.ReferenceBackend;
import refiner.engine.tensor.Tensor;
import refiner.loader.DType;
import refiner.loader.safetensors.TensorInfo;

/** Every CPU op against the reference loops, on fresh random inputs at ordinary and odd shapes. */
class CpuOpsTest {
    private static final CpuBackend CPU = new CpuBackend(2);
    private static final ReferenceBackend REF = new ReferenceBackend();
    private static final WorkerPool POOL = new WorkerPool(2);
    private static final Winograd WINOGRAD = new Winograd(POOL, new Gemm(POOL));
    private final SplittableRandom rnd = new SplittableRandom(System.nanoTime());

    @AfterAll
    static void close() {
        CPU.close();
        POOL.close();
    }

    /** An input held by both backends: activation (float[]) or weight of the given dtype. */
    private record Pair(Tensor cpu, Tensor ref, float[] values) {
        void assertUnchanged() {
            if (cpu.storage() instanceof float[] a) assertArrayEquals(values, a, "input modified");
        }
    }

    private Pair act(double scale, int... shape) {
        float[] v = TestWeights.random(rnd, (int) Tensor.numel(shape), scale);
        return new Pair(CPU.upload(v, shape), REF.upload(v, shape), v);
    }

    private Pair weight(DType d, double scale, int... shape) {
        long[] s = Arrays.stream(shape).asLongStream().toArray();
        TensorInfo info = TestWeights.random(rnd, "w", d, scale, s);
        return new Pair(CPU.weight(info), REF.weight(info), null);
    }

    /** Weight of dtype {@code d}, or an activation when {@code d} is null. */
    private Pair param(String d, double scale, int... shape) {
        return d.equals("ACT") ? act(scale, shape) : weight(DType.valueOf(d), scale, shape);
    }

    /** Max abs difference at most {@code rtol} times the reference's largest magnitude (or 1). */
    private static void close(Tensor ref, Tensor cpu, double rtol, String what) {
        assertArrayEquals(ref.shape(), cpu.shape(), what + ": shape");
        float[] r = REF.download(ref), c = CPU.download(cpu);
        double scale = 1e-30, diff = 0;
        int at = -1;
        for (int i = 0; i < r.length; i++) {
            scale = Math.max(scale, Math.abs(r[i]));
            double d = Math.abs(r[i] - c[i]);
            if (!(d <= diff)) {
                diff = d;
                at = i;
            }
        }
        if (!(diff <= rtol * scale)) {
            fail(what + ": max |diff| " + diff + " at " + at + " (ref " + r[at] + ", cpu " + c[at] + ") exceeds " + rtol + " * " + scale);
        }
        cpu.close();
    }

    @ParameterizedTest(name = "linear M={0} K={1} N={2} w={3} bias={4}")
    @CsvSource({
        "1, 1, 1, F16, true", "3, 17, 5, F16, false", "14, 33, 50, F32, true", "64, 100, 48, BF16, true",
        "130, 300, 97, F16, true", "97, 768, 40, F16, false", "5, 1000, 33, ACT, true", "200, 257, 129, F32, false",
        "1, 640, 1280, F16, true", "37, 64, 3000, F16, true", "300, 70, 45, F16, true", "530, 129, 70, ACT, false",
        "40, 300, 70, BF16, true"})
    void linear(int m, int k, int n, String dtype, boolean bias) {
        Pair x = act(1, m, k);
        Pair w = param(dtype, 1 / Math.sqrt(k), n, k);
        Pair b = bias ? param(dtype, 1, n) : null;
        close(REF.linear(x.ref, w.ref, b == null ? null : b.ref), CPU.linear(x.cpu, w.cpu, b == null ? null : b.cpu), 1e-5, "linear");
        x.assertUnchanged();
        Pair x3 = act(1, 2, (m + 1) / 2, k);
        close(REF.linear(x3.ref, w.ref, null), CPU.linear(x3.cpu, w.cpu, null), 1e-5, "linear rank 3");
    }

    /**
     * A product whose shared panel of B holds K x N >= 2^22 floats, which each task reads a K slice
     * at a time from a copy of its own; on small integers, whose sums are exact in any order.
     */
    @Test
    void linearOverLargePanel() {
        int m = 13, k = 41944, n = 100;
        float[] x = integers(m * k), w = integers(n * k);
        close(REF.linear(REF.upload(x, m, k), REF.upload(w, n, k), null), CPU.linear(CPU.upload(x, m, k), CPU.upload(w, n, k), null), 0,
                "linear over a large panel");
    }

    private float[] integers(int count) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) v[i] = rnd.nextInt(-2, 3);
        return v;
    }

    @ParameterizedTest(name = "conv2d B={0} C={1} {2}x{3} O={4} k={5} s={6} p={7} w={8}")
    @CsvSource({
        "1, 1, 1, 1, 1, 1, 1, 0, F16", "2, 3, 5, 7, 4, 3, 1, 1, F16", "1, 8, 9, 9, 5, 3, 2, 1, F32",
        "2, 16, 8, 8, 20, 1, 1, 0, F16", "1, 5, 6, 6, 7, 3, 1, 0, BF16", "2, 40, 10, 12, 33, 3, 1, 1, F16",
        "1, 4, 16, 16, 48, 3, 2, 1, F16", "1, 70, 3, 3, 17, 1, 1, 0, ACT", "2, 33, 13, 11, 65, 3, 1, 1, F16",
        "1, 3, 40, 30, 5, 3, 1, 1, F16", "2, 20, 36, 35, 30, 3, 2, 1, F16", "3, 10, 16, 8, 40, 3, 1, 1, F16",
        "2, 300, 8, 8, 30, 3, 1, 1, BF16", "1, 8, 12, 12, 270, 3, 1, 1, F16", "2, 5, 9, 7, 300, 3, 2, 1, F16",
        "1, 70, 9, 37, 3, 3, 1, 1, F16", "2, 5, 17, 16, 1, 3, 1, 1, F32", "1, 8, 3, 50, 2, 3, 1, 1, BF16", "2, 6, 4, 32, 4, 3, 1, 1, F16", "1, 4, 1, 1, 3, 3, 1, 1, F16",
        "1, 6, 41, 41, 20, 3, 2, 0, F16", "2, 7, 20, 70, 13, 3, 2, 1, F16", "1, 40, 4, 4, 1100, 3, 1, 1, F32",
        "2, 30, 5, 3, 1030, 3, 1, 1, F16", "1, 32, 3, 5, 1040, 3, 1, 1, BF16"})
    void conv2d(int b, int c, int h, int w, int o, int k, int stride, int pad, String dtype) {
        Pair x = act(1, b, c, h, w);
        Pair wt = param(dtype, 1 / Math.sqrt(c * k * k), o, c, k, k);
        Pair bias = param(dtype, 1, o);
        close(REF.conv2d(x.ref, wt.ref, bias.ref, stride, pad), CPU.conv2d(x.cpu, wt.cpu, bias.cpu, stride, pad), 1e-5, "conv2d");
        close(REF.conv2d(x.ref, wt.ref, null, stride, pad), CPU.conv2d(x.cpu, wt.cpu, null, stride, pad), 1e-5, "conv2d no bias");
        x.assertUnchanged();
    }

    @ParameterizedTest(name = "conv2dPadded B={0} C={1} {2}x{3} O={4} k={5} s={6} pad {7} {8} {9} {10}")
    @CsvSource({
        "1, 5, 9, 8, 7, 3, 2, 0, 1, 0, 1", "2, 6, 17, 16, 20, 3, 2, 0, 1, 0, 1", "1, 4, 10, 13, 3, 3, 1, 2, 0, 1, 3",
        "2, 3, 7, 7, 5, 1, 1, 1, 0, 0, 2", "1, 9, 6, 6, 14, 3, 1, 1, 1, 1, 1", "1, 2, 2, 3, 4, 3, 2, 1, 0, 0, 0"})
    void conv2dPadded(int b, int c, int h, int w, int o, int k, int stride, int top, int bottom, int left, int right) {
        Pair x = act(1, b, c, h, w);
        Pair wt = weight(DType.F16, 1 / Math.sqrt(c * k * k), o, c, k, k);
        Pair bias = weight(DType.F16, 1, o);
        close(REF.conv2dPadded(x.ref, wt.ref, bias.ref, stride, top, bottom, left, right),
                CPU.conv2dPadded(x.cpu, wt.cpu, bias.cpu, stride, top, bottom, left, right), 1e-5, "conv2dPadded");
        x.assertUnchanged();
    }

    @ParameterizedTest(name = "winograd F({7}x{7}) B={0} C={1} {2}x{3} O={4} chunk={5} rows, bias={6}, input upsampled 2x={8}")
    @CsvSource({
        "1, 1, 1, 1, 1, 1, true, 2, false", "1, 3, 2, 2, 2, 1, false, 2, false", "2, 5, 7, 9, 4, 2, true, 2, false",
        "1, 17, 33, 34, 19, 3, true, 2, false", "3, 8, 6, 5, 40, 100, false, 2, false", "2, 33, 40, 70, 65, 7, true, 2, false",
        "1, 64, 16, 16, 64, 8, true, 2, false", "1, 1, 1, 1, 1, 1, true, 4, false", "1, 3, 2, 3, 2, 1, false, 4, false",
        "2, 5, 7, 9, 4, 2, true, 4, false", "1, 17, 33, 34, 19, 3, true, 4, false", "3, 8, 6, 5, 40, 100, false, 4, false",
        "2, 33, 40, 70, 65, 3, true, 4, false", "1, 64, 16, 16, 64, 2, true, 4, false", "1, 130, 67, 131, 20, 5, true, 4, false",
        "1, 1, 1, 1, 1, 1, true, 2, true", "2, 5, 7, 9, 4, 2, true, 2, true", "1, 17, 16, 17, 19, 3, false, 2, true",
        "2, 33, 20, 35, 65, 7, true, 2, true", "1, 1, 1, 1, 1, 1, true, 4, true", "2, 5, 7, 9, 4, 2, true, 4, true",
        "1, 17, 16, 17, 19, 3, false, 4, true", "1, 130, 33, 65, 20, 5, true, 4, true"})
    void winograd(int b, int c, int h, int w, int o, int rows, boolean bias, int m, boolean upsampled) {
        Pair x = act(1, b, c, h, w);
        Pair wt = weight(DType.F16, 1 / Math.sqrt(9 * c), o, c, 3, 3);
        Pair bs = bias ? weight(DType.F16, 1, o) : null;
        int f = upsampled ? 2 : 1;
        Tensor y = CPU.allocate(b, o, f * h, f * w);
        WINOGRAD.conv(HostTensors.array(x.cpu), wt.cpu, bs == null ? null : HostTensors.toArray(bs.cpu), null, HostTensors.array(y), b, c, f * h, f * w, o,
                m == 4 ? WinogradTiling.F4 : WinogradTiling.F2, rows, upsampled);
        Tensor refBias = bs == null ? null : bs.ref;
        close(upsampled ? REF.conv2dUpsampled(x.ref, wt.ref, refBias, 1) : REF.conv2d(x.ref, wt.ref, refBias, 1, 1), y, 1e-5, "winograd");
        x.assertUnchanged();
    }

    @Test
    void upsampledConvolutionsMatchUpsamplingFirst() {
        for (int[] s : new int[][] {{2, 128, 16, 16, 128}, {1, 130, 9, 12, 131}, {2, 4, 5, 6, 7}}) {
            Pair x = act(1, s[0], s[1], s[2], s[3]);
            Pair wt = weight(DType.F16, 1 / Math.sqrt(9 * s[1]), s[4], s[1], 3, 3);
            Pair bs = weight(DType.F16, 1, s[4]);
            close(REF.conv2dUpsampled(x.ref, wt.ref, bs.ref, 1), CPU.conv2dUpsampled(x.cpu, wt.cpu, bs.cpu, 1), 1e-5, "conv2dUpsampled " + Arrays.toString(s));
            x.assertUnchanged();
        }
    }

    @Test
    void winogradTakesLargeStrideOneConvolutions() {
        assertNotNull(Winograd.tiling(3, 1, 1, 2, 384, 64, 64, 384), "UNet level 0 at 512 px");
        assertNotNull(Winograd.tiling(3, 1, 1, 2, 2304, 32, 31, 768), "odd width");
        assertNull(Winograd.tiling(3, 2, 1, 2, 384, 64, 64, 384), "stride 2");
        assertNull(Winograd.tiling(3, 1, 0, 2, 384, 64, 64, 384), "no padding");
        assertNull(Winograd.tiling(1, 1, 0, 2, 384, 64, 64, 384), "1x1");
        assertNull(Winograd.tiling(3, 1, 1, 2, 1536, 16, 16, 1536), "128 tiles");
        assertNotNull(Winograd.tiling(3, 1, 1, 1, 128, 512, 512, 128), "VAE decoder's last level at 512 px");
        assertNull(Winograd.tiling(3, 1, 1, 1, 3, 512, 512, 128), "3 channels in");
        assertNull(Winograd.tiling(3, 1, 1, 1, 128, 512, 512, 8), "8 channels out");
        assertEquals(WinogradTiling.F4, Winograd.tiling(3, 1, 1, 2, 384, 64, 64, 384), "512 tiles of 4x4");
        assertEquals(WinogradTiling.F4, Winograd.tiling(3, 1, 1, 1, 512, 64, 64, 512), "256 tiles of 4x4");
        assertEquals(WinogradTiling.F2, Winograd.tiling(3, 1, 1, 2, 768, 32, 32, 768), "128 tiles of 4x4, 512 of 2x2");
        assertEquals(WinogradTiling.F2, Winograd.tiling(3, 1, 1, 2, 3072, 64, 64, 1536), "4x4 filters of 3072 x 1536 exceed the scratch");
    }

    @ParameterizedTest(name = "groupNorm B={0} C={1} spatial={2}x{3} groups={4} silu={5}")
    @CsvSource({
        "1, 4, 1, 1, 2, false", "2, 64, 5, 7, 32, true", "2, 32, 17, 1, 32, false", "1, 6, 3, 3, 3, true",
        "2, 320, 16, 16, 32, true", "1, 96, 33, 1, 32, false"})
    void groupNorm(int b, int c, int h, int w, int groups, boolean silu) {
        Pair x = act(3, b, c, h, w);
        for (int i = 0; i < x.values.length; i++) x.values[i] += 2;
        x = new Pair(CPU.upload(x.values, b, c, h, w), REF.upload(x.values, b, c, h, w), x.values);
        Pair g = weight(DType.F16, 1, c), be = weight(DType.F32, 1, c);
        close(REF.groupNorm(x.ref, groups, g.ref, be.ref, 1e-6f, silu), CPU.groupNorm(x.cpu, groups, g.cpu, be.cpu, 1e-6f, silu), 1e-5, "groupNorm");
        Pair x3 = new Pair(x.cpu.reshape(b, c, h * w), x.ref.reshape(b, c, h * w), x.values);
        close(REF.groupNorm(x3.ref, groups, g.ref, be.ref, 1e-5f, silu), CPU.groupNorm(x3.cpu, groups, g.cpu, be.cpu, 1e-5f, silu), 1e-5, "groupNorm rank 3");
        x.assertUnchanged();
    }

    @ParameterizedTest(name = "layerNorm rows={0} D={1}")
    @CsvSource({"1, 1", "3, 17", "10, 64", "4, 1000", "7, 1280"})
    void layerNorm(int rows, int d) {
        Pair x = act(2, rows, d);
        Pair g = weight(DType.F16, 1, d), b = weight(DType.F16, 1, d);
        close(REF.layerNorm(x.ref, g.ref, b.ref, 1e-5f), CPU.layerNorm(x.cpu, g.cpu, b.cpu, 1e-5f), 1e-5, "layerNorm");
        x.assertUnchanged();
    }

    @ParameterizedTest(name = "attention B={0} Lq={1} Lk={2} H={3} D={4} causal={5}")
    @CsvSource({
        "1, 1, 1, 1, 1, false", "1, 1, 1, 1, 1, true", "2, 7, 5, 2, 3, false", "1, 77, 77, 2, 64, true",
        "2, 300, 77, 2, 64, false", "1, 130, 130, 3, 17, true", "2, 64, 200, 1, 64, false", "1, 5, 9, 4, 16, true",
        "1, 257, 257, 1, 64, false", "2, 13, 40, 2, 300, true", "1, 300, 1100, 1, 240, false", "1, 700, 700, 1, 380, true",
        "2, 40, 600, 3, 128, false"})
    void attention(int b, int lq, int lk, int heads, int d, boolean causal) {
        Pair q = act(1, b, lq, heads * d), k = act(1, b, lk, heads * d), v = act(1, b, lk, heads * d);
        close(REF.attention(q.ref, k.ref, v.ref, heads, causal), CPU.attention(q.cpu, k.cpu, v.cpu, heads, causal), 1e-5, "attention");
        q.assertUnchanged();
        k.assertUnchanged();
        v.assertUnchanged();
    }

    @ParameterizedTest(name = "activation {0} n={1}")
    @CsvSource({"GELU, 1", "GELU, 1000", "QUICK_GELU, 17", "QUICK_GELU, 1000", "SILU, 3", "SILU, 1000"})
    void activation(Activation a, int n) {
        Pair x = act(12, n);
        close(REF.activation(x.ref, a), CPU.activation(x.cpu, a), 2e-6, a.toString());
        x.assertUnchanged();
    }

    @ParameterizedTest(name = "geglu rows={0} F={1}")
    @CsvSource({"1, 1", "3, 17", "5, 96", "2, 3000"})
    void geglu(int rows, int f) {
        Pair x = act(6, rows, 2 * f);
        close(REF.geglu(x.ref), CPU.geglu(x.cpu), 2e-6, "geglu");
        x.assertUnchanged();
    }

    /**
     * The fused forms are the product then the add or the gating, bit for bit, on the CPU: both
     * product schedules (shared panels above 1024 rows, column tasks below), GEGLU widths not a
     * multiple of a strip, and eight threads, whose column groups split a panel's pairs of strips.
     */
    @ParameterizedTest(name = "linear + residual and linear + GEGLU, M={0} K={1} N={2}, {3} threads")
    @CsvSource({"1, 8, 16, 2", "7, 13, 10, 2", "130, 72, 200, 2", "130, 40, 2, 2", "37, 300, 262, 2", "1100, 70, 130, 2",
                "1030, 9, 2112, 2", "130, 72, 650, 8", "60, 30, 400, 8", "5, 260, 1000, 8"})
    void fusedForms(int m, int k, int n, int threads) {
        try (CpuBackend cpu = new CpuBackend(threads);
             Tensor x = cpu.upload(TestWeights.random(rnd, m * k, 1), m, k);
             Tensor w = cpu.weight(TestWeights.random(rnd, "w", DType.F16, 1 / Math.sqrt(k), n, k));
             Tensor b = cpu.weight(TestWeights.random(rnd, "b", DType.F16, 0.5, n));
             Tensor r = cpu.upload(TestWeights.random(rnd, m * n, 1), m, n);
             Tensor y = cpu.linear(x, w, b);
             Tensor sum = cpu.add(r, y);
             Tensor fused = cpu.linear(x, w, b, r);
             Tensor gated = cpu.geglu(y);
             Tensor fusedGated = cpu.linearGeglu(x, w, b)) {
            assertArrayEquals(cpu.download(sum), cpu.download(fused), "linear + residual");
            assertArrayEquals(cpu.download(gated), cpu.download(fusedGated), "linear + GEGLU");
        }
    }

    /**
     * A convolution with a residual is the convolution then the add, bit for bit, on each of the
     * CPU paths: Winograd F(4x4) and F(2x2), products over a batch's patches at once and image by
     * image, strided, and few outputs.
     */
    @ParameterizedTest(name = "conv2d + residual, x[{0}, {1}, {2}, {3}] -> {4} channels, kernel {5}, stride {6}")
    @CsvSource({"1, 128, 64, 64, 128, 3, 1", "2, 128, 32, 32, 130, 3, 1", "2, 8, 8, 8, 16, 3, 1", "2, 5, 7, 9, 40, 3, 1",
                "3, 6, 9, 11, 33, 1, 1", "2, 7, 10, 12, 20, 3, 2", "2, 9, 6, 20, 3, 3, 1"})
    void convolutionWithResidual(int b, int c, int h, int w, int o, int k, int stride) {
        int oh = (h + 2 * (k / 2) - k) / stride + 1, ow = (w + 2 * (k / 2) - k) / stride + 1;
        Pair x = act(1, b, c, h, w), wt = weight(DType.F16, 1 / Math.sqrt(k * k * c), o, c, k, k), bs = weight(DType.F16, 0.5, o);
        Pair r = act(1, b, o, oh, ow);
        try (Tensor y = CPU.conv2d(x.cpu, wt.cpu, bs.cpu, stride, k / 2);
             Tensor sum = CPU.add(r.cpu, y);
             Tensor fused = CPU.conv2d(x.cpu, wt.cpu, bs.cpu, stride, k / 2, r.cpu)) {
            assertArrayEquals(CPU.download(sum), CPU.download(fused));
        }
        x.assertUnchanged();
        r.assertUnchanged();
    }

    @Test
    void pointwiseAndLayout() {
        Pair a = act(1, 2, 3, 5, 7), b = act(1, 2, 3, 5, 7), c = act(1, 2, 3);
        check("add", (be, t) -> be.add(t[0], t[1]), a, b);
        check("addChannels", (be, t) -> be.addChannels(t[0], t[1]), a, c);
        check("scale", (be, t) -> be.scale(t[0], -0.37f), a);
        Pair d = act(1, 2, 4, 5, 7), e = act(1, 2, 3, 5, 2);
        check("concat 1", (be, t) -> be.concat(1, t[0], t[1]), a, d);
        check("concat 3", (be, t) -> be.concat(3, t[0], t[1]), a, e);
        check("concat 0", (be, t) -> be.concat(0, t[0], t[1]), a, b);
        check("slice 1", (be, t) -> be.slice(t[0], 1, 1, 3), a);
        check("slice 3", (be, t) -> be.slice(t[0], 3, 2, 7), a);
        check("slice 0", (be, t) -> be.slice(t[0], 0, 1, 2), a);
        check("toTokens", (be, t) -> be.toTokens(t[0]), a);
        Pair tok = act(1, 2, 35, 3);
        check("toImage", (be, t) -> be.toImage(t[0], 5, 7), tok);
        check("upsample", (be, t) -> be.upsampleNearest2x(t[0]), a);
        Pair wide = act(1, 1, 2, 3, 37);
        check("upsample wide rows", (be, t) -> be.upsampleNearest2x(t[0]), wide);
        check("pad2d", (be, t) -> be.pad2d(t[0], 0, 1, 0, 1), a);
        check("pad2d all sides", (be, t) -> be.pad2d(t[0], 2, 1, 3, 0), a);
        Pair table = weight(DType.F16, 1, 50, 9);
        check("embedding", (be, t) -> be.embedding(t[0], new int[] {3, 0, 49, 3}), table);
        for (Pair p : new Pair[] {a, b, c, d, e, tok, wide}) p.assertUnchanged();
    }

    private void check(String what, BiFunction<Backend, Tensor[], Tensor> op, Pair... in) {
        Tensor r = op.apply(REF, Arrays.stream(in).map(Pair::ref).toArray(Tensor[]::new));
        Tensor c = op.apply(CPU, Arrays.stream(in).map(Pair::cpu).toArray(Tensor[]::new));
        close(r, c, 0, what);
    }

    @Test
    void weightsDownloadWidened() {
        float[] v = {1.5f, -2.25f, 65504f, 6.1035156e-5f};
        for (DType d : new DType[] {DType.F16, DType.F32}) {
            Tensor w = CPU.weight(TestWeights.of("w", d, v, 2, 2));
            assertArrayEquals(v, CPU.download(w), d.toString());
            Tensor u = CPU.upload(CPU.download(w), 2, 2);
            assertArrayEquals(v, CPU.download(u));
        }
    }

    @Test
    void resultsDoNotDependOnTheThreadCount() {
        float[] x = TestWeights.random(rnd, 2 * 24 * 17 * 19, 1), q = TestWeights.random(rnd, 2 * 70 * 128, 1);
        float[] k = TestWeights.random(rnd, 2 * 50 * 128, 1), t = TestWeights.random(rnd, 2 * 70 * 300, 1);
        TensorInfo cw = TestWeights.random(rnd, "conv", DType.F16, 0.1, 40, 24, 3, 3);
        TensorInfo lw = TestWeights.random(rnd, "linear", DType.F16, 0.1, 1100, 300);
        TensorInfo g = TestWeights.random(rnd, "gamma", DType.F16, 1, 24);
        float[][][] out = new float[2][][];
        int[] threads = {1, 3};
        for (int i = 0; i < 2; i++) {
            try (CpuBackend be = new CpuBackend(threads[i])) {
                Tensor xi = be.upload(x, 2, 24, 17, 19), qi = be.upload(q, 2, 70, 128), ki = be.upload(k, 2, 50, 128);
                out[i] = new float[][] {
                    be.download(be.conv2d(xi, be.weight(cw), null, 1, 1)),
                    be.download(be.linear(be.upload(t, 2, 70, 300), be.weight(lw), null)),
                    be.download(be.attention(qi, ki, ki, 2, false)),
                    be.download(be.groupNorm(xi, 8, be.weight(g), be.weight(g), 1e-5f, true))};
            }
        }
        for (int op = 0; op < out[0].length; op++) assertArrayEquals(out[0][op], out[1][op], "op " + op);
    }

    @Test
    void releasedBuffersAreReused() {
        Tensor t = CPU.allocate(3, 1000);
        Object s = t.storage();
        t.close();
        Tensor u = CPU.allocate(1000, 3);
        assertTrue(u.storage() == s, "buffer not reused");
        assertEquals(3000, u.numel());
        u.close();
    }
}
