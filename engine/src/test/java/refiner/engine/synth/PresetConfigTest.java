package refiner.engine.synth;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import refiner.engine.testing.Shared;

/** The bundled configs equal those of the real refiner (manifest) and of the tiny-refiner files. */
class PresetConfigTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest(name = "refiner-1.0 {0} config equals the manifest's")
    @EnumSource(Component.class)
    void refinerConfigIsTheManifests(Component c) throws IOException {
        Path manifest = Shared.require("models/fullsize-manifest").resolve(c.folder() + "_parameters.json");
        assertEquals(JSON.readTree(manifest.toFile()).get("config"), Preset.REFINER_1_0.config(c));
    }

    @ParameterizedTest(name = "tiny {0} config equals the tiny-refiner's")
    @EnumSource(Component.class)
    void tinyConfigIsTheTinyRefiners(Component c) throws IOException {
        Path config = Shared.require("models/tiny-refiner").resolve(c.folder()).resolve("config.json");
        assertEquals(JSON.readTree(config.toFile()), Preset.TINY.config(c));
    }

    @ParameterizedTest(name = "refiner-1.0 {0} weighs what the manifest says")
    @EnumSource(Component.class)
    void refinerParameterCount(Component c) throws IOException {
        JsonNode manifest = JSON.readTree(Shared.require("models/fullsize-manifest").resolve(c.folder() + "_parameters.json").toFile());
        assertEquals(manifest.get("num_parameters").asLong(), Preset.REFINER_1_0.params(c).stream().mapToLong(Param::numel).sum());
        assertEquals(manifest.get("num_state_dict_entries").asInt(), Preset.REFINER_1_0.params(c).size());
    }
}
