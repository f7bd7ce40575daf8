package refiner.engine.backend.cpu;

import static refiner.engine.backend.cpu.VectorMath.S;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

/**
 * GroupNorm (optionally fused with SiLU) and LayerNorm: two-pass mean and biased variance, summed
 * in float lanes over short blocks and in double across blocks, then one affine pass.
 */
final class Norms {
    private static final int L = S.length();
    private static final int BLOCK = 1024;

    private Norms() {
    }

    /** Sum of x[o, o + n). */
    private static double sum(float[] x, int o, int n) {
        double total = 0;
        for (int b = 0; b < n; b += BLOCK) total += VectorMath.sum(x, o + b, Math.min(BLOCK, n - b));
        return total;
    }

    /** Sum of (x - mean)^2 over x[o, o + n). */
    private static double squares(float[] x, int o, int n, float mean) {
        double total = 0;
        for (int b = 0; b < n; b += BLOCK) {
            int end = Math.min(n, b + BLOCK);
            FloatVector acc = FloatVector.zero(S);
            int i = b;
            for (int bound = b + S.loopBound(end - b); i < bound; i += L) {
                FloatVector d = FloatVector.fromArray(S, x, o + i).sub(mean);
                acc = d.fma(d, acc);
            }
            if (i < end) {
                VectorMask<Float> m = S.indexInRange(i, end);
                FloatVector d = FloatVector.fromArray(S, x, o + i, m).sub(mean).blend(0f, m.not());
                acc = d.fma(d, acc);
            }
            total += VectorMath.sum(acc);
        }
        return total;
    }

    /** y = x * a + s (then SiLU) over x[o, o + n). */
    private static void affine(float[] x, float[] y, int o, int n, float a, float s, boolean silu) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) FloatVector.fromArray(S, x, o + i).fma(a, s).intoArray(y, o + i);
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector.fromArray(S, x, o + i, m).fma(a, s).intoArray(y, o + i, m);
        }
        if (silu) VectorMath.sigmoidTimes(y, o, y, o, n, 1f);
    }

    static void groupNorm(WorkerPool pool, float[] x, float[] y, int batch, int channels, int spatial, int groups,
                          float[] gamma, float[] beta, float eps, boolean silu) {
        int cg = channels / groups;
        pool.run(batch * groups, t -> {
            int base = t * cg * spatial, count = cg * spatial;
            float mean = (float) (sum(x, base, count) / count);
            double var = squares(x, base, count, mean) / count;
            float inv = (float) (1 / Math.sqrt(var + eps));
            int c0 = t % groups * cg;
            for (int c = 0; c < cg; c++) {
                float a = inv * gamma[c0 + c];
                affine(x, y, base + c * spatial, spatial, a, beta[c0 + c] - mean * a, silu);
            }
        });
    }

    static void layerNorm(WorkerPool pool, float[] x, float[] y, int rows, int d, float[] gamma, float[] beta, float eps) {
        pool.range(rows, Math.max(1, 8192 / d), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int o = r * d;
                float mean = (float) (sum(x, o, d) / d);
                float inv = (float) (1 / Math.sqrt(squares(x, o, d, mean) / d + eps));
                int i = 0;
                for (int bound = S.loopBound(d); i < bound; i += L) {
                    FloatVector v = FloatVector.fromArray(S, x, o + i).sub(mean).mul(inv);
                    v.fma(FloatVector.fromArray(S, gamma, i), FloatVector.fromArray(S, beta, i)).intoArray(y, o + i);
                }
                if (i < d) {
                    VectorMask<Float> m = S.indexInRange(i, d);
                    FloatVector v = FloatVector.fromArray(S, x, o + i, m).sub(mean).mul(inv);
                    v.fma(FloatVector.fromArray(S, gamma, i, m), FloatVector.fromArray(S, beta, i, m)).intoArray(y, o + i, m);
                }
            }
        });
    }
}
