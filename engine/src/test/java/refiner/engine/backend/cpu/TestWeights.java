package refiner.engine.backend.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import refiner.loader.DType;
import refiner.loader.safetensors.TensorInfo;

/** Checkpoint-like tensors for tests: little-endian bytes in a native segment, as a mapped file holds them. */
public final class TestWeights {
    private TestWeights() {
    }

    /** A tensor named {@code name} holding {@code values} stored as {@code dtype}. */
    public static TensorInfo of(String name, DType dtype, float[] values, long... shape) {
        MemorySegment m = Arena.ofAuto().allocate((long) values.length * dtype.bytes(), 8);
        for (int i = 0; i < values.length; i++) {
            switch (dtype) {
                case F16 -> m.setAtIndex(HostTensors.HALF, i, Float.floatToFloat16(values[i]));
                case BF16 -> m.setAtIndex(HostTensors.HALF, i, (short) (Float.floatToRawIntBits(values[i]) >>> 16));
                case F32 -> m.setAtIndex(HostTensors.SINGLE, i, values[i]);
                default -> throw new IllegalArgumentException(dtype.toString());
            }
        }
        return new TensorInfo(name, dtype, shape, m);
    }

    /** Uniform values in [-scale, scale). */
    public static float[] random(SplittableRandom rnd, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
        return a;
    }

    /** A random tensor of {@code shape} stored as {@code dtype}. */
    public static TensorInfo random(SplittableRandom rnd, String name, DType dtype, double scale, long... shape) {
        long n = 1;
        for (long d : shape) n *= d;
        return of(name, dtype, random(rnd, (int) n, scale), shape);
    }
}
