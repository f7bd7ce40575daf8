package refiner.engine.backend.cpu;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Special functions over float arrays, accurate to a few float ulps: exp, the normal CDF (for
 * exact GELU) and x times the logistic sigmoid (SiLU, quick GELU). The CDF is (1 + erf(x / sqrt 2)) / 2
 * with erf = z P(z^2) below 1 and 1 - exp(-z^2) Q(1 / (1 + z/2)) above, P and Q least-squares fits
 * of relative error below 6e-8 on [0, 1] and [1, 9].
 *
 * <p>Every function works in bulk, in passes over a chunk, each pass one small loop that calls no
 * method of its own with a vector. A vector handed to a method the JIT did not inline is boxed,
 * ten times slower than the arithmetic, and a helper that grew hot on its own before its caller
 * was compiled is often left out of line; so the vector code of each pass is written in the loop.
 *
 * <p>Clamps are a compare and a blend: {@code max} and {@code min} keep Java's rules for NaN and
 * signed zeros, which on x86 take six instructions each (exp ran at 1.2 ns per value with three
 * of them); the blend gives the same values, NaN passing through.
 *
 * <p>Everything here is built from IEEE-exact lane operations (add, multiply, fma, compare,
 * conversions), never from {@code VectorOperators.EXP} or {@code reduceLanes(ADD)}: those give
 * different bits in the interpreter and in compiled code, so a run's result would depend on when
 * the JIT compiled a kernel, and the same seed would not always give the same picture.
 */
final class VectorMath {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Elements per chunk of the bulk functions; a multiple of the vector length. */
    static final int CHUNK = 256;

    private static final float[] P = {
        1.1283791065216064f, -0.37612318992614746f, 0.11280130594968796f, -0.02670994959771633f,
        0.004916023463010788f, -0.0005625396152026951f};
    private static final float[] Q = {
        -6.037746061338112e-06f, 0.282243549823761f, 0.2805635631084442f, 0.25526100397109985f,
        0.1505638062953949f, 0.12052004039287567f, 0.006302656140178442f, -0.1721145659685135f,
        0.07708252221345901f};
    private static final float SQRT_HALF = 0.70710678118654752f;

    /** exp: x = n ln 2 + r with |r| <= ln 2 / 2 (ln 2 in two parts), e^r by a degree-7 polynomial. */
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float EXP_MIN = -87.33654f;
    private static final float EXP_MAX = 88.37626f;
    private static final float[] E = {
        5.0000001201e-1f, 1.6666665459e-1f, 4.1665795894e-2f, 8.3334519073e-3f, 1.3981999507e-3f, 1.9875691500e-4f};

    private VectorMath() {
    }

    /**
     * a[o + i] = e^a[o + i] for i < n, within 2 ulps; arguments below about -87.3 give e^-87.3,
     * just above the smallest normal float (never a denormal), arguments above about 88.4 infinity.
     */
    static void exp(float[] a, int o, int n) {
        int full = n / L * L;
        expPass(a, o, full);
        if (full < n) {
            float[] t = Arrays.copyOfRange(a, o + full, o + full + L);
            expPass(t, 0, L);
            System.arraycopy(t, 0, a, o + full, n - full);
        }
    }

    private static void expPass(float[] a, int o, int n) {
        expRows(a, o, 0, 1, n, null, 0, Float.NEGATIVE_INFINITY, false);
    }

