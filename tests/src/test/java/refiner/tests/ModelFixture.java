package refiner.tests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import refiner.loader.safetensors.SafetensorsFile;

/**
 * The model a golden set was made from ({@code model_dir_relative_to_this_dir} of its manifest):
 * a component's config.json and its weights, opened once per test run and kept open.
 */
final class ModelFixture {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<Path, SafetensorsFile> OPEN = new HashMap<>();

    private ModelFixture() {
    }

    /** The manifest's cases of {@code kind}, each named by its case id for the display name. */
    static Stream<Named<JsonNode>> cases(String set, String kind) {
        List<JsonNode> cases = Golden.cases(set, kind);
        return cases.stream().map(c -> Named.of(c.path("id").asText(), c));
    }

    /** The folder of {@code component} ("unet", "vae", "text_encoder_2") of the set's model. */
    static Path component(Golden g, String component) {
        Path dir = g.dir().resolve(g.manifest().get("model_dir_relative_to_this_dir").asText()).resolve(component).normalize();
        if (!Files.isDirectory(dir)) throw new IllegalStateException("model component not found: " + dir);
        return dir;
    }

    static JsonNode config(Path componentDir) {
        try {
            return JSON.readTree(componentDir.resolve("config.json").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The component's weights: its fp16 variant when present, else its only safetensors file. */
    static synchronized SafetensorsFile weights(Path componentDir) {
        try (Stream<Path> files = Files.list(componentDir)) {
            List<Path> all = files.filter(f -> f.toString().endsWith(".safetensors")).sorted().toList();
            Path pick = all.stream().filter(f -> f.toString().endsWith(".fp16.safetensors")).findFirst()
                    .orElseGet(() -> all.size() == 1 ? all.get(0) : null);
            if (pick == null) throw new IllegalStateException("no single weights file in " + componentDir + ": " + all);
            SafetensorsFile f = OPEN.get(pick);
            if (f == null) {
                f = SafetensorsFile.open(pick);
                OPEN.put(pick, f);
            }
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A referenced I64 [B, L] tensor as int rows. */
    static int[][] ids(Golden g, JsonNode ref) {
        long[] flat = g.longs(ref);
        int[] shape = Golden.shape(ref);
        int rows = shape[0], cols = shape[1];
        int[][] out = new int[rows][cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) out[r][c] = Math.toIntExact(flat[r * cols + c]);
        }
        return out;
    }

    /** A referenced F32 [B, n] tensor as float rows. */
    static float[][] rows(Golden g, JsonNode ref) {
        float[] flat = g.floats(ref);
        int[] shape = Golden.shape(ref);
        float[][] out = new float[shape[0]][shape[1]];
        for (int r = 0; r < shape[0]; r++) System.arraycopy(flat, r * shape[1], out[r], 0, shape[1]);
        return out;
    }
}
