package refiner.engine.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;
import refiner.loader.DType;
import refiner.loader.safetensors.TensorInfo;

/** Reading fp16 weights in bulk (a loop the JIT vectorises) agrees with {@link Float#float16ToFloat} on every bit pattern. */
class HostTensorsTest {

    @Test
    void everyHalfWidensExactly() {
        int n = 1 << 16;
        MemorySegment m = Arena.ofAuto().allocate(2L * (n + 3));
        for (int i = 0; i < n; i++) m.setAtIndex(HostTensors.HALF, i + 3, (short) i);
        try (CpuBackend cpu = new CpuBackend(1)) {
            float[] out = new float[n + 1];
            HostTensors.read(cpu.weight(new TensorInfo("w", DType.F16, new long[] {n + 3}, m)), 3, out, 1, n);
            for (int i = 0; i < n; i++) {
                float want = Float.float16ToFloat((short) i);
                int mask = Float.isNaN(want) ? 0xff800000 : -1;  // a NaN's payload may be quieted
                assertEquals(Float.floatToRawIntBits(want) & mask, Float.floatToRawIntBits(out[i + 1]) & mask, "half 0x" + Integer.toHexString(i));
                assertEquals(Float.isNaN(want), Float.isNaN(out[i + 1]), "half 0x" + Integer.toHexString(i));
            }
        }
    }
}
