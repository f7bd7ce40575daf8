package refiner.engine.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;
import refiner.engine.backend.reference.ReferenceBackend;

/** The float special functions against double-precision references on dense grids. */
class VectorMathTest {

    @Test
    void erfWithinTwoTenthsOfAMillionth() {
        double worst = 0;
        for (int i = -100_000; i <= 100_000; i++) {
            float x = i * 1e-4f;
            double ref = ReferenceBackend.erf(x);
            worst = Math.max(worst, Math.abs(VectorMath.erf(x) - ref) / Math.max(Math.abs(ref), 1e-30));
        }
        assertTrue(worst < 2e-7, "erf max relative error " + worst);
    }

    @Test
    void normalCdfRelativeErrorDeepInTheLeftTail() {
        double worst = 0;
        for (int i = -12_000; i <= 6_000; i++) {
            float x = i * 1e-3f;
            double ref = 0.5 * ReferenceBackend.erfc(-x / Math.sqrt(2));
            float got = VectorMath.phi(FloatVector.broadcast(VectorMath.S, x)).lane(0);
            worst = Math.max(worst, Math.abs(got - ref) / ref);
        }
        assertTrue(worst < 1e-6, "phi max relative error " + worst);
    }

    @Test
    void expWithinTwoUlpsAndTheSameInEveryLaneAndForOneValue() {
        float[] xs = new float[VectorMath.S.length()];
        double worst = 0;
        for (int i = -87_000; i <= 88_000; i += xs.length) {
            for (int l = 0; l < xs.length; l++) xs[l] = (i + l) * 1e-3f + 1.37e-4f;
            FloatVector v = VectorMath.exp(FloatVector.fromArray(VectorMath.S, xs, 0));
            for (int l = 0; l < xs.length; l++) {
                float one = VectorMath.exp(xs[l]);
                assertTrue(Float.floatToRawIntBits(one) == Float.floatToRawIntBits(v.lane(l)), "exp(" + xs[l] + "): lane and scalar differ");
                double ref = Math.exp(xs[l]);
                worst = Math.max(worst, Math.abs(one - ref) / Math.ulp((float) ref));
            }
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
    }

    @Test
    void sigmoidSaturatesWithoutNaN() {
        for (float x : new float[] {-1000f, -88f, -20f, 0f, 20f, 88f, 1000f}) {
            float got = VectorMath.sigmoid(FloatVector.broadcast(VectorMath.S, x)).lane(0);
            double ref = 1 / (1 + Math.exp(-x));
            assertTrue(Math.abs(got - ref) <= 1e-7 * Math.max(ref, 1e-30) + 1e-35, "sigmoid(" + x + ") = " + got);
        }
    }
}
