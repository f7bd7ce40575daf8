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

    /** Each activation has its own loop: a vector passed through a shared call site would be boxed. */
    static void activation(WorkerPool pool, float[] x, float[] y, int n, Activation a) {
        switch (a) {
            case GELU -> pool.range(n, GRAIN, (from, to) -> {
                int i = from;
                for (int bound = from + S.loopBound(to - from); i < bound; i += L) VectorMath.gelu(FloatVector.fromArray(S, x, i)).intoArray(y, i);
                if (i < to) {
                    VectorMask<Float> m = S.indexInRange(i, to);
                    VectorMath.gelu(FloatVector.fromArray(S, x, i, m)).intoArray(y, i, m);
                }
            });
            case QUICK_GELU -> pool.range(n, GRAIN, (from, to) -> {
                int i = from;
                for (int bound = from + S.loopBound(to - from); i < bound; i += L) quickGelu(FloatVector.fromArray(S, x, i)).intoArray(y, i);
                if (i < to) {
                    VectorMask<Float> m = S.indexInRange(i, to);
                    quickGelu(FloatVector.fromArray(S, x, i, m)).intoArray(y, i, m);
                }
            });
            case SILU -> pool.range(n, GRAIN, (from, to) -> {
                int i = from;
                for (int bound = from + S.loopBound(to - from); i < bound; i += L) silu(FloatVector.fromArray(S, x, i)).intoArray(y, i);
                if (i < to) {
                    VectorMask<Float> m = S.indexInRange(i, to);
                    silu(FloatVector.fromArray(S, x, i, m)).intoArray(y, i, m);
                }
            });
        }
    }

    private static FloatVector quickGelu(FloatVector v) {
        return v.mul(VectorMath.sigmoid(v.mul(1.702f)));
    }

    private static FloatVector silu(FloatVector v) {
        return v.mul(VectorMath.sigmoid(v));
    }

    /** y[r, i] = x[r, i] * gelu(x[r, f + i]) for rows of 2f inputs. */
    static void geglu(WorkerPool pool, float[] x, float[] y, int rows, int f) {
        pool.range(rows, Math.max(1, GRAIN / f), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int xo = r * 2 * f, yo = r * f, i = 0;
                for (int bound = S.loopBound(f); i < bound; i += L) {
                    FloatVector h = FloatVector.fromArray(S, x, xo + i), g = FloatVector.fromArray(S, x, xo + f + i);
                    h.mul(VectorMath.gelu(g)).intoArray(y, yo + i);
                }
                if (i < f) {
                    VectorMask<Float> m = S.indexInRange(i, f);
                    FloatVector h = FloatVector.fromArray(S, x, xo + i, m), g = FloatVector.fromArray(S, x, xo + f + i, m);
                    h.mul(VectorMath.gelu(g)).intoArray(y, yo + i, m);
                }
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