    /**
     * a[o + r stride + i] = e^max(a[o + r stride + i] - shift[so + r], floor) for r < rows and
     * i < n, n a multiple of the vector length (no shift where {@code shift} is null): a tile of
     * softmax scores, each row less its maximum, in one pass; with no shift and no floor, the same
     * bits as {@link #exp}. With {@code inRange} the caller promises arguments in [EXP_MIN, 0]
     * wherever it uses the results (the floor at least EXP_MIN, the shift the row's maximum over
     * the keys it sees; the values past those keys, and rows that see none, are discarded), so
     * the clamps and the overflow test, which change nothing there, are left out: the
     * self-attention over 4096 tokens 1.10 times as fast, over 1024 1.02.
     */
    static void expRows(float[] a, int o, int stride, int rows, int n, float[] shift, int so, float floor, boolean inRange) {
        for (int row = 0; row < rows; row++) {
            FloatVector less = FloatVector.broadcast(S, shift == null ? 0f : shift[so + row]);
            for (int i = 0; i < n; i += L) {
                int at = o + row * stride + i;
                FloatVector x = FloatVector.fromArray(S, a, at).sub(less);
                x = x.blend(floor, x.lt(floor));
                FloatVector c = x;
                if (!inRange) {
                    c = c.blend(EXP_MIN, c.lt(EXP_MIN));
                    c = c.blend(EXP_MAX, c.compare(VectorOperators.GT, EXP_MAX));
                }
                IntVector k = (IntVector) c.fma(LOG2E, 128.5f).convert(VectorOperators.F2I, 0);    // n + 128 = floor(x log2 e + 0.5) + 128
                FloatVector m = ((FloatVector) k.convert(VectorOperators.I2F, 0)).sub(128f);
                FloatVector r = m.fma(FloatVector.broadcast(S, -LN2_HI), c);
                r = m.fma(FloatVector.broadcast(S, -LN2_LO), r);
                FloatVector y = FloatVector.broadcast(S, E[E.length - 1]);
                for (int j = E.length - 2; j >= 0; j--) y = y.fma(r, FloatVector.broadcast(S, E[j]));
                y = y.fma(r.mul(r), r).add(1f);
                FloatVector scale = k.sub(1).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();  // 2^n
                FloatVector e = y.mul(scale);
                if (!inRange) e = e.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.GT, EXP_MAX));
                e.intoArray(a, at);
            }
        }
    }

    /** e^x for one value, with exactly the operations of the vector version. */
    static float exp(float x) {
        float c = Math.min(Math.max(x, EXP_MIN), EXP_MAX);
        int k = (int) Math.fma(c, LOG2E, 128.5f);
        float n = (float) k - 128f;
        float r = Math.fma(n, -LN2_HI, c);
        r = Math.fma(n, -LN2_LO, r);
        float y = E[E.length - 1];
        for (int i = E.length - 2; i >= 0; i--) y = Math.fma(y, r, E[i]);
        y = Math.fma(y, r * r, r) + 1f;
        float result = y * Float.intBitsToFloat((k - 1) << 23);
        return x > EXP_MAX ? Float.POSITIVE_INFINITY : result;
    }

    /**
     * y[yo + i] = Phi(x[xo + i]) for i < n, the standard normal CDF, accurate in relative terms
     * for x < 0 too; y may be x.
     */
    static void phi(float[] x, int xo, float[] y, int yo, int n) {
        float[] v = new float[CHUNK], t = new float[CHUNK];
        for (int c = 0; c < n; c += CHUNK) {
            int m = load(x, xo + c, n - c, v);
            phi(v, t, m);
            System.arraycopy(t, 0, y, yo + c, Math.min(CHUNK, n - c));
        }
    }

    /** Exact GELU, y = x Phi(x), in bulk; y must not overlap x. */
    static void gelu(float[] x, int xo, float[] y, int yo, int n) {
        phi(x, xo, y, yo, n);
        multiply(x, xo, y, yo, n);
    }

    /**
     * y = x sigmoid(s x) in bulk (SiLU for s = 1, quick GELU for s = 1.702), the logistic
     * 1 / (1 + exp(-s x)) with exp's argument kept above -80 so no denormal appears; y may be x.
     */
    static void sigmoidTimes(float[] x, int xo, float[] y, int yo, int n, float s) {
        float[] v = new float[CHUNK], t = new float[CHUNK];
        for (int c = 0; c < n; c += CHUNK) {
            int m = load(x, xo + c, n - c, v);
            for (int i = 0; i < m; i += L) {
                FloatVector e = FloatVector.fromArray(S, v, i).mul(s).neg();
                e.blend(-80f, e.lt(-80f)).intoArray(t, i);
            }
            expPass(t, 0, m);
            for (int i = 0; i < m; i += L) {
                FloatVector.fromArray(S, v, i).mul(FloatVector.broadcast(S, 1f).div(FloatVector.fromArray(S, t, i).add(1f))).intoArray(t, i);
            }
            System.arraycopy(t, 0, y, yo + c, Math.min(CHUNK, n - c));
        }
    }

    /**
     * GEGLU over a product's output whose columns come in pairs of strips, w values then their w
     * gates: y[yo + i] = value_i gelu(gate_i) for i < n, value i at c[co + i / w 2w + i % w] and
     * its gate w further on. The same bits as {@link #gelu} of the gates then {@link #multiply}
     * by the values. w is a multiple of the vector length that divides {@link #CHUNK}; v and t
     * are scratch of CHUNK floats.
     */
    static void gegluPairs(float[] c, int co, int w, float[] y, int yo, int n, float[] v, float[] t) {
        for (int from = 0; from < n; from += CHUNK) {
            int m = Math.min(CHUNK, n - from), padded = (m + L - 1) / L * L;
            for (int i = 0; i < m; i += w) System.arraycopy(c, co + (from + i) / w * 2 * w + w, v, i, Math.min(w, m - i));
            Arrays.fill(v, m, padded, 0f);
            phi(v, t, padded);
            int i = 0;
            for (int bound = m / L * L; i < bound; i += L) {
                FloatVector value = FloatVector.fromArray(S, c, co + (from + i) / w * 2 * w + i % w);
                value.mul(FloatVector.fromArray(S, v, i).mul(FloatVector.fromArray(S, t, i))).intoArray(y, yo + from + i);
            }
            for (; i < m; i++) y[yo + from + i] = c[co + (from + i) / w * 2 * w + i % w] * (v[i] * t[i]);
        }
    }

    /** y[yo + i] *= x[xo + i] for i < n. */
    static void multiply(float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            FloatVector.fromArray(S, x, xo + i).mul(FloatVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
        }
        for (; i < n; i++) y[yo + i] *= x[xo + i];
    }

    /**
     * The sum of a[o, o + n): lane-wise over whole vectors, then the lanes first to last, then the
     * rest in order; the same bits however the code was compiled.
     */
    static float sum(float[] a, int o, int n) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) acc = acc.add(FloatVector.fromArray(S, a, o + i));
        float total = sum(acc);
        for (; i < n; i++) total += a[o + i];
        return total;
    }

    /** The sum of the lanes of {@code v}, first to last: the same bits however the code was compiled. */
    static float sum(FloatVector v) {
        float total = 0f;
        for (int i = 0; i < v.length(); i++) total += v.lane(i);
        return total;
    }

    /**
     * Copies up to one chunk of x from {@code from} ({@code left} elements remain) into v, padded
     * with zeros to whole vectors; returns the padded length.
     */
    private static int load(float[] x, int from, int left, float[] v) {
        int m = Math.min(CHUNK, left), padded = (m + L - 1) / L * L;
        System.arraycopy(x, from, v, 0, m);
        Arrays.fill(v, m, padded, 0f);
        return padded;
    }

    /** t = Phi(v) over m values (whole vectors), in three passes. */
    private static void phi(float[] v, float[] t, int m) {
        for (int i = 0; i < m; i += L) {
            FloatVector a = FloatVector.fromArray(S, v, i).abs();
            a = a.blend(9f / SQRT_HALF, a.compare(VectorOperators.GT, 9f / SQRT_HALF));
            a.mul(a).mul(0.5f).neg().intoArray(t, i);                                         // -z^2, rounded
        }
        expPass(t, 0, m);
        for (int i = 0; i < m; i += L) {
            FloatVector x = FloatVector.fromArray(S, v, i);
            FloatVector a = x.abs();
            a = a.blend(9f / SQRT_HALF, a.compare(VectorOperators.GT, 9f / SQRT_HALF));
            FloatVector z = a.mul(SQRT_HALF);
            FloatVector lo = a.fma(a, a.mul(a).neg()).mul(0.5f);                               // z^2's rounding error
            FloatVector u = FloatVector.broadcast(S, 1f).div(z.fma(0.5f, 1f));
            FloatVector q = FloatVector.broadcast(S, Q[Q.length - 1]);
            for (int j = Q.length - 2; j >= 0; j--) q = q.fma(u, FloatVector.broadcast(S, Q[j]));
            FloatVector tail = FloatVector.fromArray(S, t, i).mul(lo.neg().add(1f)).mul(q);   // erfc(z), z >= 1
            FloatVector zz = z.mul(z), p = FloatVector.broadcast(S, P[P.length - 1]);
            for (int j = P.length - 2; j >= 0; j--) p = p.fma(zz, FloatVector.broadcast(S, P[j]));
            FloatVector half = tail.blend(z.mul(p).neg().add(1f), z.lt(1f)).mul(0.5f);        // erfc(z) / 2
            half.neg().add(1f).blend(half, x.lt(0f)).intoArray(t, i);
        }
    }
}
