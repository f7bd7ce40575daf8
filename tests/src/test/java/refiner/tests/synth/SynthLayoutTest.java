package refiner.tests.synth;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import refiner.engine.synth.Component;
import refiner.engine.synth.Param;
import refiner.engine.synth.Preset;
import refiner.loader.safetensors.SafetensorsFile;
import refiner.loader.safetensors.TensorInfo;
import refiner.tests.Golden;

/**
 * The synthetic layouts computed from the configs list exactly the keys and shapes of the real
 * checkpoints: the tiny refiner's and tiny base's safetensors headers, and the full-size refiner's
 * parameter list.
 */
class SynthLayoutTest {

    @ParameterizedTest(name = "tiny preset {0} equals the tiny-refiner header")
    @EnumSource(Component.class)
    void tinyMatchesTinyRefiner(Component c) throws IOException {
        Path file = Golden.model("tiny-refiner").resolve(c.folder()).resolve(c.weightsFile());
        Map<String, String> expected = new TreeMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (TensorInfo t : f.tensors().values()) expected.put(t.name(), Arrays.toString(t.shape()));
        }
        assertEquals(expected, shapes(Preset.TINY, c));
    }

    @ParameterizedTest(name = "refiner-1.0 preset {0} equals the full-size manifest")
    @EnumSource(Component.class)
    void refinerMatchesFullsizeManifest(Component c) throws IOException {
        Path shared = Golden.sharedDir();
        Assumptions.assumeTrue(shared != null, "../shared not found beside the checkout");
        JsonNode manifest = new ObjectMapper().readTree(
                shared.resolve("models/fullsize-manifest").resolve(c.folder() + "_parameters.json").toFile());
        Map<String, String> expected = new TreeMap<>();
        for (JsonNode e : manifest.get("state_dict")) {
            long[] shape = new long[e.get("shape").size()];
            for (int i = 0; i < shape.length; i++) shape[i] = e.get("shape").get(i).asLong();
            expected.put(e.get("name").asText(), Arrays.toString(shape));
        }
        assertEquals(expected, shapes(Preset.REFINER_1_0, c));
        assertEquals(manifest.get("num_parameters").asLong(),
                Preset.REFINER_1_0.params(c).stream().mapToLong(Param::numel).sum());
    }

    @ParameterizedTest(name = "{0} layout of the tiny-base config equals its header")
    @EnumSource(Component.class)
    void layoutsFollowOtherConfigs(Component c) throws IOException {
        Path dir = Golden.model("tiny-base").resolve(c.folder());
        Map<String, String> expected = new TreeMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve(c.weightsFile()))) {
            for (TensorInfo t : f.tensors().values()) expected.put(t.name(), Arrays.toString(t.shape()));
        }
        Map<String, String> computed = new TreeMap<>();
        for (Param p : c.params(new ObjectMapper().readTree(dir.resolve("config.json").toFile()))) {
            computed.put(p.name(), Arrays.toString(p.shape()));
        }
        assertEquals(expected, computed);
    }

    private static Map<String, String> shapes(Preset preset, Component c) {
        Map<String, String> out = new TreeMap<>();
        for (Param p : preset.params(c)) out.put(p.name(), Arrays.toString(p.shape()));
        return out;
    }
}
