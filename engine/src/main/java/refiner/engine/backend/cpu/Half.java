package refiner.engine.backend.cpu;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vectorised IEEE fp16 to fp32 widening by integer arithmetic: normal numbers move their exponent
 * by 127 - 15, subnormals are converted as integers times 2^-24 (exact, and without touching
 * fp32 denormals), infinities and NaNs keep an all-ones exponent.
 */
final class Half {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Short> H = VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    private static final int L = F.length();
    private static final int REBIAS = (127 - 15) << 23;

    private Half() {
    }

    /** dst[at + i] = fp16 value i of {@code src} starting at element {@code from}, for i < n. */
    static void widen(MemorySegment src, long from, float[] dst, int at, int n) {
        int i = 0;
        for (; i + L <= n; i += L) {
            ShortVector h = ShortVector.fromMemorySegment(H, src, (from + i) * 2, ByteOrder.LITTLE_ENDIAN);
            IntVector bits = (IntVector) h.convertShape(VectorOperators.S2I, I, 0);
            IntVector mag = bits.and(0x7fff);
            IntVector exp = mag.and(0x7c00);
            IntVector normal = mag.lanewise(VectorOperators.LSHL, 13).add(REBIAS);
            normal = normal.add(REBIAS, exp.eq(0x7c00));
            FloatVector sub = ((FloatVector) mag.convert(VectorOperators.I2F, 0)).mul(0x1p-24f);
            VectorMask<Integer> tiny = exp.eq(0);
            IntVector out = normal.blend(sub.reinterpretAsInts(), tiny).or(bits.and(0x8000).lanewise(VectorOperators.LSHL, 16));
            out.reinterpretAsFloats().intoArray(dst, at + i);
        }
        for (; i < n; i++) {
            dst[at + i] = Float.float16ToFloat(src.getAtIndex(HostTensors.HALF, from + i));
        }
    }
}
