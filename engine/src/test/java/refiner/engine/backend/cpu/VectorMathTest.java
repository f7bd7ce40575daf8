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
            double ref = 0.5 * (1 + ReferenceBackend.erf(x / Math.sqrt(2)));
            if (x < -1) ref = 0.5 * erfcTail(-x / Math.sqrt(2));
            float got = VectorMath.phi(FloatVector.broadcast(VectorMath.S, x)).lane(0);
            worst = Math.max(worst, Math.abs(got - ref) / ref);
        }
        assertTrue(worst < 1e-6, "phi max relative error " + worst);
    }

    @Test
    void sigmoidSaturatesWithoutNaN() {
        for (float x : new float[] {-1000f, -88f, -20f, 0f, 20f, 88f, 1000f}) {
            float got = VectorMath.sigmoid(FloatVector.broadcast(VectorMath.S, x)).lane(0);
            double ref = 1 / (1 + Math.exp(-x));
            assertTrue(Math.abs(got - ref) <= 1e-7 * Math.max(ref, 1e-30) + 1e-35, "sigmoid(" + x + ") = " + got);
        }
    }

    /** erfc(z) for z > 0.7 by its continued fraction, accurate in relative terms. */
    private static double erfcTail(double z) {
        double f = z;
        for (int n = 120; n >= 1; n--) f = z + (n / 2.0) / f;
        return Math.exp(-z * z) / Math.sqrt(Math.PI) / f;
    }
}
