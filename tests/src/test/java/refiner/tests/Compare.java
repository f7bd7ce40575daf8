package refiner.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** Assertions on float arrays with the error reported as numbers. */
public final class Compare {
    private Compare() {
    }

    /** Max |a - b| over all elements. */
    public static double maxAbsDiff(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, "element count");
        double m = 0;
        for (int i = 0; i < expected.length; i++) {
            double d = Math.abs((double) expected[i] - actual[i]);
            if (Double.isNaN(d)) return Double.POSITIVE_INFINITY;
            m = Math.max(m, d);
        }
        return m;
    }

    /** Fails when max |expected - actual| exceeds {@code tol}, naming what and by how much. */
    public static void assertClose(String what, float[] expected, float[] actual, double tol) {
        double m = maxAbsDiff(expected, actual);
        if (!(m <= tol)) fail(what + ": max abs diff " + m + " > " + tol);
    }

    /** ||expected - actual|| / ||expected||. */
    public static double relL2(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, "element count");
        double num = 0, den = 0;
        for (int i = 0; i < expected.length; i++) {
            double d = (double) expected[i] - actual[i];
            num += d * d;
            den += (double) expected[i] * expected[i];
        }
        return Math.sqrt(num / Math.max(den, 1e-30));
    }
}
