package refiner.engine.random;

/**
 * The float32 Box-Muller transform of torch's AVX2 {@code randn} kernel, operation for operation:
 * Cephes single-precision polynomial approximations of ln, sin and cos (as vectorised in
 * avx_mathfun) with the multiply-adds the compiler fused, so that the results match torch's
 * bit for bit. Each {@code *}, {@code +}, {@code -} below is one float32 operation and each
 * {@link Math#fma} one fused operation with a single rounding.
 */
final class Avx2BoxMuller {
    private static final float TWO_PI = 6.2831855f;
    private static final float SQRT_HALF = 0.707106781186547524f;
    private static final float[] LOG_POLY = {
        -1.1514610310e-1f, 1.1676998740e-1f, -1.2420140846e-1f, 1.4249322787e-1f,
        -1.6668057665e-1f, 2.0000714765e-1f, -2.4999993993e-1f, 3.3333331174e-1f,
    };
    private static final float LOG_P0 = 7.0376836292e-2f;
    private static final float LOG_Q1 = -2.12194440e-4f;
    private static final float LOG_Q2 = 0.693359375f;
    private static final float FOUR_OVER_PI = 1.27323954473516f;
    private static final float DP1 = -0.78515625f;
    private static final float DP2 = -2.4187564849853515625e-4f;
    private static final float DP3 = -3.77489497744594108e-8f;

    private Avx2BoxMuller() {
    }

    /**
     * Transforms the 16 uniforms {@code v[o .. o+15]} in place: for j in 0..7, with
     * {@code r = sqrt(-2 ln(1 - v[o+j]))} and {@code theta = 2 pi v[o+j+8]}, position j gets
     * {@code r cos(theta)} and position j + 8 gets {@code r sin(theta)}.
     */
    static void transform16(float[] v, int o) {
        for (int j = 0; j < 8; j++) {
            float a = 1f - v[o + j];
            float r = (float) Math.sqrt(-2f * ln(a));
            float theta = TWO_PI * v[o + j + 8];
            int q = quadrant(theta);
            float x = reduce(theta, q);
            float z = x * x;
            float c = cosPoly(z);
            float s = sinPoly(z, x);
            float sin = (q & 2) == 0 ? s : c;
            float cos = (q & 2) == 0 ? c : s;
            if ((q & 4) != 0) sin = -sin;
            if (((q - 2) & 4) == 0) cos = -cos;
            v[o + j] = r * cos;
            v[o + j + 8] = r * sin;
        }
    }

    /** Natural logarithm of a normal float {@code a} in (0, 1]. */
    static float ln(float a) {
        int bits = Float.floatToRawIntBits(a);
        float e = (float) (((bits >>> 23) & 0xff) - 126);
        float m = Float.intBitsToFloat((bits & 0x807fffff) | 0x3f000000);
        float x;
        if (m < SQRT_HALF) {
            e = e - 1f;
            x = (m - 1f) + m;
        } else {
            x = m - 1f;
        }
        float z = x * x;
        float y = LOG_P0;
        for (float p : LOG_POLY) y = Math.fma(y, x, p);
        y = y * x;
        y = Math.fma(y, z, e * LOG_Q1);
        y = y - 0.5f * z;
        return (x + y) + e * LOG_Q2;
    }

    /** The even octant index j of theta >= 0 (rounded up to even), as avx_mathfun computes it. */
    private static int quadrant(float theta) {
        int j = (int) (theta * FOUR_OVER_PI);
        return (j + 1) & ~1;
    }

    /** theta - j pi/4 in three fused steps (extended-precision Cody-Waite reduction). */
    private static float reduce(float theta, int j) {
        float q = j;
        float x = Math.fma(q, DP1, theta);
        x = Math.fma(q, DP2, x);
        return Math.fma(q, DP3, x);
    }

    private static float cosPoly(float z) {
        float c = Math.fma(2.443315711809948e-5f, z, -1.388731625493765e-3f);
        c = Math.fma(c, z, 4.166664568298827e-2f);
        c = c * z;
        c = Math.fma(c, z, -(0.5f * z));
        return c + 1f;
    }

    private static float sinPoly(float z, float x) {
        float s = Math.fma(-1.9515295891e-4f, z, 8.3321608736e-3f);
        s = Math.fma(s, z, -1.6666654611e-1f);
        s = s * z;
        return Math.fma(s, x, x);
    }
}
