package refiner.engine.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Lane-wise special functions accurate to a few float ulps: exp, erf, the normal CDF (for exact
 * GELU) and the logistic sigmoid. erf is z P(z^2) below 1 and 1 - exp(-z^2) Q(1 / (1 + z/2))
 * above, with P and Q least-squares fits of relative error below 6e-8 on [0, 1] and [1, 9].
 *
 * <p>Everything here is built from IEEE-exact lane operations (add, multiply, fma, compare,
 * conversions), never from {@code VectorOperators.EXP} or {@code reduceLanes(ADD)}: those give
 * different bits in the interpreter and in compiled code, so a run's result would depend on when
 * the JIT compiled a kernel, and the same seed would not always give the same picture.
 */
final class VectorMath {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private static final float[] P = {
        1.1283791065216064f, -0.37612318992614746f, 0.11280130594968796f, -0.02670994959771633f,
        0.004916023463010788f, -0.0005625396152026951f};
    private static final float[] Q = {
        -6.037746061338112e-06f, 0.282243549823761f, 0.2805635631084442f, 0.25526100397109985f,
        0.1505638062953949f, 0.12052004039287567f, 0.006302656140178442f, -0.1721145659685135f,
        0.07708252221345901f};
    private static final FloatVector ONE = FloatVector.broadcast(S, 1f);
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

    private static FloatVector poly(float[] c, FloatVector u) {
        FloatVector r = FloatVector.broadcast(S, c[c.length - 1]);
        for (int i = c.length - 2; i >= 0; i--) r = r.fma(u, FloatVector.broadcast(S, c[i]));
        return r;
    }

    /**
     * erfc(z) = exp(-z^2) Q(1 / (1 + z/2)) for 1 <= z <= 9, given z and z^2 as the float sum
     * {@code hi + lo} (so the exponent carries no rounding error of its own).
     */
    private static FloatVector tail(FloatVector z, FloatVector hi, FloatVector lo) {
        FloatVector t = ONE.div(z.fma(0.5f, 1f));
        return exp(hi.neg()).mul(lo.neg().add(1f)).mul(poly(Q, t));
    }

    /** erf(x). */
    static FloatVector erf(FloatVector x) {
        FloatVector a = x.abs(), ac = a.min(9f);
        FloatVector hi = ac.mul(ac), lo = ac.fma(ac, hi.neg());
        FloatVector small = a.mul(poly(P, a.mul(a)));
        FloatVector large = tail(ac, hi, lo).neg().add(1f);
        FloatVector r = large.blend(small, a.lt(1f));
        return r.blend(r.neg(), x.lt(0f));
    }

    /** The standard normal CDF: (1 + erf(x / sqrt 2)) / 2, accurate in relative terms for x < 0 too. */
    static FloatVector phi(FloatVector x) {
        FloatVector a = x.abs().min(9f / SQRT_HALF);
        FloatVector z = a.mul(SQRT_HALF);
        FloatVector sq = a.mul(a), hi = sq.mul(0.5f), lo = a.fma(a, sq.neg()).mul(0.5f);
        FloatVector erfc = tail(z, hi, lo).blend(z.mul(poly(P, z.mul(z))).neg().add(1f), z.lt(1f));
        FloatVector half = erfc.mul(0.5f);
        return half.neg().add(1f).blend(half, x.lt(0f));
    }

    /** Exact GELU: x * phi(x). */
    static FloatVector gelu(FloatVector x) {
        return x.mul(phi(x));
    }

    /** 1 / (1 + exp(-x)), with exp's argument kept above -80 so no denormal appears. */
    static FloatVector sigmoid(FloatVector x) {
        FloatVector e = exp(x.neg().max(-80f));
        return ONE.div(e.add(1f));
    }

    /**
     * e^x within 2 ulps; arguments below about -87.3 give e^-87.3, just above the smallest normal
     * float (never a denormal), arguments above about 88.4 infinity.
     */
    static FloatVector exp(FloatVector x) {
        FloatVector c = x.max(EXP_MIN).min(EXP_MAX);
        IntVector k = (IntVector) c.fma(LOG2E, 128.5f).convert(VectorOperators.F2I, 0);    // n + 128 = floor(x log2 e + 0.5) + 128
        FloatVector n = ((FloatVector) k.convert(VectorOperators.I2F, 0)).sub(128f);
        FloatVector r = n.fma(FloatVector.broadcast(S, -LN2_HI), c);
        r = n.fma(FloatVector.broadcast(S, -LN2_LO), r);
        FloatVector y = FloatVector.broadcast(S, E[E.length - 1]);
        for (int i = E.length - 2; i >= 0; i--) y = y.fma(r, FloatVector.broadcast(S, E[i]));
        y = y.fma(r.mul(r), r).add(1f);
        FloatVector scale = k.sub(1).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();  // 2^n
        return y.mul(scale).blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.GT, EXP_MAX));
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

    /** The sum of the lanes of {@code v}, first to last: the same bits however the code was compiled. */
    static float sum(FloatVector v) {
        float total = 0f;
        for (int i = 0; i < v.length(); i++) total += v.lane(i);
        return total;
    }

    /** erf of one value, through the vector code (for tests and scalar callers). */
    static float erf(float x) {
        return erf(FloatVector.broadcast(S, x)).lane(0);
    }
}
