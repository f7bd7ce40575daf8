package refiner.engine.synth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import refiner.engine.testing.Shared;
import refiner.loader.DType;
import refiner.loader.safetensors.SafetensorsFile;
import refiner.loader.safetensors.TensorInfo;
import refiner.loader.safetensors.TensorSpec;

/** The presets' tensor tables and configs against the real refiner's manifest and the tiny-refiner files, without writing weights. */
class PresetLayoutTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Map<String, SynthComponent> components(Preset p) {
        Map<String, SynthComponent> m = new LinkedHashMap<>();
        for (SynthComponent c : p.components()) m.put(c.folder(), c);
        return m;
    }

    @Test
    void refinerMatchesTheManifest() throws IOException {
        Path dir = Shared.require("models/fullsize-manifest");
        JsonNode summary = JSON.readTree(dir.resolve("summary.json").toFile());
        long params = 0;
        for (SynthComponent c : Preset.REFINER_1_0.components()) {
            JsonNode manifest = JSON.readTree(dir.resolve(c.folder() + "_parameters.json").toFile());
            Map<String, long[]> expected = new LinkedHashMap<>();
            for (JsonNode e : manifest.get("state_dict")) {
                expected.put(e.get("name").asText(), JSON.convertValue(e.get("shape"), long[].class));
            }
            assertEquals(expected.size(), c.tensors().size(), c.folder() + " tensor count");
            for (TensorSpec t : c.tensors()) {
                long[] shape = expected.get(t.name());
                assertArrayEquals(shape, t.shape(), c.folder() + ": " + t.name());
                assertEquals(DType.F16, t.dtype(), t.name());
                params += t.numel();
            }
            ObjectNode config = (ObjectNode) JSON.readTree(c.config());
            config.remove("_diffusers_version");
            config.remove("transformers_version");
            assertEquals(manifest.get("config"), config, c.folder() + " config");
            if (c.folder().equals("unet")) {
                assertEquals(summary.at("/components/unet/fp16_bytes").asLong(), c.dataBytes(), "unet fp16 bytes");
            }
        }
        assertEquals(summary.get("total_parameters").asLong(), params, "parameters");
    }

    @Test
    void tinyMatchesTheTinyRefiner() throws IOException {
        Path dir = Shared.require("models/tiny-refiner");
        for (SynthComponent c : Preset.TINY.components()) {
            Path folder = dir.resolve(c.folder());
            try (SafetensorsFile f = SafetensorsFile.open(folder.resolve(c.weightsFile()))) {
                assertEquals(f.names().size(), c.tensors().size(), c.folder() + " tensor count");
                for (TensorSpec t : c.tensors()) {
                    TensorInfo real = f.get(t.name());
                    assertArrayEquals(real.shape(), t.shape(), t.name());
                    assertEquals(real.dtype(), t.dtype(), t.name());
                }
            }
            assertEquals(JSON.readTree(folder.resolve("config.json").toFile()), JSON.readTree(c.config()), c.folder() + " config");
        }
    }

    @Test
    void tensorsAreSortedByName() {
        for (Preset p : Preset.values()) {
            for (SynthComponent c : p.components()) {
                for (int i = 1; i < c.tensors().size(); i++) {
                    String a = c.tensors().get(i - 1).name(), b = c.tensors().get(i).name();
                    assertEquals(true, a.compareTo(b) < 0, p.id() + " " + c.folder() + ": " + a + " before " + b);
                }
            }
        }
    }

    @Test
    void unknownPresetIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Preset.of("refiner-0.9"));
        assertEquals("unknown preset 'refiner-0.9' (known: refiner-1.0, tiny)", e.getMessage());
    }

    @Test
    void refinerComponentsHaveTheirPublishedFileNames() {
        Map<String, SynthComponent> m = components(Preset.REFINER_1_0);
        assertEquals("model.fp16.safetensors", m.get("text_encoder_2").weightsFile());
        assertEquals("diffusion_pytorch_model.fp16.safetensors", m.get("unet").weightsFile());
        assertEquals("diffusion_pytorch_model.fp16.safetensors", m.get("vae").weightsFile());
    }
}
