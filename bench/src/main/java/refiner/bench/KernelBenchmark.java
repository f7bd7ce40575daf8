package refiner.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import refiner.engine.backend.cpu.CpuBackend;
import refiner.engine.tensor.Tensor;
import refiner.loader.DType;
import refiner.loader.safetensors.TensorInfo;

/**
 * The CPU backend's dense kernels on the refiner UNet's shapes at 512 px (batch 2 under guidance,
 * latent 64 x 64) with fp16 weights in native memory, as a mapped checkpoint holds them. The
 * backend runs on all cores; the {@code flops} rate is GFLOP/s.
 *
 * <p>Shapes: {@code linear,M,K,N} is x[M, K] W[N, K]^T; {@code conv,B,C,H,W,O,k,s} is a k x k
 * convolution with padding k / 2 and stride s; {@code attention,B,Lq,Lk,H} is attention with H
 * heads of 64 (4 B H Lq Lk 64 flops, the exponentials not counted).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx8g"})
@Threads(1)
@State(Scope.Benchmark)
public class KernelBenchmark {

    @Param({
        "linear,2048,768,768",      // level 1 attention q/k/v/out and proj_in/out
        "linear,2048,768,6144",     // level 1 GEGLU proj
        "linear,2048,3072,768",     // level 1 feed-forward out
        "linear,512,1536,12288",    // level 2 GEGLU proj
        "linear,154,1280,768",      // level 1 cross-attention k/v from the text states
        "conv,2,384,64,64,384,3,1", // level 0 resnet conv
        "conv,2,768,32,32,768,3,1", // level 1 resnet conv
        "conv,2,1536,16,16,1536,3,1", // level 2 resnet conv
        "conv,2,384,64,64,384,3,2", // level 0 downsampler
        "attention,2,1024,1024,12", // level 1 self-attention, head dim 64
        "attention,2,1024,77,12"    // level 1 cross-attention
    })
    public String shape;

    private CpuBackend backend;
    private Tensor x;
    private Tensor w;
    private Tensor kv;
    private String kind;
    private int heads;
    private int stride;
    private long flops;

    @Setup(Level.Trial)
    public void setUp() {
        String[] p = shape.split(",");
        int[] d = new int[p.length - 1];
        for (int i = 1; i < p.length; i++) d[i - 1] = Integer.parseInt(p[i]);
        backend = new CpuBackend();
        SplittableRandom rnd = new SplittableRandom(42);
        kind = p[0];
        if (kind.equals("attention")) {
            int b = d[0], lq = d[1], lk = d[2];
            heads = d[3];
            x = backend.upload(random(rnd, b * lq * heads * 64, 1), b, lq, heads * 64);
            kv = backend.upload(random(rnd, b * lk * heads * 64, 1), b, lk, heads * 64);
            flops = 4L * b * heads * lq * lk * 64;
        } else if (kind.equals("conv")) {
            int b = d[0], c = d[1], h = d[2], wd = d[3], o = d[4], k = d[5];
            stride = d[6];
            x = backend.upload(random(rnd, b * c * h * wd, 1), b, c, h, wd);
            w = backend.weight(f16("w", random(rnd, o * c * k * k, 1 / Math.sqrt(c * k * k)), o, c, k, k));
            int oh = (h + 2 * (k / 2) - k) / stride + 1, ow = (wd + 2 * (k / 2) - k) / stride + 1;
            flops = 2L * b * o * oh * ow * c * k * k;
        } else {
            int m = d[0], k = d[1], n = d[2];
            x = backend.upload(random(rnd, m * k, 1), m, k);
            w = backend.weight(f16("w", random(rnd, n * k, 1 / Math.sqrt(k)), n, k));
            flops = 2L * m * k * n;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        backend.close();
    }

    @Benchmark
    public Tensor kernel(Flops f) {
        Tensor y = switch (kind) {
            case "attention" -> backend.attention(x, kv, kv, heads, false);
            case "conv" -> backend.conv2d(x, w, null, stride, w.dim(2) / 2);
            default -> backend.linear(x, w, null);
        };
        y.close();
        f.flops += flops;
        return y;
    }

    static float[] random(SplittableRandom rnd, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
        return a;
    }

    static TensorInfo f16(String name, float[] v, long... shape) {
        MemorySegment m = Arena.ofShared().allocate(2L * v.length, 64);
        ValueLayout.OfShort half = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < v.length; i++) m.setAtIndex(half, i, Float.floatToFloat16(v[i]));
        return new TensorInfo(name, DType.F16, shape, m);
    }
}
