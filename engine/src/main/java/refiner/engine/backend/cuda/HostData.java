package refiner.engine.backend.cuda;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import refiner.loader.DType;
import refiner.loader.safetensors.TensorInfo;

/** Host-side conversions of checkpoint bytes for upload. */
final class HostData {
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat SINGLE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private HostData() {
    }

    /** The elements of a F16, BF16 or F32 checkpoint tensor as floats. */
    static float[] floats(TensorInfo w) {
        MemorySegment d = w.data();
        long n = w.numel();
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("tensor '" + w.name() + "' has too many elements: " + n);
        float[] out = new float[(int) n];
        switch (w.dtype()) {
            case F32 -> MemorySegment.copy(d, SINGLE, 0, out, 0, out.length);
            case F16 -> {
                for (int i = 0; i < out.length; i++) out[i] = Float.float16ToFloat(d.getAtIndex(HALF, i));
            }
            case BF16 -> {
                for (int i = 0; i < out.length; i++) out[i] = Float.intBitsToFloat((d.getAtIndex(HALF, i) & 0xFFFF) << 16);
            }
            default -> throw new IllegalArgumentException("tensor '" + w.name() + "': dtype " + w.dtype() + " is not a float type");
        }
        return out;
    }

    /** Floats rounded to fp16 bit patterns (round to nearest even). */
    static short[] halves(float[] a) {
        short[] h = new short[a.length];
        for (int i = 0; i < a.length; i++) h[i] = Float.floatToFloat16(a[i]);
        return h;
    }

    /** Whether {@code w} already holds {@code target}'s little-endian bytes and can be copied as is. */
    static boolean verbatim(TensorInfo w, DType target) {
        return w.dtype() == target && ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;
    }

    static int[] intShape(TensorInfo w) {
        int[] s = new int[w.shape().length];
        for (int i = 0; i < s.length; i++) {
            if (w.shape()[i] > Integer.MAX_VALUE) throw new IllegalArgumentException("tensor '" + w.name() + "': dimension too large");
            s[i] = (int) w.shape()[i];
        }
        return s;
    }

    static boolean isFloat(DType t) {
        return t == DType.F16 || t == DType.BF16 || t == DType.F32;
    }
}
