package refiner.engine.backend.cpu;

import static refiner.engine.backend.cpu.VectorMath.S;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Tiled multi-head attention with an online softmax: for each tile of {@link #ROWS} queries the
 * keys are visited in chunks of {@link #CHUNK}; scores, running max and running sum stay per tile,
 * so no Lq x Lk matrix exists. K and V are first repacked per head into the strips the product's
 * kernel reads (K transposed, 32 keys wide; V in strips of 32 of the head's columns).
 *
 * <p>Both products run on {@link Gemm}'s 12 x 32 register tile: the scores of 12 queries against
 * 32 keys (twice per chunk), then 12 output rows times 32 of the head's columns against the
 * chunk's 64 keys. Each row keeps its running sum as a vector of lane sums, rescaled with the
 * output, so a key chunk costs no horizontal sum; the lanes are added once, first to last, at the
 * end of the row.
 */
final class Attention {
    private static final int L = S.length();
    static final int ROWS = Gemm.MR;
    static final int KEYS = Gemm.NR;
    /** Keys per softmax step: two of the product's tiles of scores. */
    private static final int CHUNK = 2 * KEYS;
    private static final int TILES_PER_TASK = 4;

    /**
     * Per-thread tile state: scores p, outputs o, scaled queries q, lane sums, row maxima, and a
     * chunk's rescale factors (whole vectors) and key counts.
     */
    private record Scratch(float[] p, float[] o, float[] q, float[] sums, float[] max, float[] alpha, int[] limits) {
    }

    private final ThreadLocal<Scratch> scratch = new ThreadLocal<>();

    private Scratch scratch(int d) {
        Scratch s = scratch.get();
        if (s == null || s.q.length < ROWS * d) {
            s = new Scratch(new float[ROWS * CHUNK], new float[ROWS * width(d)], new float[ROWS * d], new float[ROWS * L], new float[ROWS], new float[(ROWS + L - 1) / L * L], new int[ROWS]);
            scratch.set(s);
        }
        return s;
    }

    /**
     * out[b, i, h*D + t] = softmax_j(q_i . k_j / sqrt D) v_j for q[B, Lq, E], k, v[B, Lk, E],
     * E = heads * D; with {@code causal}, query i sees keys j <= i only. {@code kt} receives K^T
     * per (b, h) and key chunk as [D, KEYS] blocks, and {@code vh} V per (b, h) in strips of KEYS
     * columns, [width(D) / KEYS, Lk, KEYS] (zeros past D); each must hold {@link #scratchSize} floats.
     */
    void run(WorkerPool pool, float[] q, float[] k, float[] v, float[] out, float[] kt, float[] vh,
             int batch, int lq, int lk, int heads, int d, boolean causal) {
        int e = heads * d, lkp = padded(lk), dp = width(d);
        pool.run(batch * heads, t -> {
            int n = t / heads, h = t % heads, base = t * d * lkp, vBase = t * lk * dp;
            for (int j = 0; j < lkp; j++) {
                int at = base + j / KEYS * d * KEYS + j % KEYS;
                for (int c = 0; c < d; c++) kt[at + c * KEYS] = j < lk ? k[(n * lk + j) * e + h * d + c] : 0f;
            }
            for (int c0 = 0; c0 < dp; c0 += KEYS) {
                int cols = Math.clamp(d - c0, 0, KEYS), strip = vBase + c0 * lk;
                for (int j = 0; j < lk; j++) {
                    System.arraycopy(v, (n * lk + j) * e + h * d + c0, vh, strip + j * KEYS, cols);
                    Arrays.fill(vh, strip + j * KEYS + cols, strip + (j + 1) * KEYS, 0f);
                }
            }
        });
        int tiles = (lq + ROWS - 1) / ROWS, groups = (tiles + TILES_PER_TASK - 1) / TILES_PER_TASK;
        float scale = (float) (1 / Math.sqrt(d));
        pool.run(batch * heads * groups, t -> {
            int bh = t / groups, g = t % groups, n = bh / heads, h = bh % heads;
            Scratch s = scratch(d);
            for (int tile = g * TILES_PER_TASK; tile < Math.min(tiles, (g + 1) * TILES_PER_TASK); tile++) {
                tile(s, q, vh, bh * lk * dp, out, kt, bh * d * lkp, n, h, tile * ROWS, lq, lk, e, d, scale, causal);
            }
        });
    }

    /** Row width of the output accumulators (and V's strips together): D rounded up to KEYS. */
    private static int width(int d) {
        return (d + 2 * L - 1) / (2 * L) * 2 * L;
    }

    static int padded(int lk) {
        return (lk + KEYS - 1) / KEYS * KEYS;
    }

    /** Floats needed by each of the K^T and V scratch buffers. */
    static int scratchSize(int batch, int lk, int heads, int d) {
        return batch * heads * Math.max(d * padded(lk), lk * width(d));
    }

    private static void tile(Scratch s, float[] q, float[] vh, int vBase, float[] out, float[] kt, int ktBase, int n, int h,
                             int i0, int lq, int lk, int e, int d, float scale, boolean causal) {
        int rows = Math.min(ROWS, lq - i0), dp = width(d);
        float[] qs = s.q, p = s.p, o = s.o, sums = s.sums, max = s.max;
        for (int r = 0; r < rows; r++) {
            int qo = (n * lq + i0 + r) * e + h * d;
            for (int c = 0; c < d; c += L) {
                VectorMask<Float> m = S.indexInRange(c, d);
                FloatVector.fromArray(S, q, qo + c, m).mul(scale).intoArray(qs, r * d + c, m);
            }
        }
        Arrays.fill(qs, rows * d, ROWS * d, 0f);
        Arrays.fill(o, 0, ROWS * dp, 0f);
        Arrays.fill(sums, 0f);
        Arrays.fill(max, Float.NEGATIVE_INFINITY);
        int keys = causal ? Math.min(lk, i0 + rows) : lk;
        for (int j0 = 0; j0 < keys; j0 += CHUNK) {
            int valid = Math.min(CHUNK, keys - j0);
            for (int j = 0; j < valid; j += KEYS) {                                                   // p = q k^T   [12, 64]
                Gemm.tile(d, qs, 0, d, kt, ktBase + (j0 + j) * d, p, j, CHUNK, true, null, 0, null, 0);
            }
            softmaxStep(s, valid, rows, causal ? i0 - j0 : Integer.MAX_VALUE / 2, dp);
            for (int c = 0; c < dp; c += KEYS) {                                                      // o += p v    [12, dp]
                Gemm.tile(valid, p, 0, CHUNK, vh, vBase + c * lk + j0 * KEYS, o, c, dp, false, null, 0, null, 0);
            }
        }
        for (int r = 0; r < rows; r++) {
            float inv = 1 / VectorMath.sum(FloatVector.fromArray(S, sums, r * L));
            int oo = (n * lq + i0 + r) * e + h * d;
            for (int c = 0; c < d; c += L) {
                VectorMask<Float> m = S.indexInRange(c, d);
                FloatVector.fromArray(S, o, r * dp + c, m).mul(inv).intoArray(out, oo + c, m);
            }
        }
    }

    /**
     * One key chunk of the online softmax over the tile's scores p[ROWS, CHUNK]: row r sees the
     * chunk's first {@code min(valid, diagonal + r + 1)} keys (none for r >= rows). The row's new
     * maximum m replaces the old one, p becomes exp(p - m) (0 for keys the row does not see, and
     * e^-80 at least, at most 1.8e-35 beside the maximum's 1, so no denormal appears), and the
     * lane sums and the outputs are rescaled by exp(old - m). All exponentials of the chunk are
     * taken in one bulk call.
     */
    private static void softmaxStep(Scratch s, int valid, int rows, int diagonal, int dp) {
        float[] p = s.p, o = s.o, sums = s.sums, max = s.max, alpha = s.alpha;
        int[] limits = s.limits;
        for (int r = 0; r < ROWS; r++) {
            int limit = r >= rows ? 0 : Math.clamp(diagonal + r + 1, 0, valid);
            limits[r] = limit;
            float m = max[r];
            int c = 0;
            if (limit == CHUNK) {
                FloatVector v = FloatVector.fromArray(S, p, r * CHUNK);
                for (c = L; c < CHUNK; c += L) v = v.max(FloatVector.fromArray(S, p, r * CHUNK + c));
                m = Math.max(m, v.reduceLanes(VectorOperators.MAX));
            }
            for (; c < limit; c++) m = Math.max(m, p[r * CHUNK + c]);
            alpha[r] = limit == 0 ? 0f : max[r] - m;
            if (limit > 0) max[r] = m;
            for (c = 0; c < CHUNK; c += L) FloatVector.fromArray(S, p, r * CHUNK + c).sub(m).max(-80f).intoArray(p, r * CHUNK + c);
        }
        VectorMath.exp(p, 0, ROWS * CHUNK);
        VectorMath.exp(alpha, 0, alpha.length);
        for (int r = 0; r < ROWS; r++) {
            int limit = limits[r];
            if (limit < CHUNK) Arrays.fill(p, r * CHUNK + limit, (r + 1) * CHUNK, 0f);
            if (limit == 0) continue;
            float a = alpha[r];
            FloatVector sum = FloatVector.fromArray(S, sums, r * L).mul(a);
            for (int c = 0; c < CHUNK; c += L) sum = sum.add(FloatVector.fromArray(S, p, r * CHUNK + c));
            sum.intoArray(sums, r * L);
            if (a != 1f) {
                for (int c = 0; c < dp; c += L) FloatVector.fromArray(S, o, r * dp + c).mul(a).intoArray(o, r * dp + c);
            }
        }
    }
}
