package refiner.engine.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;
import refiner.engine.backend.reference.ReferenceBackend;

/** The float special functions against double-precision references on dense grids. */
class VectorMathTest {

    @Test
    void normalCdfRelativeErrorDeepInTheLeftTail() {
        float[] xs = new float[18_001], got = new float[xs.length];
        for (int i = 0; i < xs.length; i++) xs[i] = (i - 12_000) * 1e-3f;
        VectorMath.phi(xs, 0, got, 0, xs.length);
        double worst = 0;
        for (int i = 0; i < xs.length; i++) {
            double ref = 0.5 * ReferenceBackend.erfc(-xs[i] / Math.sqrt(2));
            worst = Math.max(worst, Math.abs(got[i] - ref) / ref);
        }
        assertTrue(worst < 1e-6, "phi max relative error " + worst);
    }

    @Test
    void expWithinTwoUlpsAndTheSameInEveryLaneAndForOneValue() {
        float[] xs = new float[175_003];
        for (int i = 0; i < xs.length; i++) xs[i] = (i - 87_000) * 1e-3f + 1.37e-4f;
        float[] v = xs.clone();
        VectorMath.exp(v, 0, v.length);
        double worst = 0;
        for (int i = 0; i < xs.length; i++) {
            float one = VectorMath.exp(xs[i]);
            assertTrue(Float.floatToRawIntBits(one) == Float.floatToRawIntBits(v[i]), "exp(" + xs[i] + "): lane and scalar differ");
            double ref = Math.exp(xs[i]);
            worst = Math.max(worst, Math.abs(one - ref) / Math.ulp((float) ref));
        }
        assertTrue(worst <= 2, "exp max error " + worst + " ulps");
        assertTrue(VectorMath.exp(100f) == Float.POSITIVE_INFINITY && VectorMath.exp(-1000f) >= Float.MIN_NORMAL && VectorMath.exp(-1000f) < 1.2e-38f, "exp saturates");
    }

    @Test
    void laneSumAddsFirstToLast() {
        float[] a = new float[VectorMath.S.length()];
        for (int i = 0; i < a.length; i++) a[i] = (i % 2 == 0 ? 1e8f : -1e8f) + i;
        float expected = 0f;
        for (float x : a) expected += x;
        assertTrue(VectorMath.sum(FloatVector.fromArray(VectorMath.S, a, 0)) == expected, "sum in lane order");
        assertTrue(VectorMath.sum(a, 0, a.length) == expected, "bulk sum in lane order");
    }

    @Test
    void siluSaturatesWithoutNaN() {
        float[] xs = {-1000f, -88f, -20f, -1f, 0f, 0.5f, 20f, 88f, 1000f}, got = new float[xs.length];
        VectorMath.sigmoidTimes(xs, 0, got, 0, xs.length, 1f);
        for (int i = 0; i < xs.length; i++) {
            double ref = xs[i] / (1 + Math.exp(-xs[i]));
            assertTrue(Math.abs(got[i] - ref) <= 1e-7 * Math.abs(ref) + 1e-35, "silu(" + xs[i] + ") = " + got[i]);
        }
    }

    @Test
    void bulkFormsGiveTheSameBitsAtEveryLengthAndOffset() {
        float[] x = new float[3 * VectorMath.S.length() + 5];
        for (int i = 0; i < x.length; i++) x[i] = (i - 20) * 0.37f;
        float[] whole = new float[x.length], part = new float[x.length];
        VectorMath.gelu(x, 0, whole, 0, x.length);
        for (int from = 0; from < x.length; from += 7) {
            int n = Math.min(11, x.length - from);
            VectorMath.gelu(x, from, part, from, n);
        }
        for (int i = 0; i < x.length; i++) assertTrue(Float.floatToRawIntBits(whole[i]) == Float.floatToRawIntBits(part[i]), "gelu at " + i);
    }
}
