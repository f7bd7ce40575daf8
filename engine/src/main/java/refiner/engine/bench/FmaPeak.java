package refiner.engine.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The machine's practical fp32 peak: every thread repeats a short loop of independent
 * {@code FloatVector.fma} chains (enough of them to hide the instruction's latency) on the widest
 * vector shape the JVM offers, with no memory traffic, for a fixed time. Each thread's best loop
 * counts, so the interpreted and partly compiled first runs and moments of preemption by other
 * processes drop out; the threads' best rates are summed.
 */
public final class FmaPeak {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int CHAINS = 12;
    private static final int ROUNDS = 1 << 12;

    private FmaPeak() {
    }

    /** GFLOP/s (2 per lane per fma) of {@code threads} threads running together for {@code millis} ms. */
    public static double measure(int threads, long millis) {
        long deadline = System.nanoTime() + millis * 1_000_000L;
        List<Callable<Double>> work = new ArrayList<>();
        for (int i = 0; i < threads; i++) work.add(() -> bestRate(deadline));
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            double total = 0;
            for (Future<Double> f : pool.invokeAll(work)) total += f.get();
            return total;
        } catch (Exception e) {
            throw new IllegalStateException("fma peak measurement failed: " + e.getMessage(), e);
        }
    }

    /** GFLOP/s of the fastest loop one thread runs before {@code deadline}. */
    private static double bestRate(long deadline) {
        long best = Long.MAX_VALUE;
        float sink = 0;
        do {
            long t0 = System.nanoTime();
            sink += burn(ROUNDS);
            best = Math.min(best, Math.max(1, System.nanoTime() - t0));
        } while (System.nanoTime() < deadline);
        if (Float.isNaN(sink)) throw new IllegalStateException("fma loop produced NaN");
        return 2.0 * CHAINS * SPECIES.length() * ROUNDS / best;
    }

    /** {@code n} rounds of {@link #CHAINS} independent fmas; each chain converges, staying normal. */
    private static float burn(long n) {
        FloatVector a = FloatVector.broadcast(SPECIES, 0.999f);
        FloatVector b = FloatVector.broadcast(SPECIES, 1e-3f);
        FloatVector c0 = FloatVector.broadcast(SPECIES, 0.1f), c1 = c0.add(0.01f), c2 = c0.add(0.02f), c3 = c0.add(0.03f);
        FloatVector c4 = c0.add(0.04f), c5 = c0.add(0.05f), c6 = c0.add(0.06f), c7 = c0.add(0.07f);
        FloatVector c8 = c0.add(0.08f), c9 = c0.add(0.09f), c10 = c0.add(0.10f), c11 = c0.add(0.11f);
        for (long i = 0; i < n; i++) {
            c0 = c0.fma(a, b);
            c1 = c1.fma(a, b);
            c2 = c2.fma(a, b);
            c3 = c3.fma(a, b);
            c4 = c4.fma(a, b);
            c5 = c5.fma(a, b);
            c6 = c6.fma(a, b);
            c7 = c7.fma(a, b);
            c8 = c8.fma(a, b);
            c9 = c9.fma(a, b);
            c10 = c10.fma(a, b);
            c11 = c11.fma(a, b);
        }
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11)
                .reduceLanes(VectorOperators.ADD);
    }
}
