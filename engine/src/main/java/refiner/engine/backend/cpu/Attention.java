package refiner.engine.backend.cpu;

import static refiner.engine.backend.cpu.Gemm.FLOAT;
import static refiner.engine.backend.cpu.Gemm.KC;
import static refiner.engine.backend.cpu.VectorMath.S;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Tiled multi-head attention with an online softmax: for each tile of {@link #ROWS} queries the
 * keys are visited in chunks of {@link #CHUNK}; scores, running max and running sum stay per tile,
 * so no Lq x Lk matrix exists. K and V are first repacked per head into the strips the product's
 * kernel reads (K transposed, 32 keys wide; V in strips of 32 of the head's columns), off the heap
 * like the product's other packed operands; the queries and scores, the kernel's A side, are
 * kept {@link Gemm#KC} floats a row.
 *
 * <p>Both products run on {@link Gemm}'s 12 x 32 register tile: the scores of 12 queries against
 * 32 keys (eight times per chunk), then 12 output rows times 32 of the head's columns against
 * the chunk's 256 keys. Each row keeps its running sum as a vector of lane sums, rescaled with the
 * output, so a key chunk costs no horizontal sum; the lanes are added once, first to last, at the
 * end, for a vector of rows at a time (lane l of each row gathered into one vector).
 */
final class Attention {
    private static final int L = S.length();
    static final int ROWS = Gemm.MR;
    static final int KEYS = Gemm.NR;
    /**
     * Keys per softmax step, eight of the product's tiles of scores: a whole K slice of the
     * output's product (self-attention over 1024 and 4096 tokens 1.17 and 1.15 times as fast as
     * with 64 keys, together with the one pass of exponentials; 77 keys unchanged).
     */
    private static final int CHUNK = KC;
    /**
     * Query tiles per task; each key chunk serves all of them while it is in L2. A chunk of K and
     * V takes 2 KB per channel of the head, 1 MB for the VAE's head of 512. Where a head's K and V
     * are larger than L2 ({@link #LARGE_HEAD} floats or more), so that chunks stream from L3 or
     * memory, a task takes {@link #MORE_TILES} tiles and reads each chunk a third as often (the
     * VAE's attention over 16384 pixels 1.28 to 1.45 times as fast, over 4096 1.13 to 1.17);
     * smaller heads keep the smaller working set (twelve tiles were 5 % slower over 256 tokens).
     */
    private static final int TILES_PER_TASK = 4, MORE_TILES = 12;
    private static final long LARGE_HEAD = 1 << 18;
    /**
     * Bytes of repacked K and V (together) of all of an image's heads up to which a task takes
     * each of its query tiles through every head in turn, not a head through its tiles: against
     * the text's 77 tokens all heads fit in L2 (0.6 and 1.2 MB), and a tile's rows of queries and
     * outputs, whose heads lie side by side, are then read and written from first to last
     * instead of a head's 256 bytes at a time, 3 or 6 KB apart.
     */
    private static final long HEADS_TOGETHER = 3 << 19;

    /**
     * Per-thread state: the scores p of a tile, the outputs o, scaled queries q, lane sums and row
     * maxima of every tile of a task ([MORE_TILES, ...] each), and a chunk's rescale factors
     * (whole vectors) and key counts, and a tile's inverse row sums.
     */
    private record Scratch(float[] p, float[] o, float[] q, float[] sums, float[] max, float[] alpha, int[] limits, float[] inverse) {
    }

    /** Gathers lane l of L rows' lane sums into lanes 0 to L - 1. */
    private static final int[] LANE_ROWS = new int[L];

    static {
        for (int r = 0; r < L; r++) LANE_ROWS[r] = r * L;
    }

    private final ThreadLocal<Scratch> scratch = new ThreadLocal<>();
    /** K^T and V of every (batch, head), repacked; see {@link #run}. */
    private MemorySegment kt = Gemm.floats(0), vh = Gemm.floats(0);

    private Scratch scratch(int d) {
        Scratch s = scratch.get();
        int t = MORE_TILES;
        if (s == null || s.q.length < t * ROWS * pieces(d) * KC || s.o.length < t * ROWS * width(d)) {
            s = new Scratch(new float[ROWS * KC], new float[t * ROWS * width(d)], new float[t * ROWS * pieces(d) * KC], new float[(t * ROWS + L) * L],
                    new float[t * ROWS], new float[(ROWS + L - 1) / L * L], new int[ROWS], new float[(ROWS + L - 1) / L * L]);
            scratch.set(s);
        }
        return s;
    }

    /** Drops the repacked K and V buffers. */
    synchronized void trim() {
        kt = Gemm.floats(0);
        vh = Gemm.floats(0);
    }

    /**
     * out[b, i, h*D + t] = softmax_j(q_i . k_j / sqrt D) v_j for q[B, Lq, E], k, v[B, Lk, E],
     * E = heads * D; with {@code causal}, query i sees keys j <= i only. First K^T is packed per
     * (b, h) and key chunk as [D, KEYS] blocks (a whole block's columns gathered a vector of keys
     * at a time, the last partial block's value by value), and V per (b, h) in strips of KEYS
     * columns, [width(D) / KEYS, Lk, KEYS] (zeros past D).
     */
    synchronized void run(WorkerPool pool, float[] q, float[] k, float[] v, float[] out,
                          int batch, int lq, int lk, int heads, int d, boolean causal) {
        int e = heads * d, lkp = padded(lk), dp = width(d);
        long size = (long) batch * heads * Math.max((long) d * lkp, (long) lk * dp);
        if (kt.byteSize() < 4 * size) {
            kt = Gemm.floats(size);
            vh = Gemm.floats(size);
        }
        MemorySegment kt = this.kt, vh = this.vh;
        int[] keyRows = new int[L];
        for (int l = 0; l < L; l++) keyRows[l] = l * e;
        int whole = lk / KEYS * KEYS;
        pool.run(batch * heads, t -> {
            int n = t / heads, h = t % heads;
            long base = (long) t * d * lkp, vBase = (long) t * lk * dp;
            for (int j = 0; j < whole; j += L) {
                long at = base + j / KEYS * d * KEYS + j % KEYS;
                int from = (n * lk + j) * e + h * d;
                for (int c = 0; c < d; c++) FloatVector.fromArray(S, k, from + c, keyRows, 0).intoMemorySegment(kt, 4 * (at + c * KEYS), Gemm.ORDER);
            }
            for (int j = whole; j < lkp; j++) {
                long at = base + j / KEYS * d * KEYS + j % KEYS;
                for (int c = 0; c < d; c++) kt.setAtIndex(FLOAT, at + c * KEYS, j < lk ? k[(n * lk + j) * e + h * d + c] : 0f);
            }
            for (int c0 = 0; c0 < dp; c0 += KEYS) {
                int cols = Math.clamp(d - c0, 0, KEYS);
                long strip = vBase + (long) c0 * lk;
                for (int j = 0; j < lk; j++) {
                    MemorySegment.copy(v, (n * lk + j) * e + h * d + c0, vh, FLOAT, 4 * (strip + j * KEYS), cols);
                    for (int c = cols; c < KEYS; c++) vh.setAtIndex(FLOAT, strip + j * KEYS + c, 0f);
                }
            }
        });
        int perTask = (long) lk * d >= LARGE_HEAD ? MORE_TILES : TILES_PER_TASK;
        int tiles = (lq + ROWS - 1) / ROWS, groups = (tiles + perTask - 1) / perTask;
        float scale = (float) (1 / Math.sqrt(d));
        if (8 * size / batch <= HEADS_TOGETHER) {
            pool.run(batch * groups, t -> {
                int n = t / groups, g = t % groups, count = Math.min(perTask, tiles - g * perTask);
                Scratch s = scratch(d);
                for (int i = 0; i < count; i++) {
                    for (int h = 0; h < heads; h++) {
                        long bh = (long) n * heads + h;
                        tiles(s, q, vh, bh * lk * dp, out, kt, bh * d * lkp, n, h, (g * perTask + i) * ROWS, 1, lq, lk, e, d, scale, causal);
                    }
                }
            });
            return;
        }
        pool.run(batch * heads * groups, t -> {
            int bh = t / groups, g = t % groups, n = bh / heads, h = bh % heads;
            int count = Math.min(perTask, tiles - g * perTask);
            tiles(scratch(d), q, vh, (long) bh * lk * dp, out, kt, (long) bh * d * lkp, n, h, g * perTask * ROWS, count, lq, lk, e, d, scale, causal);
        });
    }

    /** Row width of the output accumulators (and V's strips together): D rounded up to KEYS. */
    private static int width(int d) {
        return (d + 2 * L - 1) / (2 * L) * 2 * L;
    }

    static int padded(int lk) {
        return (lk + KEYS - 1) / KEYS * KEYS;
    }

    /** Pieces of at most KC of the head's columns, the kernel's longest K. */
    private static int pieces(int d) {
        return (d + KC - 1) / KC;
    }

    /**
     * {@code count} tiles of queries from query {@code i0}, the key chunks in the outer loop. Tile
     * t keeps its scaled queries as [pieces(D), ROWS, KC] at {@code q[t * pieces(D) * ROWS * KC]},
     * rows of the kernel's A side, and its outputs as [ROWS, dp] at {@code o[t * ROWS * dp]}; the
     * scores of the tile at hand are [ROWS, KC] in {@code p}. Each tile sees the same sequence of
     * chunks as it would alone.
     */
    private static void tiles(Scratch s, float[] q, MemorySegment vh, long vBase, float[] out, MemorySegment kt, long ktBase, int n, int h,
                              int i0, int count, int lq, int lk, int e, int d, float scale, boolean causal) {
        int dp = width(d), qt = pieces(d) * ROWS * KC, whole = d / L * L;
        float[] qs = s.q, p = s.p, o = s.o;
        for (int t = 0; t < count; t++) {
            int rows = Math.min(ROWS, lq - i0 - t * ROWS);
            if (rows < ROWS) Arrays.fill(qs, t * qt, (t + 1) * qt, 0f);
            for (int r = 0; r < rows; r++) {
                int qo = (n * lq + i0 + t * ROWS + r) * e + h * d, c = 0;
                for (; c < whole; c += L) FloatVector.fromArray(S, q, qo + c).mul(scale).intoArray(qs, t * qt + (c / KC * ROWS + r) * KC + c % KC);
                if (c < d) {
                    VectorMask<Float> m = S.indexInRange(c, d);
                    FloatVector.fromArray(S, q, qo + c, m).mul(scale).intoArray(qs, t * qt + (c / KC * ROWS + r) * KC + c % KC, m);
                }
            }
        }
        Arrays.fill(o, 0, count * ROWS * dp, 0f);
        Arrays.fill(s.sums, 0, count * ROWS * L, 0f);
        Arrays.fill(s.max, 0, count * ROWS, Float.NEGATIVE_INFINITY);
        for (int j0 = 0; j0 < lk; j0 += CHUNK) {
            for (int t = 0; t < count; t++) {
                int ti = i0 + t * ROWS, rows = Math.min(ROWS, lq - ti), keys = causal ? Math.min(lk, ti + rows) : lk;
                if (j0 >= keys) continue;
                int valid = Math.min(CHUNK, keys - j0);
                for (int j = 0; j < valid; j += KEYS) {                                               // p = q k^T   [12, 64]
                    for (int c0 = 0; c0 < d; c0 += KC) {
                        Gemm.tile(Math.min(KC, d - c0), qs, t * qt + c0 * ROWS, kt, ktBase + (long) (j0 + j) * d + c0 * KEYS, p, j, KC, c0 == 0,
                                Gemm.NO_BIAS, 0, Gemm.NO_BIAS, 0);
                    }
                }
                softmaxStep(s, t, valid, rows, causal ? ti - j0 : Integer.MAX_VALUE / 2, dp);
                for (int c = 0; c < dp; c += KEYS) {                                                  // o += p v    [12, dp]
                    Gemm.tile(valid, p, 0, vh, vBase + (long) c * lk + j0 * KEYS, o, t * ROWS * dp + c, dp, false, Gemm.NO_BIAS, 0, Gemm.NO_BIAS, 0);
                }
            }
        }
        for (int t = 0; t < count; t++) {
            int rows = Math.min(ROWS, lq - i0 - t * ROWS);
            for (int r0 = 0; r0 < rows; r0 += L) {
                FloatVector total = FloatVector.zero(S);                                               // lane r: row r0 + r's sum
                for (int l = 0; l < L; l++) total = total.add(FloatVector.fromArray(S, s.sums, (t * ROWS + r0) * L + l, LANE_ROWS, 0));
                FloatVector.broadcast(S, 1f).div(total).intoArray(s.inverse, r0);
            }
            for (int r = 0; r < rows; r++) {
                float inv = s.inverse[r];
                int oo = (n * lq + i0 + t * ROWS + r) * e + h * d, ob = (t * ROWS + r) * dp, c = 0;
                for (; c < whole; c += L) FloatVector.fromArray(S, o, ob + c).mul(inv).intoArray(out, oo + c);
                if (c < d) {
                    VectorMask<Float> m = S.indexInRange(c, d);
                    FloatVector.fromArray(S, o, ob + c, m).mul(inv).intoArray(out, oo + c, m);
                }
            }
        }
    }

    /**
     * One key chunk of the online softmax of tile t over its scores p[ROWS, CHUNK] (rows KC apart): row r sees the
     * chunk's first {@code min(valid, diagonal + r + 1)} keys (none for r >= rows). The row's new
     * maximum m replaces the old one, p becomes exp(p - m) (0 for keys the row does not see, and
     * e^-80 at least, at most 1.8e-35 beside the maximum's 1, so no denormal appears), and the
     * lane sums and the outputs are rescaled by exp(old - m). The exponentials of the whole tile
     * are one pass (each row less its maximum on the way in), over the chunk's keys rounded up to
     * a vector: a last, partial chunk (13 of 77 text tokens) takes fewer.
     */
    private static void softmaxStep(Scratch s, int t, int valid, int rows, int diagonal, int dp) {
        float[] p = s.p, o = s.o, sums = s.sums, max = s.max, alpha = s.alpha;
        int[] limits = s.limits;
        int mb = t * ROWS, sb = t * ROWS * L, ob = t * ROWS * dp, span = (valid + L - 1) / L * L;
        for (int r = 0; r < ROWS; r++) {
            int limit = r >= rows ? 0 : Math.clamp(diagonal + r + 1, 0, valid);
            limits[r] = limit;
            float m = max[mb + r];
            if (limit > 0) {
                FloatVector v = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
                int c = 0;
                for (; c + L <= limit; c += L) v = v.max(FloatVector.fromArray(S, p, r * KC + c));
                if (c < limit) v = v.max(FloatVector.fromArray(S, p, r * KC + c).blend(Float.NEGATIVE_INFINITY, S.indexInRange(c, limit).not()));
                m = Math.max(m, v.reduceLanes(VectorOperators.MAX));
            }
            alpha[r] = limit == 0 ? 0f : max[mb + r] - m;
            if (limit > 0) max[mb + r] = m;
        }
        VectorMath.expRows(p, 0, KC, ROWS, span, max, mb, -80f, true);
        VectorMath.exp(alpha, 0, alpha.length);
        for (int r = 0; r < ROWS; r++) {
            int limit = limits[r];
            if (limit < span) Arrays.fill(p, r * KC + limit, r * KC + span, 0f);
            if (limit == 0) continue;
            float a = alpha[r];
            FloatVector sum = FloatVector.fromArray(S, sums, sb + r * L).mul(a);
            for (int c = 0; c < span; c += L) sum = sum.add(FloatVector.fromArray(S, p, r * KC + c));
            sum.intoArray(sums, sb + r * L);
            if (a != 1f) {
                for (int c = 0; c < dp; c += L) FloatVector.fromArray(S, o, ob + r * dp + c).mul(a).intoArray(o, ob + r * dp + c);
            }
        }
    }
}
