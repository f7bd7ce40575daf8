package refiner.engine.synth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import refiner.loader.DType;
import refiner.loader.safetensors.SafetensorsFile;
import refiner.loader.safetensors.TensorInfo;

/** The tiny synthetic model: complete folder, keys as the layout says, fills as each Init says. */
class SynthModelTest {
    @TempDir
    static Path dir;
    static Path model;

    @BeforeAll
    static void write() throws IOException {
        model = dir.resolve("tiny");
        SynthModel.write(Preset.TINY, 7, model);
    }

    @Test
    void writesTheRefinerLayout() {
        for (String f : List.of("model_index.json", "scheduler/scheduler_config.json", "tokenizer_2/vocab.json",
                "tokenizer_2/merges.txt", "text_encoder_2/config.json", "text_encoder_2/model.fp16.safetensors",
                "unet/config.json", "unet/diffusion_pytorch_model.fp16.safetensors", "vae/config.json",
                "vae/diffusion_pytorch_model.fp16.safetensors", SynthModel.MARKER)) {
            assertTrue(Files.isRegularFile(model.resolve(f)), f);
        }
        assertTrue(SynthModel.isSynthetic(model));
    }

    @Test
    void fillsEachTensorAsItsInitSays() throws IOException {
        for (Component c : Component.values()) {
            try (SafetensorsFile f = SafetensorsFile.open(model.resolve(c.folder()).resolve(c.weightsFile()))) {
                List<Param> params = Preset.TINY.params(c);
                assertEquals(params.size(), f.tensors().size(), c.folder());
                for (Param p : params) {
                    TensorInfo t = f.get(p.name());
                    assertEquals(DType.F16, t.dtype());
                    assertArrayEquals(p.shape(), t.shape(), p.name());
                    float[] v = floats(t);
                    switch (p.init()) {
                        case ONES -> assertTrue(allEqual(v, 1), p.name());
                        case ZEROS -> assertTrue(allEqual(v, 0), p.name());
                        case FAN_IN -> assertStd(v, 1 / Math.sqrt(p.fanIn()), p.name());
                        case EMBEDDING -> assertStd(v, 0.02, p.name());
                    }
                }
            }
        }
    }

    @Test
    void sameSeedSameBytesOtherSeedOtherBytes(@TempDir Path other) throws IOException {
        String unet = "unet/diffusion_pytorch_model.fp16.safetensors";
        SynthModel.write(Preset.TINY, 7, other.resolve("same"));
        SynthModel.write(Preset.TINY, 8, other.resolve("different"));
        byte[] first = Files.readAllBytes(model.resolve(unet));
        assertArrayEquals(first, Files.readAllBytes(other.resolve("same").resolve(unet)));
        assertFalse(Arrays.equals(first, Files.readAllBytes(other.resolve("different").resolve(unet))));
    }

    @Test
    void refusesAnExistingTargetAndLeavesNoTemporaryFolder(@TempDir Path parent) throws IOException {
        Path target = Files.createDirectory(parent.resolve("taken"));
        assertThrows(FileAlreadyExistsException.class, () -> SynthModel.write(Preset.TINY, 0, target));
        try (Stream<Path> s = Files.list(parent)) {
            assertEquals(List.of(target), s.toList());
        }
    }

    @Test
    void headersAreSortedByNameAsInThePublishedFiles() throws IOException {
        for (Component c : Component.values()) {
            try (SafetensorsFile f = SafetensorsFile.open(model.resolve(c.folder()).resolve(c.weightsFile()))) {
                List<String> names = List.copyOf(f.names());
                assertEquals(names.stream().sorted().toList(), names, c.folder());
                assertEquals("pt", f.metadata().get("format"));
            }
        }
    }

    @Test
    void reportsProgressUpToTheWholeModel(@TempDir Path parent) throws IOException {
        long[] last = {0, -1};
        SynthModel.write(Preset.TINY, 1, parent.resolve("p"), (file, done, total) -> {
            assertTrue(done > last[0] && done <= total, file + ": " + done + " of " + total);
            last[0] = done;
            last[1] = total;
        });
        assertEquals(last[1], last[0]);
    }

    private static float[] floats(TensorInfo t) {
        short[] half = t.data().toArray(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
        float[] out = new float[half.length];
        for (int i = 0; i < half.length; i++) out[i] = Float.float16ToFloat(half[i]);
        return out;
    }

    private static boolean allEqual(float[] v, float x) {
        for (float f : v) if (f != x) return false;
        return true;
    }

    /** Mean near 0 and standard deviation within 25% of {@code std}, loosely enough for small tensors. */
    private static void assertStd(float[] v, double std, String name) {
        double sum = 0;
        double sq = 0;
        for (float f : v) {
            assertTrue(Float.isFinite(f), name);
            sum += f;
            sq += (double) f * f;
        }
        double mean = sum / v.length;
        double measured = Math.sqrt(sq / v.length - mean * mean);
        double tolerance = v.length >= 256 ? 0.25 : 0.6;
        assertTrue(Math.abs(measured / std - 1) < tolerance, name + ": std " + measured + ", expected " + std);
        assertTrue(Math.abs(mean) < 4 * std / Math.sqrt(v.length) + 1e-3 * std, name + ": mean " + mean);
    }
}
