package refiner.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * Kernel efficiency on a shared machine: one thread runs each kernel and then the FMA chains, and
 * both are timed in that thread's CPU time, so time the scheduler gives to other processes does
 * not count. Prints GFLOP per CPU-second of each and their ratio, the fraction of the reachable
 * single-core peak. Usage: {@code KernelEfficiency [repetitions]}.
 */
public final class KernelEfficiency {
    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();
    private static final String[] SHAPES = {
        "linear:2048:768:768", "linear:2048:768:6144", "linear:2048:3072:768", "linear:512:1536:12288",
        "linear:154:1280:768", "conv:2:384:64:64:384:3:1", "conv:2:768:32:32:768:3:1",
        "conv:2:1536:16:16:1536:3:1", "conv:2:384:64:64:384:3:2", "attention:2:1024:1024:12", "attention:2:1024:77:12"};

    private KernelEfficiency() {
    }

    public static void main(String[] args) throws IOException {
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        System.out.printf("%-30s %10s %10s %8s%n", "shape", "GFLOP/cpu-s", "peak", "fraction");
        for (String shape : SHAPES) {
            try (KernelProbe probe = new KernelProbe(shape, 1)) {
                double best = 0, peak = 0;
                for (int r = 0; r < reps; r++) {
                    best = Math.max(best, probe.once());
                    peak = Math.max(peak, peak());
                }
                System.out.printf("%-30s %10.1f %10.1f %8.2f%n", shape, best, peak, best / peak);
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
