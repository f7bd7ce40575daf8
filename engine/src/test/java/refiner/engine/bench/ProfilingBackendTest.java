package refiner.engine.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import refiner.engine.backend.cpu.CpuBackend;
import refiner.engine.tensor.Tensor;

/** The profiler forwards results unchanged and counts multiply-accumulates as the analytic counter does. */
class ProfilingBackendTest {

    private static float[] ramp(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (i % 7) * 0.1f - 0.3f;
        return v;
    }

    @Test
    void forwardsAndCounts() {
        try (CpuBackend cpu = new CpuBackend(1)) {
            ProfilingBackend p = new ProfilingBackend(cpu);
            Tensor x = p.upload(ramp(2 * 3 * 8), 2, 3, 8);
            Tensor w = p.upload(ramp(5 * 8), 5, 8);
            Tensor y = p.linear(x, w, null);
            assertEquals(p, y.backend(), "layers dispatch on their input's backend, so results must be the profiler's");
            try (Tensor cx = cpu.upload(ramp(2 * 3 * 8), 2, 3, 8); Tensor cw = cpu.upload(ramp(5 * 8), 5, 8)) {
                assertArrayEquals(cpu.download(cpu.linear(cx, cw, null)), p.download(y));
            }
            y.close();

            Tensor img = p.upload(ramp(1 * 4 * 6 * 6), 1, 4, 6, 6);
            Tensor k = p.upload(ramp(3 * 4 * 3 * 3), 3, 4, 3, 3);
            p.conv2d(img, k, null, 2, 1);

            Tensor q = p.upload(ramp(2 * 5 * 8), 2, 5, 8);
            Tensor kv = p.upload(ramp(2 * 7 * 8), 2, 7, 8);
            p.attention(q, kv, kv, 2, false);

            Map<String, OpStats> by = p.byTime().stream().collect(Collectors.toMap(OpStats::op, s -> s));
            assertEquals(2L * 3 * 5 * 8, by.get("linear").macs());
            assertEquals(1L * 3 * 3 * 3 * 4 * 3 * 3, by.get("conv2d 3x3").macs());
            assertEquals(2L * 2 * 5 * 7 * 8, by.get("attention").macs());
            assertEquals(1, by.get("linear").calls());
            assertTrue(by.get("upload").calls() >= 6);
            Map<String, OpStats> shapes = p.byShape().stream().collect(Collectors.toMap(s -> s.op() + " " + s.shape(), s -> s));
            assertEquals(by.get("linear").macs(), shapes.get("linear 6x8 -> 5").macs());
            assertEquals(by.get("conv2d 3x3").macs(), shapes.get("conv2d 3x3 4 -> 3 over 1x6x6, stride 2").macs());
            assertEquals(by.get("attention").macs(), shapes.get("attention 2x5 over 7 keys, 2 heads of 4").macs());
            assertEquals(3, shapes.size());
            p.reset();
            assertTrue(p.byTime().isEmpty());
            assertTrue(p.byShape().isEmpty());
        }
    }
}
