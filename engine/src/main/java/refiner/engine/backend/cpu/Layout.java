package refiner.engine.backend.cpu;

import static refiner.engine.backend.cpu.VectorMath.S;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;

/** Copies that rearrange activations: concatenation, slicing, token/image transposes, upsampling, padding. */
final class Layout {
    private static final int TILE = 32;
    private static final int L = S.length();
    /** Lanes 0, 0, 1, 1, ... and L/2, L/2, L/2 + 1, ...: a vector's lower and upper halves, each lane twice. */
    static final VectorShuffle<Float> LOWER_TWICE = VectorShuffle.fromOp(S, l -> l / 2), UPPER_TWICE = VectorShuffle.fromOp(S, l -> (l + L) / 2);

    private Layout() {
    }

    /** Interleaves {@code outer} blocks of {@code ia} values of a and {@code ib} values of b. */
    static void concat(WorkerPool pool, float[] a, float[] b, float[] y, int outer, int ia, int ib) {
        pool.range(outer, Math.max(1, (1 << 14) / Math.max(1, ia + ib)), (o0, o1) -> {
            for (int o = o0; o < o1; o++) {
                System.arraycopy(a, o * ia, y, o * (ia + ib), ia);
                System.arraycopy(b, o * ib, y, o * (ia + ib) + ia, ib);
            }
        });
    }

    /** Copies {@code len} values at {@code start} out of each of {@code outer} blocks of {@code stride} values. */
    static void slice(WorkerPool pool, float[] x, float[] y, int outer, int stride, int start, int len) {
        pool.range(outer, Math.max(1, (1 << 14) / Math.max(1, len)), (o0, o1) -> {
            for (int o = o0; o < o1; o++) System.arraycopy(x, o * stride + start, y, o * len, len);
        });
    }

    /** y[b, c, r] = x[b, r, c] for {@code batch} matrices of {@code rows} x {@code cols}, in cache tiles. */
    static void transpose(WorkerPool pool, float[] x, float[] y, int batch, int rows, int cols) {
        int rowTiles = (rows + TILE - 1) / TILE;
        pool.range(batch * rowTiles, 1, (t0, t1) -> {
            for (int t = t0; t < t1; t++) {
                int b = t / rowTiles, r0 = t % rowTiles * TILE, r1 = Math.min(rows, r0 + TILE), base = b * rows * cols;
                for (int c0 = 0; c0 < cols; c0 += TILE) {
                    int c1 = Math.min(cols, c0 + TILE);
                    for (int r = r0; r < r1; r++) {
                        for (int c = c0; c < c1; c++) y[base + c * rows + r] = x[base + r * cols + c];
                    }
                }
            }
        });
    }

    /**
     * Nearest 2x upsampling of {@code planes} planes of h x w: each input row is doubled a vector
     * at a time (every lane twice, by two fixed permutations) and the doubled row copied below it.
     */
    static void upsample2x(WorkerPool pool, float[] x, float[] y, int planes, int h, int w) {
        pool.range(planes * h, Math.max(1, 4096 / Math.max(1, w)), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int src = r * w, dst = 2 * r * 2 * w, i = 0;
                for (int bound = S.loopBound(w); i < bound; i += L) {
                    FloatVector v = FloatVector.fromArray(S, x, src + i);
                    v.rearrange(LOWER_TWICE).intoArray(y, dst + 2 * i);
                    v.rearrange(UPPER_TWICE).intoArray(y, dst + 2 * i + L);
                }
                for (; i < w; i++) {
                    float v = x[src + i];
                    y[dst + 2 * i] = v;
                    y[dst + 2 * i + 1] = v;
                }
                System.arraycopy(y, dst, y, dst + 2 * w, 2 * w);
            }
        });
    }

    /** Zero padding of {@code planes} planes of h x w by the given rows and columns on each side, in one pass. */
    static void pad(WorkerPool pool, float[] x, float[] y, int planes, int h, int w, int top, int bottom, int left, int right) {
        int ow = left + w + right, oh = top + h + bottom;
        pool.range(planes * oh, Math.max(1, 4096 / ow), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int plane = r / oh, iy = r % oh - top, dst = r * ow;
                if (iy < 0 || iy >= h) {
                    Arrays.fill(y, dst, dst + ow, 0f);
                    continue;
                }
                Arrays.fill(y, dst, dst + left, 0f);
                System.arraycopy(x, (plane * h + iy) * w, y, dst + left, w);
                Arrays.fill(y, dst + left + w, dst + ow, 0f);
            }
        });
    }
}
