package refiner.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Kernel efficiency on a shared machine whose speed drifts: each kernel call is paired with a
 * run of the FMA chains right after it, and the fraction is taken pair by pair. On one thread
 * both are timed in that thread's CPU time, so time the scheduler gives to other processes does
 * not count, and the best kernel call is set against the best peak. On T threads the kernel runs
 * on a T-thread backend and the chains on T threads at once, both by the wall clock, and the
 * median of the per-pair fractions is printed beside the fraction of the bests. Usage:
 * {@code KernelEfficiency [repetitions [threads [shape...]]]}.
 */
public final class KernelEfficiency {
    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();
    private static final long PEAK_NANOS = 50_000_000L;
    private static final String[] SHAPES = {
        "linear:2048:768:768", "linear:2048:768:6144", "linear:2048:3072:768", "linear:512:1536:12288",
        "linear:154:1280:768", "conv:2:384:64:64:384:3:1", "conv:2:768:32:32:768:3:1",
        "conv:2:1536:16:16:1536:3:1", "conv:2:384:64:64:384:3:2", "attention:2:1024:1024:12", "attention:2:1024:77:12"};

    private KernelEfficiency() {
    }

    public static void main(String[] args) throws Exception {
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        String[] shapes = args.length > 2 ? Arrays.copyOfRange(args, 2, args.length) : SHAPES;
        ExecutorService chains = Executors.newFixedThreadPool(threads);
        try {
            System.out.printf("%-30s %10s %10s %9s %9s%n", "shape", threads == 1 ? "GFLOP/cpu-s" : "GFLOP/s", "peak", "of bests", "median");
            for (String shape : shapes) {
                try (KernelProbe probe = new KernelProbe(shape, threads)) {
                    double best = 0, bestPeak = 0;
                    double[] fractions = new double[reps];
                    for (int r = 0; r < reps; r++) {
                        double rate = probe.once(), peak = threads == 1 ? peak() : peak(chains, threads);
                        best = Math.max(best, rate);
                        bestPeak = Math.max(bestPeak, peak);
                        fractions[r] = rate / peak;
                    }
                    Arrays.sort(fractions);
                    System.out.printf("%-30s %10.1f %10.1f %9.2f %9.2f%n", shape, best, bestPeak, best / bestPeak, fractions[reps / 2]);
                }
            }
        } finally {
            chains.shutdown();
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
        } while (t1 - t0 < PEAK_NANOS);
        return sink == 42 ? 0 : flops / (double) (t1 - t0);
    }

    /** FMA-chain GFLOP per wall second of {@code threads} threads running the chains for about 50 ms. */
    private static double peak(ExecutorService chains, int threads) throws Exception {
        long t0 = System.nanoTime();
        List<Future<Long>> runs = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            runs.add(chains.submit(() -> {
                long flops = 0;
                float sink = 0;
                do {
                    sink += FmaPeakBenchmark.chains(0.999f, 1e-3f);
                    flops += FmaPeakBenchmark.flopsPerCall();
                } while (System.nanoTime() - t0 < PEAK_NANOS);
                return sink == 42 ? 0 : flops;
            }));
        }
        long flops = 0;
        for (Future<Long> run : runs) flops += run.get();
        return flops / (double) (System.nanoTime() - t0);
    }
}
