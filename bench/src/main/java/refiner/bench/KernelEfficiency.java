package refiner.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.SplittableRandom;
import refiner.engine.backend.cpu.CpuBackend;
import refiner.engine.tensor.Tensor;

/**
 * Kernel efficiency on a shared machine: one thread runs each kernel and then the FMA chains, and
 * both are timed in that thread's CPU time, so time the scheduler gives to other processes does
 * not count. Prints GFLOP per CPU-second of each and their ratio, the fraction of the reachable
 * single-core peak. Usage: {@code KernelEfficiency [repetitions]}.
 */
public final class KernelEfficiency {
    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();
    private static final String[] SHAPES = {
        "linear,2048,768,768", "linear,2048,768,6144", "linear,2048,3072,768", "linear,512,1536,12288",
        "linear,154,1280,768", "conv,2,384,64,64,384,3,1", "conv,2,768,32,32,768,3,1",
        "conv,2,1536,16,16,1536,3,1", "conv,2,384,64,64,384,3,2", "attention,2,1024,1024,12", "attention,2,1024,77,12"};

    private KernelEfficiency() {
    }

    public static void main(String[] args) {
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        System.out.printf("%-30s %10s %10s %8s%n", "shape", "GFLOP/cpu-s", "peak", "fraction");
        try (CpuBackend be = new CpuBackend(1)) {
            for (String shape : SHAPES) {
                String[] p = shape.split(",");
                int[] d = new int[p.length - 1];
                for (int i = 1; i < p.length; i++) d[i - 1] = Integer.parseInt(p[i]);
                SplittableRandom rnd = new SplittableRandom(42);
                Tensor x, w;
                long flops;
                String kind = p[0];
                if (kind.equals("attention")) {
                    int b = d[0], lq = d[1], lk = d[2], heads = d[3];
                    x = be.upload(KernelBenchmark.random(rnd, b * lq * heads * 64, 1), b, lq, heads * 64);
                    w = be.upload(KernelBenchmark.random(rnd, b * lk * heads * 64, 1), b, lk, heads * 64);
                    flops = 4L * b * heads * lq * lk * 64;
                } else if (kind.equals("conv")) {
                    int b = d[0], c = d[1], h = d[2], wd = d[3], o = d[4], k = d[5], s = d[6];
                    x = be.upload(KernelBenchmark.random(rnd, b * c * h * wd, 1), b, c, h, wd);
                    w = be.weight(KernelBenchmark.f16("w", KernelBenchmark.random(rnd, o * c * k * k, 0.05), o, c, k, k));
                    flops = 2L * b * o * ((h - 1) / s + 1) * ((wd - 1) / s + 1) * c * k * k;
                } else {
                    int m = d[0], k = d[1], n = d[2];
                    x = be.upload(KernelBenchmark.random(rnd, m * k, 1), m, k);
                    w = be.weight(KernelBenchmark.f16("w", KernelBenchmark.random(rnd, n * k, 0.05), n, k));
                    flops = 2L * m * k * n;
                }
                double best = 0, peak = 0;
                for (int r = 0; r < reps; r++) {
                    long t0 = CPU.getCurrentThreadCpuTime();
                    Tensor y = switch (kind) {
                        case "attention" -> be.attention(x, w, w, d[3], false);
                        case "conv" -> be.conv2d(x, w, null, d[6], d[5] / 2);
                        default -> be.linear(x, w, null);
                    };
                    long t1 = CPU.getCurrentThreadCpuTime();
                    y.close();
                    best = Math.max(best, flops / (double) (t1 - t0));
                    peak = Math.max(peak, peak());
                }
                System.out.printf("%-30s %10.1f %10.1f %8.2f%n", shape, best, peak, best / peak);
                x.close();
            }
        }
    }

    /** FMA-chain GFLOP per CPU-second of this thread over about 50 ms. */
    private static double peak() {
        long flops = 0, t0 = CPU.getCurrentThreadCpuTime(), t1;
        float sink = 0;
        do {
            sink += FmaPeakBenchmark.chains(0.999f, 1e-3f);
            flops += FmaPeakBenchmark.flopsPerCall();
            t1 = CPU.getCurrentThreadCpuTime();
        } while (t1 - t0 < 50_000_000L);
        return sink == 42 ? 0 : flops / (double) (t1 - t0);
    }
}
