package refiner.engine.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import refiner.engine.backend.Backend;
import refiner.engine.backend.cpu.CpuBackend;
import refiner.engine.backend.cpu.TestWeights;
import refiner.loader.DType;

/** Weight binding: keys by prefix, shapes checked, every key used, one-line errors naming key and file. */
class ParamsTest {
    private final SplittableRandom rnd = new SplittableRandom(1);
    private final Backend cpu = new CpuBackend(1);

    private MapWeights linearWeights() {
        return new MapWeights()
                .put(TestWeights.random(rnd, "block.proj.weight", DType.F16, 1, 3, 2))
                .put(TestWeights.random(rnd, "block.proj.bias", DType.F16, 1, 3));
    }

    @Test
    void bindsByPrefixAndAcceptsACompleteFile() {
        Params p = Params.of(cpu, linearWeights());
        Linear l = new Linear(p.child("block").child("proj"), 2, 3, true);
        p.requireAllUsed();
        try (var x = cpu.upload(new float[] {1, 2}, 1, 2); var y = l.forward(x)) {
            assertEquals(3, y.dim(1));
        }
    }

    @Test
    void missingKeyNamesKeyAndFile() {
        Params p = Params.of(cpu, linearWeights());
        var e = assertThrows(IllegalArgumentException.class, () -> new Conv2d(p.child("block.conv"), 2, 3, 3, 1, 1));
        assertEquals("test.safetensors: missing tensor 'block.conv.weight' (expected shape [3, 2, 3, 3])", e.getMessage());
    }

    @Test
    void wrongShapeNamesBothShapes() {
        Params p = Params.of(cpu, linearWeights());
        var e = assertThrows(IllegalArgumentException.class, () -> new Linear(p.child("block.proj"), 3, 3, true));
        assertEquals("test.safetensors: tensor 'block.proj.weight' has shape [3, 2], expected [3, 3]", e.getMessage());
    }

    @Test
    void unusedKeyIsReported() {
        Params p = Params.of(cpu, linearWeights());
        new Linear(p.child("block.proj"), 2, 3, false);
        var e = assertThrows(IllegalArgumentException.class, p::requireAllUsed);
        assertTrue(e.getMessage().startsWith("test.safetensors: tensor 'block.proj.bias' is not used by the network (1 unused tensor"),
                e.getMessage());
        assertTrue(!e.getMessage().contains("\n"));
    }

    @Test
    void skippedBufferCountsAsUsed() {
        MapWeights w = linearWeights().put(TestWeights.random(rnd, "block.position_ids", DType.F32, 1, 1, 3));
        Params p = Params.of(cpu, w);
        new Linear(p.child("block.proj"), 2, 3, true);
        p.child("block").skip("position_ids");
        p.requireAllUsed();
    }
}
