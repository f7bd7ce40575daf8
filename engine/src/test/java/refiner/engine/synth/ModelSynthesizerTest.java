package refiner.engine.synth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import refiner.loader.safetensors.SafetensorsFile;
import refiner.loader.safetensors.TensorInfo;
import refiner.loader.safetensors.TensorSpec;

/** Writes the tiny preset in full and reads it back with the safetensors reader. */
class ModelSynthesizerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @TempDir
    Path tmp;

    private Path tiny(String name, long seed) throws IOException {
        Path out = tmp.resolve(name);
        new ModelSynthesizer(Preset.TINY, seed).write(out, (f, d, t) -> { });
        return out;
    }

    private static float[] values(TensorInfo t) {
        float[] v = new float[(int) t.numel()];
        for (int i = 0; i < v.length; i++) v[i] = Float.float16ToFloat(t.data().getAtIndex(F16, i));
        return v;
    }

    @Test
    void writesTheHuggingFaceLayout() throws IOException {
        Path out = tiny("model", 1);
        for (String f : List.of("model_index.json", "scheduler/scheduler_config.json", "text_encoder_2/config.json",
                "text_encoder_2/model.fp16.safetensors", "tokenizer_2/vocab.json", "tokenizer_2/merges.txt",
                "tokenizer_2/special_tokens_map.json", "tokenizer_2/tokenizer_config.json", "unet/config.json",
                "unet/diffusion_pytorch_model.fp16.safetensors", "vae/config.json", "vae/diffusion_pytorch_model.fp16.safetensors")) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }
        JsonNode index = JSON.readTree(out.resolve("model_index.json").toFile());
        assertEquals("StableDiffusionXLImg2ImgPipeline", index.get("_class_name").asText());
        assertTrue(index.get("requires_aesthetics_score").asBoolean());
        assertFalse(index.get("force_zeros_for_empty_prompt").asBoolean());
        assertTrue(index.get("text_encoder").get(0).isNull());
        assertTrue(index.get("tokenizer").get(0).isNull());
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of(out), s.toList(), "no temporary folder left beside the model");
        }
    }

    @Test
    void readsBackWithTheDeclaredTensorsAndSaneValues() throws IOException {
        Path out = tiny("model", 7);
        for (SynthComponent c : Preset.TINY.components()) {
            try (SafetensorsFile f = SafetensorsFile.open(out.resolve(c.folder()).resolve(c.weightsFile()))) {
                assertEquals("pt", f.metadata().get("format"));
                assertEquals(c.tensors().stream().map(TensorSpec::name).toList(), List.copyOf(f.names()));
                for (TensorSpec spec : c.tensors()) {
                    TensorInfo t = f.get(spec.name());
                    assertArrayEquals(spec.shape(), t.shape(), spec.name());
                    float[] v = values(t);
                    double sum = 0, sq = 0;
                    for (float x : v) {
                        assertTrue(Float.isFinite(x), spec.name());
                        sum += x;
                    }
                    double mean = sum / v.length;
                    for (float x : v) sq += (x - mean) * (x - mean);
                    double std = Math.sqrt(sq / v.length);
                    WeightInit init = WeightInit.of(spec);
                    if (v.length >= 4096) {
                        assertEquals(init.mean(), mean, 0.1 * init.std(), spec.name() + " mean");
                        assertEquals(init.std(), std, 0.1 * init.std(), spec.name() + " std");
                    }
                }
            }
        }
    }

    @Test
    void sameSeedSameBytesOtherSeedOtherBytes() throws IOException {
        Path a = tiny("a", 42), b = tiny("b", 42), c = tiny("c", 43);
        String vae = "vae/diffusion_pytorch_model.fp16.safetensors";
        assertArrayEquals(Files.readAllBytes(a.resolve(vae)), Files.readAllBytes(b.resolve(vae)));
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(a.resolve(vae)), Files.readAllBytes(c.resolve(vae))));
    }

    @Test
    void refusesAFolderThatIsNotEmpty() throws IOException {
        Path out = Files.createDirectories(tmp.resolve("busy"));
        Files.writeString(out.resolve("keep.txt"), "mine");
        DirectoryNotEmptyException e = assertThrows(DirectoryNotEmptyException.class,
                () -> new ModelSynthesizer(Preset.TINY, 1).write(out, (f, d, t) -> { }));
        assertTrue(e.getMessage().contains("busy"), e.getMessage());
        assertEquals("mine", Files.readString(out.resolve("keep.txt")));
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(1, s.count());
        }
    }

    @Test
    void reportsProgressUpToTheTotal() throws IOException {
        long[] last = {0, -1};
        new ModelSynthesizer(Preset.TINY, 1).write(tmp.resolve("p"), (f, d, t) -> {
            assertTrue(d > last[0] && d <= t);
            last[0] = d;
            last[1] = t;
        });
        assertEquals(last[1], last[0]);
    }
}
