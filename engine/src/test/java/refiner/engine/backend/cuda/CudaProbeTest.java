package refiner.engine.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The probe answers on any machine, with or without a GPU, and never throws. */
class CudaProbeTest {
    @Test
    void probeGivesAVerdictWithAOneLineReason() {
        CudaProbe p = CudaBackend.probe();
        assertNotNull(p.reason());
        assertFalse(p.reason().isBlank());
        assertFalse(p.reason().contains("\n"), p.reason());
        assertEquals(p, CudaBackend.probe(), "probe is cached");
    }

    @Test
    void openFailsWithTheReasonWhereCudaIsMissing() {
        CudaProbe p = CudaBackend.probe();
        if (p.available()) return;
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> CudaBackend.open(Precision.F16));
        assertTrue(e.getMessage().contains(p.reason()), e.getMessage());
    }

    @Test
    void allocatorBuckets() {
        assertEquals(512, DeviceAllocator.bucket(1));
        assertEquals(512, DeviceAllocator.bucket(512));
        assertEquals(1024, DeviceAllocator.bucket(513));
        assertEquals(1 << 20, DeviceAllocator.bucket((1 << 19) + 1));
        assertEquals(2 << 20, DeviceAllocator.bucket((1 << 20) + 1));
        assertEquals(3 << 20, DeviceAllocator.bucket((2 << 20) + 5));
    }
}
