package refiner.engine.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** The vectorised fp16 widening agrees with {@link Float#float16ToFloat} on every bit pattern. */
class HalfTest {

    @Test
    void everyHalfWidensExactly() {
        int n = 1 << 16;
        MemorySegment m = Arena.ofAuto().allocate(2L * (n + 3));
        for (int i = 0; i < n; i++) m.setAtIndex(HostTensors.HALF, i + 3, (short) i);
        float[] out = new float[n + 1];
        Half.widen(m, 3, out, 1, n);
        for (int i = 0; i < n; i++) {
            float want = Float.float16ToFloat((short) i);
            assertEquals(Float.floatToRawIntBits(want) & (Float.isNaN(want) ? 0xff800000 : -1),
                    Float.floatToRawIntBits(out[i + 1]) & (Float.isNaN(want) ? 0xff800000 : -1), "half 0x" + Integer.toHexString(i));
            assertEquals(Float.isNaN(want), Float.isNaN(out[i + 1]), "half 0x" + Integer.toHexString(i));
        }
    }
}
