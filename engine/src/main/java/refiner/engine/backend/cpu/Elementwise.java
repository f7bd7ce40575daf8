package refiner.engine.backend.cpu;

import static refiner.engine.backend.cpu.VectorMath.S;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import refiner.engine.backend.Activation;

/** Vectorised pointwise kernels over float arrays, split across the worker pool. */
final class Elementwise {
    private static final int L = S.length();
    private static final int GRAIN = 1 << 14;

    private Elementwise() {
    }

    static void activation(WorkerPool pool, float[] x, float[] y, int n, Activation a) {
        pool.range(n, GRAIN, (from, to) -> {
            switch (a) {
                case GELU -> VectorMath.gelu(x, from, y, from, to - from);
                case QUICK_GELU -> VectorMath.sigmoidTimes(x, from, y, from, to - from, 1.702f);
                case SILU -> VectorMath.sigmoidTimes(x, from, y, from, to - from, 1f);
            }
        });
    }

    /** y[r, i] = x[r, i] * gelu(x[r, f + i]) for rows of 2f inputs. */
    static void geglu(WorkerPool pool, float[] x, float[] y, int rows, int f) {
        pool.range(rows, Math.max(1, GRAIN / f), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int xo = r * 2 * f, yo = r * f;
                VectorMath.gelu(x, xo + f, y, yo, f);
                VectorMath.multiply(x, xo, y, yo, f);
            }
        });
    }

    static void add(WorkerPool pool, float[] a, float[] b, float[] y, int n) {
        pool.range(n, GRAIN, (from, to) -> {
            for (int i = from; i < to; i += L) {
                VectorMask<Float> m = S.indexInRange(i, to);
                FloatVector.fromArray(S, a, i, m).add(FloatVector.fromArray(S, b, i, m)).intoArray(y, i, m);
            }
        });
    }

    /** y[at + i] += r[at + i] for i < n: the same bits as {@link #add} of r and y. */
    static void addInto(float[] y, float[] r, int at, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            FloatVector.fromArray(S, y, at + i).add(FloatVector.fromArray(S, r, at + i)).intoArray(y, at + i);
        }
        for (; i < n; i++) y[at + i] += r[at + i];
    }

    static void scale(WorkerPool pool, float[] x, float s, float[] y, int n) {
        pool.range(n, GRAIN, (from, to) -> {
            for (int i = from; i < to; i += L) {
                VectorMask<Float> m = S.indexInRange(i, to);
                FloatVector.fromArray(S, x, i, m).mul(s).intoArray(y, i, m);
            }
        });
    }

    /** y[p, i] = x[p, i] + b[p] over {@code planes} planes of {@code inner} values. */
    static void addPlanes(WorkerPool pool, float[] x, float[] b, float[] y, int planes, int inner) {
        pool.range(planes, Math.max(1, GRAIN / Math.max(1, inner)), (p0, p1) -> {
            for (int p = p0; p < p1; p++) {
                int o = p * inner;
                for (int i = 0; i < inner; i += L) {
                    VectorMask<Float> m = S.indexInRange(i, inner);
                    FloatVector.fromArray(S, x, o + i, m).add(b[p]).intoArray(y, o + i, m);
                }
            }
        });
    }
}
