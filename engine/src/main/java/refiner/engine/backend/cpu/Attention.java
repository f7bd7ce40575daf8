package refiner.engine.backend.cpu;

import static refiner.engine.backend.cpu.VectorMath.S;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Tiled multi-head attention with an online softmax: for each tile of {@link #ROWS} queries the
 * keys are visited in chunks of {@link #KEYS}; scores, running max and running sum stay per tile,
 * so no Lq x Lk matrix exists. K is first packed per head as K^T[D, Lk] for unit-stride score
 * vectors; V is read in place.
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
            int dp = (d + L - 1) / L * L;
            s = new Scratch(new float[ROWS * KEYS], new float[ROWS * dp], new float[ROWS * d]);
            scratch.set(s);
        }
        return s;
    }

    /**
     * out[b, i, h*D + t] = softmax_j(q_i . k_j / sqrt D) v_j for q[B, Lq, E], k, v[B, Lk, E],
     * E = heads * D; {@code kt} receives K^T per (b, h) and must hold B * E * Lkp floats.
     */
    void run(WorkerPool pool, float[] q, float[] k, float[] v, float[] out, float[] kt,
             int batch, int lq, int lk, int heads, int d, boolean causal) {
        int e = heads * d, lkp = padded(lk);
        pool.run(batch * heads, t -> {
            int n = t / heads, h = t % heads, base = t * d * lkp;
            for (int j = 0; j < lkp; j++) {
                for (int c = 0; c < d; c++) kt[base + c * lkp + j] = j < lk ? k[(n * lk + j) * e + h * d + c] : 0f;
            }
        });
        int tiles = (lq + ROWS - 1) / ROWS, groups = (tiles + TILES_PER_TASK - 1) / TILES_PER_TASK;
        float scale = (float) (1 / Math.sqrt(d));
        pool.run(batch * heads * groups, t -> {
            int bh = t / groups, g = t % groups, n = bh / heads, h = bh % heads;
            Scratch s = scratch(d);
            for (int tile = g * TILES_PER_TASK; tile < Math.min(tiles, (g + 1) * TILES_PER_TASK); tile++) {
                tile(s, q, v, out, kt, bh * d * lkp, n, h, tile * ROWS, lq, lk, lkp, e, d, scale, causal);
            }
        });
    }

    static int padded(int lk) {
        return (lk + KEYS - 1) / KEYS * KEYS;
    }

    private static void tile(Scratch s, float[] q, float[] v, float[] out, float[] kt, int ktBase, int n, int h,
                             int i0, int lq, int lk, int lkp, int e, int d, float scale, boolean causal) {
        int rows = Math.min(ROWS, lq - i0), dp = (d + L - 1) / L * L;
        float[] qs = s.q, p = s.p, o = s.o;
        for (int r = 0; r < ROWS; r++) {
            for (int c = 0; c < d; c++) qs[r * d + c] = r < rows ? q[(n * lq + i0 + r) * e + h * d + c] * scale : 0f;
        }
        Arrays.fill(o, 0, ROWS * dp, 0f);
        float[] max = new float[ROWS], sum = new float[ROWS];
        Arrays.fill(max, Float.NEGATIVE_INFINITY);
        int keys = causal ? Math.min(lk, i0 + rows) : lk;
        for (int j0 = 0; j0 < keys; j0 += KEYS) {
            scores(qs, kt, ktBase + j0, lkp, d, p);
            int valid = Math.min(KEYS, keys - j0);
            for (int r = 0; r < ROWS; r++) {
                int limit = causal ? Math.min(valid, i0 + r + 1 - j0) : valid;
                if (limit <= 0) {
                    Arrays.fill(p, r * KEYS, (r + 1) * KEYS, 0f);
                    continue;
                }
                FloatVector mx = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
                for (int c = 0; c < KEYS; c += L) {
                    mx = mx.max(FloatVector.fromArray(S, p, r * KEYS + c, S.indexInRange(c, limit)).blend(Float.NEGATIVE_INFINITY, S.indexInRange(c, limit).not()));
                }
                float m = Math.max(max[r], mx.reduceLanes(VectorOperators.MAX));
                float alpha = (float) Math.exp(max[r] - m);
                max[r] = m;
                FloatVector acc = FloatVector.zero(S);
                for (int c = 0; c < KEYS; c += L) {
                    VectorMask<Float> in = S.indexInRange(c, limit);
                    FloatVector diff = FloatVector.fromArray(S, p, r * KEYS + c).sub(m);
                    FloatVector w = diff.max(-80f).lanewise(VectorOperators.EXP).blend(0f, diff.lt(-80f).or(in.not()));
                    w.intoArray(p, r * KEYS + c);
                    acc = acc.add(w);
                }
                sum[r] = sum[r] * alpha + acc.reduceLanes(VectorOperators.ADD);
                if (alpha != 1f) {
                    for (int c = 0; c < dp; c += L) FloatVector.fromArray(S, o, r * dp + c).mul(alpha).intoArray(o, r * dp + c);
                }
            }
            accumulate(p, v, o, n, h, j0, valid, lk, e, d, dp);
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

    /** p[r, j] = q_r . k_(j0 + j) for the four query rows and one chunk of keys. */
    private static void scores(float[] qs, float[] kt, int kb, int lkp, int d, float[] p) {
        FloatVector s00 = FloatVector.zero(S), s01 = s00, s02 = s00, s03 = s00;
        FloatVector s10 = s00, s11 = s00, s12 = s00, s13 = s00;
        FloatVector s20 = s00, s21 = s00, s22 = s00, s23 = s00;
        FloatVector s30 = s00, s31 = s00, s32 = s00, s33 = s00;
        for (int c = 0, ko = kb; c < d; c++, ko += lkp) {
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

    /** o[r, :] += sum_j p[r, j] v_(j0 + j) over the chunk's valid keys. */
    private static void accumulate(float[] p, float[] v, float[] o, int n, int h, int j0, int valid, int lk, int e, int d, int dp) {
        for (int c = 0; c < d; c += L) {
            VectorMask<Float> m = S.indexInRange(c, d);
            FloatVector o0 = FloatVector.fromArray(S, o, c), o1 = FloatVector.fromArray(S, o, dp + c);
            FloatVector o2 = FloatVector.fromArray(S, o, 2 * dp + c), o3 = FloatVector.fromArray(S, o, 3 * dp + c);
            for (int j = 0, vo = (n * lk + j0) * e + h * d + c; j < valid; j++, vo += e) {
                FloatVector vv = FloatVector.fromArray(S, v, vo, m);
                o0 = vv.fma(FloatVector.broadcast(S, p[j]), o0);
                o1 = vv.fma(FloatVector.broadcast(S, p[KEYS + j]), o1);
                o2 = vv.fma(FloatVector.broadcast(S, p[2 * KEYS + j]), o2);
                o3 = vv.fma(FloatVector.broadcast(S, p[3 * KEYS + j]), o3);
            }
            o0.intoArray(o, c); o1.intoArray(o, dp + c); o2.intoArray(o, 2 * dp + c); o3.intoArray(o, 3 * dp + c);
        }
    }
}
