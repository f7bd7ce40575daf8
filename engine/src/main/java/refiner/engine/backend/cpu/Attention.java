package refiner.engine.backend.cpu;

import static refiner.engine.backend.cpu.VectorMath.S;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Tiled multi-head attention with an online softmax: for each tile of {@link #ROWS} queries the
 * keys are visited in chunks of {@link #KEYS}; scores, running max and running sum stay per tile,
 * so no Lq x Lk matrix exists. K and V are first repacked per head (K transposed, in key chunks;
 * V with rows padded to whole pairs of vectors) so that both are read with unit stride.
 *
 * <p>Both products run on a 12 x 32 register tile as in {@link Gemm}: the scores of 12 queries
 * against 32 keys, then 12 output rows times 32 of the head's columns against those keys. Each
 * row keeps its running sum as a vector of lane sums, rescaled with the output, so a key chunk
 * costs no horizontal sum; the lanes are added once, first to last, at the end of the row.
 */
final class Attention {
    private static final int L = S.length();
    static final int ROWS = 12;
    static final int KEYS = 2 * L;
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
            s = new Scratch(new float[ROWS * KEYS], new float[ROWS * width(d)], new float[ROWS * d], new float[ROWS * L], new float[ROWS], new float[(ROWS + L - 1) / L * L], new int[ROWS]);
            scratch.set(s);
        }
        return s;
    }

    /**
     * out[b, i, h*D + t] = softmax_j(q_i . k_j / sqrt D) v_j for q[B, Lq, E], k, v[B, Lk, E],
     * E = heads * D; with {@code causal}, query i sees keys j <= i only. {@code kt} receives K^T
     * per (b, h) and key chunk as [D, KEYS] blocks, and {@code vh} V per (b, h) as [Lk, width(D)];
     * each must hold {@link #scratchSize} floats.
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
            for (int j = 0; j < lk; j++) {
                System.arraycopy(v, (n * lk + j) * e + h * d, vh, vBase + j * dp, d);
                Arrays.fill(vh, vBase + j * dp + d, vBase + (j + 1) * dp, 0f);
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

    /** Row width of V and of the output accumulators: D rounded up to two vectors. */
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
        for (int r = 0; r < ROWS; r++) {
            for (int c = 0; c < d; c++) qs[r * d + c] = r < rows ? q[(n * lq + i0 + r) * e + h * d + c] * scale : 0f;
        }
        Arrays.fill(o, 0, ROWS * dp, 0f);
        Arrays.fill(sums, 0f);
        Arrays.fill(max, Float.NEGATIVE_INFINITY);
        int keys = causal ? Math.min(lk, i0 + rows) : lk;
        for (int j0 = 0; j0 < keys; j0 += KEYS) {
            scores(qs, kt, ktBase + j0 * d, d, p);
            softmaxStep(s, Math.min(KEYS, keys - j0), rows, causal ? i0 - j0 : Integer.MAX_VALUE / 2, dp);
            for (int c = 0; c < dp; c += 2 * L) accumulate(p, vh, vBase + j0 * dp + c, o, c, Math.min(KEYS, keys - j0), dp);
        }
        for (int r = 0; r < rows; r++) {
            float total = 0f;
            for (int l = 0; l < L; l++) total += sums[r * L + l];
            float inv = 1 / total;
            int oo = (n * lq + i0 + r) * e + h * d;
            for (int c = 0; c < d; c += L) {
                VectorMask<Float> m = S.indexInRange(c, d);
                FloatVector.fromArray(S, o, r * dp + c, m).mul(inv).intoArray(out, oo + c, m);
            }
        }
    }

    /**
     * One key chunk of the online softmax over the tile's scores p[ROWS, KEYS]: row r sees the
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
            if (limit == KEYS) {
                m = Math.max(m, FloatVector.fromArray(S, p, r * KEYS).max(FloatVector.fromArray(S, p, r * KEYS + L)).reduceLanes(VectorOperators.MAX));
                c = KEYS;
            }
            for (; c < limit; c++) m = Math.max(m, p[r * KEYS + c]);
            alpha[r] = limit == 0 ? 0f : max[r] - m;
            if (limit > 0) max[r] = m;
            for (c = 0; c < KEYS; c += L) FloatVector.fromArray(S, p, r * KEYS + c).sub(m).max(-80f).intoArray(p, r * KEYS + c);
        }
        VectorMath.exp(p, 0, ROWS * KEYS);
        VectorMath.exp(alpha, 0, alpha.length);
        for (int r = 0; r < ROWS; r++) {
            int limit = limits[r];
            if (limit < KEYS) Arrays.fill(p, r * KEYS + limit, (r + 1) * KEYS, 0f);
            if (limit == 0) continue;
            float a = alpha[r];
            FloatVector.fromArray(S, sums, r * L).mul(a).add(FloatVector.fromArray(S, p, r * KEYS)).add(FloatVector.fromArray(S, p, r * KEYS + L))
                    .intoArray(sums, r * L);
            if (a != 1f) {
                for (int c = 0; c < dp; c += L) FloatVector.fromArray(S, o, r * dp + c).mul(a).intoArray(o, r * dp + c);
            }
        }
    }

    /** p[r, j] = q_r . k_(j0 + j) for the 12 query rows and one chunk of 32 keys, K^T at kb. */
    private static void scores(float[] qs, float[] kt, int kb, int d, float[] p) {
        FloatVector s00 = FloatVector.zero(S), s01 = s00, s10 = s00, s11 = s00, s20 = s00, s21 = s00, s30 = s00, s31 = s00;
        FloatVector s40 = s00, s41 = s00, s50 = s00, s51 = s00, s60 = s00, s61 = s00, s70 = s00, s71 = s00;
        FloatVector s80 = s00, s81 = s00, s90 = s00, s91 = s00, s100 = s00, s101 = s00, s110 = s00, s111 = s00;
        for (int c = 0; c < d; c++) {
            FloatVector k0 = FloatVector.fromArray(S, kt, kb + c * KEYS), k1 = FloatVector.fromArray(S, kt, kb + c * KEYS + L);
            FloatVector a = FloatVector.broadcast(S, qs[c]);
            s00 = k0.fma(a, s00); s01 = k1.fma(a, s01);
            a = FloatVector.broadcast(S, qs[d + c]);
            s10 = k0.fma(a, s10); s11 = k1.fma(a, s11);
            a = FloatVector.broadcast(S, qs[2 * d + c]);
            s20 = k0.fma(a, s20); s21 = k1.fma(a, s21);
            a = FloatVector.broadcast(S, qs[3 * d + c]);
            s30 = k0.fma(a, s30); s31 = k1.fma(a, s31);
            a = FloatVector.broadcast(S, qs[4 * d + c]);
            s40 = k0.fma(a, s40); s41 = k1.fma(a, s41);
            a = FloatVector.broadcast(S, qs[5 * d + c]);
            s50 = k0.fma(a, s50); s51 = k1.fma(a, s51);
            a = FloatVector.broadcast(S, qs[6 * d + c]);
            s60 = k0.fma(a, s60); s61 = k1.fma(a, s61);
            a = FloatVector.broadcast(S, qs[7 * d + c]);
            s70 = k0.fma(a, s70); s71 = k1.fma(a, s71);
            a = FloatVector.broadcast(S, qs[8 * d + c]);
            s80 = k0.fma(a, s80); s81 = k1.fma(a, s81);
            a = FloatVector.broadcast(S, qs[9 * d + c]);
            s90 = k0.fma(a, s90); s91 = k1.fma(a, s91);
            a = FloatVector.broadcast(S, qs[10 * d + c]);
            s100 = k0.fma(a, s100); s101 = k1.fma(a, s101);
            a = FloatVector.broadcast(S, qs[11 * d + c]);
            s110 = k0.fma(a, s110); s111 = k1.fma(a, s111);
        }
        s00.intoArray(p, 0); s01.intoArray(p, L); s10.intoArray(p, KEYS); s11.intoArray(p, KEYS + L);
        s20.intoArray(p, 2 * KEYS); s21.intoArray(p, 2 * KEYS + L); s30.intoArray(p, 3 * KEYS); s31.intoArray(p, 3 * KEYS + L);
        s40.intoArray(p, 4 * KEYS); s41.intoArray(p, 4 * KEYS + L); s50.intoArray(p, 5 * KEYS); s51.intoArray(p, 5 * KEYS + L);
        s60.intoArray(p, 6 * KEYS); s61.intoArray(p, 6 * KEYS + L); s70.intoArray(p, 7 * KEYS); s71.intoArray(p, 7 * KEYS + L);
        s80.intoArray(p, 8 * KEYS); s81.intoArray(p, 8 * KEYS + L); s90.intoArray(p, 9 * KEYS); s91.intoArray(p, 9 * KEYS + L);
        s100.intoArray(p, 10 * KEYS); s101.intoArray(p, 10 * KEYS + L); s110.intoArray(p, 11 * KEYS); s111.intoArray(p, 11 * KEYS + L);
    }

    /**
     * o[r, c0 .. c0 + 2L) += sum_j p[r, j] v_j over the chunk's valid keys, V's rows {@code dp}
     * apart from {@code vb}: 24 accumulators, two loads and 12 broadcasts per key.
     */
    private static void accumulate(float[] p, float[] vh, int vb, float[] o, int c0, int valid, int dp) {
        FloatVector o00 = FloatVector.fromArray(S, o, c0), o01 = FloatVector.fromArray(S, o, c0 + L);
        FloatVector o10 = FloatVector.fromArray(S, o, dp + c0), o11 = FloatVector.fromArray(S, o, dp + c0 + L);
        FloatVector o20 = FloatVector.fromArray(S, o, 2 * dp + c0), o21 = FloatVector.fromArray(S, o, 2 * dp + c0 + L);
        FloatVector o30 = FloatVector.fromArray(S, o, 3 * dp + c0), o31 = FloatVector.fromArray(S, o, 3 * dp + c0 + L);
        FloatVector o40 = FloatVector.fromArray(S, o, 4 * dp + c0), o41 = FloatVector.fromArray(S, o, 4 * dp + c0 + L);
        FloatVector o50 = FloatVector.fromArray(S, o, 5 * dp + c0), o51 = FloatVector.fromArray(S, o, 5 * dp + c0 + L);
        FloatVector o60 = FloatVector.fromArray(S, o, 6 * dp + c0), o61 = FloatVector.fromArray(S, o, 6 * dp + c0 + L);
        FloatVector o70 = FloatVector.fromArray(S, o, 7 * dp + c0), o71 = FloatVector.fromArray(S, o, 7 * dp + c0 + L);
        FloatVector o80 = FloatVector.fromArray(S, o, 8 * dp + c0), o81 = FloatVector.fromArray(S, o, 8 * dp + c0 + L);
        FloatVector o90 = FloatVector.fromArray(S, o, 9 * dp + c0), o91 = FloatVector.fromArray(S, o, 9 * dp + c0 + L);
        FloatVector o100 = FloatVector.fromArray(S, o, 10 * dp + c0), o101 = FloatVector.fromArray(S, o, 10 * dp + c0 + L);
        FloatVector o110 = FloatVector.fromArray(S, o, 11 * dp + c0), o111 = FloatVector.fromArray(S, o, 11 * dp + c0 + L);
        for (int j = 0; j < valid; j++) {
            FloatVector v0 = FloatVector.fromArray(S, vh, vb + j * dp), v1 = FloatVector.fromArray(S, vh, vb + j * dp + L);
            FloatVector a = FloatVector.broadcast(S, p[j]);
            o00 = v0.fma(a, o00); o01 = v1.fma(a, o01);
            a = FloatVector.broadcast(S, p[KEYS + j]);
            o10 = v0.fma(a, o10); o11 = v1.fma(a, o11);
            a = FloatVector.broadcast(S, p[2 * KEYS + j]);
            o20 = v0.fma(a, o20); o21 = v1.fma(a, o21);
            a = FloatVector.broadcast(S, p[3 * KEYS + j]);
            o30 = v0.fma(a, o30); o31 = v1.fma(a, o31);
            a = FloatVector.broadcast(S, p[4 * KEYS + j]);
            o40 = v0.fma(a, o40); o41 = v1.fma(a, o41);
            a = FloatVector.broadcast(S, p[5 * KEYS + j]);
            o50 = v0.fma(a, o50); o51 = v1.fma(a, o51);
            a = FloatVector.broadcast(S, p[6 * KEYS + j]);
            o60 = v0.fma(a, o60); o61 = v1.fma(a, o61);
            a = FloatVector.broadcast(S, p[7 * KEYS + j]);
            o70 = v0.fma(a, o70); o71 = v1.fma(a, o71);
            a = FloatVector.broadcast(S, p[8 * KEYS + j]);
            o80 = v0.fma(a, o80); o81 = v1.fma(a, o81);
            a = FloatVector.broadcast(S, p[9 * KEYS + j]);
            o90 = v0.fma(a, o90); o91 = v1.fma(a, o91);
            a = FloatVector.broadcast(S, p[10 * KEYS + j]);
            o100 = v0.fma(a, o100); o101 = v1.fma(a, o101);
            a = FloatVector.broadcast(S, p[11 * KEYS + j]);
            o110 = v0.fma(a, o110); o111 = v1.fma(a, o111);
        }
        o00.intoArray(o, c0); o01.intoArray(o, c0 + L); o10.intoArray(o, dp + c0); o11.intoArray(o, dp + c0 + L);
        o20.intoArray(o, 2 * dp + c0); o21.intoArray(o, 2 * dp + c0 + L); o30.intoArray(o, 3 * dp + c0); o31.intoArray(o, 3 * dp + c0 + L);
        o40.intoArray(o, 4 * dp + c0); o41.intoArray(o, 4 * dp + c0 + L); o50.intoArray(o, 5 * dp + c0); o51.intoArray(o, 5 * dp + c0 + L);
        o60.intoArray(o, 6 * dp + c0); o61.intoArray(o, 6 * dp + c0 + L); o70.intoArray(o, 7 * dp + c0); o71.intoArray(o, 7 * dp + c0 + L);
        o80.intoArray(o, 8 * dp + c0); o81.intoArray(o, 8 * dp + c0 + L); o90.intoArray(o, 9 * dp + c0); o91.intoArray(o, 9 * dp + c0 + L);
        o100.intoArray(o, 10 * dp + c0); o101.intoArray(o, 10 * dp + c0 + L); o110.intoArray(o, 11 * dp + c0); o111.intoArray(o, 11 * dp + c0 + L);
    }
}
