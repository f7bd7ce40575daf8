package refiner.engine.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import refiner.engine.backend.cuda.CudaBackend;

/** Backend selection by name, with and without a usable GPU. */
class BackendsTest {
    @Test
    void cpuByName() {
        Backends.Selection s = Backends.select("cpu", 2);
        try (Backend b = s.backend()) {
            assertEquals("cpu", b.name());
            assertTrue(s.message().contains("2 threads"), s.message());
        }
    }

    @Test
    void autoFallsBackToCpuWithTheReason() {
        Backends.Selection s = Backends.select("auto", 1);
        try (Backend b = s.backend()) {
            if (CudaBackend.probe().available()) {
                assertEquals("cuda", b.name());
            } else {
                assertEquals("cpu", b.name());
                assertTrue(s.message().contains(CudaBackend.probe().reason()), s.message());
            }
        }
    }

    @Test
    void cudaWithoutDeviceIsAClearError() {
        if (CudaBackend.probe().available()) return;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Backends.select("cuda", 1));
        assertTrue(e.getMessage().startsWith("backend cuda is not usable: "), e.getMessage());
    }

    @Test
    void unknownName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Backends.select("opencl", 1));
        assertTrue(e.getMessage().contains("'opencl'"), e.getMessage());
    }
}
