package refiner.engine.schedule;

/**
 * The float32 table arithmetic of torch 1.13's CPU kernels that the scheduler's tables go
 * through, reproduced bit for bit.
 */
final class TorchFloat32 {
    /** Elements per AVX2 float vector; torch's vectorised loops handle two vectors at a time. */
    private static final int VECTOR = 8;

    private TorchFloat32() {
    }

    /**
     * {@code torch.linspace(start, end, steps, dtype=torch.float32)}: with {@code step = (end - start)
     * / (steps - 1)} in float32, the first half counts up from {@code start}, the second half down
     * from {@code end}. The AVX2 kernel fills whole pairs of 8-wide vectors, each vector from a base
     * value {@code fma(step, idx, start)} (or {@code fma(-step, steps - 1 - idx, end)} from the
     * halfway point on) plus {@code fma(k, step, base)} for its lanes; the remaining elements go
     * through the scalar formula. The multiply-adds are fused as the compiler fused them.
     */
    static float[] linspace(double start, double end, int steps) {
        float s = (float) start;
        float e = (float) end;
        float[] out = new float[steps];
        if (steps == 1) {
            out[0] = s;
            return out;
        }
        float step = (e - s) / (float) (steps - 1);
        int halfway = steps / 2;
        int vectorised = steps / (2 * VECTOR) * (2 * VECTOR);
        for (int idx = 0; idx < vectorised; idx += VECTOR) {
            float base = idx < halfway ? Math.fma(step, (float) idx, s) : Math.fma(-step, (float) (steps - idx - 1), e);
            out[idx] = base;
            for (int k = 1; k < VECTOR; k++) out[idx + k] = Math.fma((float) k, step, base);
        }
        for (int idx = vectorised; idx < steps; idx++) {
            out[idx] = idx < halfway ? Math.fma(step, (float) idx, s) : Math.fma(-step, (float) (steps - idx - 1), e);
        }
        return out;
    }

    /** {@code torch.cumprod} of a float32 vector: the running product is kept in double, each output rounded. */
    static float[] cumprod(float[] x) {
        float[] out = new float[x.length];
        double acc = 1.0;
        for (int i = 0; i < x.length; i++) {
            acc *= x[i];
            out[i] = (float) acc;
        }
        return out;
    }

    /** Correctly rounded float32 square root (as {@code x ** 0.5} on a float32 tensor). */
    static float sqrt(float x) {
        return (float) Math.sqrt(x);
    }
}
