package refiner.engine.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Lane-wise special functions accurate to a few float ulps: erf, the normal CDF (for exact GELU)
 * and the logistic sigmoid. erf is z P(z^2) below 1 and 1 - exp(-z^2) Q(1 / (1 + z/2)) above,
 * with P and Q least-squares fits of relative error below 6e-8 on [0, 1] and [1, 9].
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
        return hi.neg().lanewise(VectorOperators.EXP).mul(lo.neg().add(1f)).mul(poly(Q, t));
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
        FloatVector e = x.neg().max(-80f).lanewise(VectorOperators.EXP);
        return ONE.div(e.add(1f));
    }

    /** erf of one value, through the vector code (for tests and scalar callers). */
    static float erf(float x) {
        return erf(FloatVector.broadcast(S, x)).lane(0);
    }
}
