package refiner.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import refiner.loader.DType;
import refiner.loader.safetensors.TensorInfo;

/** Seeded operands for the kernel benchmarks: activations as floats, weights as fp16 in native memory. */
public final class Operands {
    private Operands() {
    }

    /** {@code n} values uniform in [-scale, scale). */
    public static float[] random(SplittableRandom rnd, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
        return a;
    }

    /** {@code v} as an fp16 tensor in native memory, as a mapped checkpoint holds weights; freed once unreachable. */
    public static TensorInfo f16(String name, float[] v, long... shape) {
        MemorySegment m = Arena.ofAuto().allocate(2L * v.length, 64);
        ValueLayout.OfShort half = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < v.length; i++) m.setAtIndex(half, i, Float.floatToFloat16(v[i]));
        return new TensorInfo(name, DType.F16, shape, m);
    }
}
