package refiner.engine.backend.cpu;

import static refiner.engine.backend.cpu.VectorMath.S;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Tiled multi-head attention with an online softmax: for each tile of {@link #ROWS} queries the
 * keys are visited in chunks of {@link #KEYS}; scores, running max and running sum stay per tile,
 * so no Lq x Lk matrix exists. K and V are first repacked per head (K transposed, in key chunks)
 * so that both are read with unit stride.
 */
final class Attention {
    private static final int L = S.length();
    static final int ROWS = 4;
    static final int KEYS = 4 * L;
    private static final int TILES_PER_TASK = 8;

    private record Scratch(float[] p, float[] o, float[] q) {
    }

    private final ThreadLocal<Scratch> scratch = new ThreadLocal<>();

    private Scratch scratch(int d) {
        Scratch s = scratch.get();
        if (s == null || s.q.length < ROWS * d) {
            int dp = width(d);
            s = new Scratch(new float[ROWS * KEYS], new float[ROWS * dp], new float[ROWS * d]);
            scratch.set(s);
        }
        return s;
    }

    /**
     * out[b, i, h*D + t] = softmax_j(q_i . k_j / sqrt D) v_j for q[B, Lq, E], k, v[B, Lk, E],
     * E = heads * D. {@code kt} receives K^T per (b, h) and key chunk as [D, KEYS] blocks, and
     * {@code vh} V per (b, h) as [Lk, D], so the kernels read both with unit stride; each must
     * hold {@link #scratchSize} floats.
     */
    void run(WorkerPool pool, float[] q, float[] k, float[] v, float[] out, float[] kt, float[] vh,
             int batch, int lq, int lk, int heads, int d, boolean causal) {
        int e = heads * d, lkp = padded(lk);
        pool.run(batch * heads, t -> {
            int n = t / heads, h = t % heads, base = t * d * lkp;
            for (int j = 0; j < lkp; j++) {
                int at = base + j / KEYS * d * KEYS + j % KEYS;
                for (int c = 0; c < d; c++) kt[at + c * KEYS] = j < lk ? k[(n * lk + j) * e + h * d + c] : 0f;
            }
            for (int j = 0; j < lk; j++) System.arraycopy(v, (n * lk + j) * e + h * d, vh, t * lk * d + j * d, d);
        });
        int tiles = (lq + ROWS - 1) / ROWS, groups = (tiles + TILES_PER_TASK - 1) / TILES_PER_TASK;
        float scale = (float) (1 / Math.sqrt(d));
        pool.run(batch * heads * groups, t -> {
            int bh = t / groups, g = t % groups, n = bh / heads, h = bh % heads;
            Scratch s = scratch(d);
            for (int tile = g * TILES_PER_TASK; tile < Math.min(tiles, (g + 1) * TILES_PER_TASK); tile++) {
                tile(s, q, vh, bh * lk * d, out, kt, bh * d * lkp, n, h, tile * ROWS, lq, lk, e, d, scale, causal);
            }
        });
    }

    /** Row width of the output accumulators: D rounded up to two vectors. */
    private static int width(int d) {
        return (d + 2 * L - 1) / (2 * L) * 2 * L;
    }

    static int padded(int lk) {
        return (lk + KEYS - 1) / KEYS * KEYS;
    }

    /** Floats needed by each of the K^T and V scratch buffers. */
    static int scratchSize(int batch, int lk, int e) {
        return batch * e * padded(lk);
    }

    private static void tile(Scratch s, float[] q, float[] vh, int vBase, float[] out, float[] kt, int ktBase, int n, int h,
                             int i0, int lq, int lk, int e, int d, float scale, boolean causal) {
        int rows = Math.min(ROWS, lq - i0), dp = width(d);
        float[] qs = s.q, p = s.p, o = s.o;
        for (int r = 0; r < ROWS; r++) {
            for (int c = 0; c < d; c++) qs[r * d + c] = r < rows ? q[(n * lq + i0 + r) * e + h * d + c] * scale : 0f;
        }
        Arrays.fill(o, 0, ROWS * dp, 0f);
        float[] max = new float[ROWS], sum = new float[ROWS];
        Arrays.fill(max, Float.NEGATIVE_INFINITY);
        int keys = causal ? Math.min(lk, i0 + rows) : lk;
        for (int j0 = 0; j0 < keys; j0 += KEYS) {
            scores(qs, kt, ktBase + j0 * d, d, p);
            int valid = Math.min(KEYS, keys - j0);
            for (int r = 0; r < ROWS; r++) {
                int limit = causal ? Math.min(valid, i0 + r + 1 - j0) : valid;
                if (limit <= 0) {
                    Arrays.fill(p, r * KEYS, (r + 1) * KEYS, 0f);
                    continue;
                }
                float m = Math.max(max[r], rowMax(p, r * KEYS, limit));
                float alpha = VectorMath.exp(max[r] - m);
                max[r] = m;
                float rowSum = exponentiate(p, r * KEYS, limit, m);
                sum[r] = sum[r] * alpha + rowSum;
                if (alpha != 1f) {
                    for (int c = 0; c < dp; c += L) FloatVector.fromArray(S, o, r * dp + c).mul(alpha).intoArray(o, r * dp + c);
                }
            }
            accumulate(p, vh, vBase + j0 * d, o, valid, d, dp);
        }
        for (int r = 0; r < rows; r++) {
            float inv = 1 / sum[r];
            int oo = (n * lq + i0 + r) * e + h * d;
            for (int c = 0; c < d; c += L) {
                VectorMask<Float> m = S.indexInRange(c, d);
                FloatVector.fromArray(S, o, r * dp + c, m).mul(inv).intoArray(out, oo + c, m);
            }
        }
    }

    /** Largest of p[o, o + limit). */
    private static float rowMax(float[] p, int o, int limit) {
        FloatVector mx = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int c = 0;
        for (int bound = S.loopBound(limit); c < bound; c += L) mx = mx.max(FloatVector.fromArray(S, p, o + c));
        float m = mx.reduceLanes(VectorOperators.MAX);
        for (; c < limit; c++) m = Math.max(m, p[o + c]);
        return m;
    }

    /**
     * p[o + j] = exp(p[o + j] - m) for j < limit and 0 up to KEYS; returns their sum, in a fixed
     * order. Arguments below -80 give e^-80 (at most 1.8e-35 each beside the row's maximum, 1), so
     * no denormal is produced.
     */
    private static float exponentiate(float[] p, int o, int limit, float m) {
        int c = 0;
        for (int bound = S.loopBound(limit); c < bound; c += L) FloatVector.fromArray(S, p, o + c).sub(m).max(-80f).intoArray(p, o + c);
        for (; c < limit; c++) p[o + c] = Math.max(p[o + c] - m, -80f);
        VectorMath.exp(p, o, limit);
        Arrays.fill(p, o + limit, o + KEYS, 0f);
        return VectorMath.sum(p, o, limit);
    }

    /** p[r, j] = q_r . k_(j0 + j) for the four query rows and one chunk of keys. */
    private static void scores(float[] qs, float[] kt, int kb, int d, float[] p) {
        FloatVector s00 = FloatVector.zero(S), s01 = s00, s02 = s00, s03 = s00;
        FloatVector s10 = s00, s11 = s00, s12 = s00, s13 = s00;
        FloatVector s20 = s00, s21 = s00, s22 = s00, s23 = s00;
        FloatVector s30 = s00, s31 = s00, s32 = s00, s33 = s00;
        for (int c = 0; c < d; c++) {
            int ko = kb + c * KEYS;
            FloatVector k0 = FloatVector.fromArray(S, kt, ko), k1 = FloatVector.fromArray(S, kt, ko + L);
            FloatVector k2 = FloatVector.fromArray(S, kt, ko + 2 * L), k3 = FloatVector.fromArray(S, kt, ko + 3 * L);
            FloatVector a = FloatVector.broadcast(S, qs[c]);
            s00 = k0.fma(a, s00); s01 = k1.fma(a, s01); s02 = k2.fma(a, s02); s03 = k3.fma(a, s03);
            a = FloatVector.broadcast(S, qs[d + c]);
            s10 = k0.fma(a, s10); s11 = k1.fma(a, s11); s12 = k2.fma(a, s12); s13 = k3.fma(a, s13);
            a = FloatVector.broadcast(S, qs[2 * d + c]);
            s20 = k0.fma(a, s20); s21 = k1.fma(a, s21); s22 = k2.fma(a, s22); s23 = k3.fma(a, s23);
            a = FloatVector.broadcast(S, qs[3 * d + c]);
            s30 = k0.fma(a, s30); s31 = k1.fma(a, s31); s32 = k2.fma(a, s32); s33 = k3.fma(a, s33);
        }
        s00.intoArray(p, 0); s01.intoArray(p, L); s02.intoArray(p, 2 * L); s03.intoArray(p, 3 * L);
        s10.intoArray(p, KEYS); s11.intoArray(p, KEYS + L); s12.intoArray(p, KEYS + 2 * L); s13.intoArray(p, KEYS + 3 * L);
        s20.intoArray(p, 2 * KEYS); s21.intoArray(p, 2 * KEYS + L); s22.intoArray(p, 2 * KEYS + 2 * L); s23.intoArray(p, 2 * KEYS + 3 * L);
        s30.intoArray(p, 3 * KEYS); s31.intoArray(p, 3 * KEYS + L); s32.intoArray(p, 3 * KEYS + 2 * L); s33.intoArray(p, 3 * KEYS + 3 * L);
    }

    /**
     * o[r, :] += sum_j p[r, j] v_(j0 + j) over the chunk's valid keys, two vectors of the head
     * dimension at a time so that eight independent accumulator chains hide the FMA latency.
     */
    private static void accumulate(float[] p, float[] vh, int vb, float[] o, int valid, int d, int dp) {
        for (int c = 0; c < d; c += 2 * L) {
            VectorMask<Float> m = S.indexInRange(c, d), m2 = S.indexInRange(c + L, d);
            FloatVector o0 = FloatVector.fromArray(S, o, c), o1 = FloatVector.fromArray(S, o, dp + c);
            FloatVector o2 = FloatVector.fromArray(S, o, 2 * dp + c), o3 = FloatVector.fromArray(S, o, 3 * dp + c);
            FloatVector u0 = FloatVector.fromArray(S, o, c + L), u1 = FloatVector.fromArray(S, o, dp + c + L);
            FloatVector u2 = FloatVector.fromArray(S, o, 2 * dp + c + L), u3 = FloatVector.fromArray(S, o, 3 * dp + c + L);
            for (int j = 0; j < valid; j++) {
                int vo = vb + j * d + c;
                FloatVector va = FloatVector.fromArray(S, vh, vo, m), vc = FloatVector.fromArray(S, vh, vo + L, m2);
                FloatVector p0 = FloatVector.broadcast(S, p[j]), p1 = FloatVector.broadcast(S, p[KEYS + j]);
                FloatVector p2 = FloatVector.broadcast(S, p[2 * KEYS + j]), p3 = FloatVector.broadcast(S, p[3 * KEYS + j]);
                o0 = va.fma(p0, o0); u0 = vc.fma(p0, u0);
                o1 = va.fma(p1, o1); u1 = vc.fma(p1, u1);
                o2 = va.fma(p2, o2); u2 = vc.fma(p2, u2);
                o3 = va.fma(p3, o3); u3 = vc.fma(p3, u3);
            }
            o0.intoArray(o, c); o1.intoArray(o, dp + c); o2.intoArray(o, 2 * dp + c); o3.intoArray(o, 3 * dp + c);
            u0.intoArray(o, c + L); u1.intoArray(o, dp + c + L); u2.intoArray(o, 2 * dp + c + L); u3.intoArray(o, 3 * dp + c + L);
        }
    }
}
