package refiner.tests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import refiner.loader.safetensors.SafetensorsFile;
import refiner.loader.safetensors.TensorInfo;

/**
 * A golden fixture folder (manifest.json + safetensors beside it), found through the environment
 * variable {@code REFINER_GOLDEN_DIR} or, by default, {@code ../shared/golden/<set>} beside the
 * checkout. Tests skip with a message when the folder is absent.
 */
public final class Golden {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<Path, Golden> CACHE = new HashMap<>();

    private final Path dir;
    private final JsonNode manifest;
    private final Map<String, SafetensorsFile> files = new HashMap<>();

    private Golden(Path dir) throws IOException {
        this.dir = dir;
        this.manifest = JSON.readTree(dir.resolve("manifest.json").toFile());
    }

    /** The fixture folder of one golden set ("tiny-refiner", "rng"), or the test is skipped. */
    public static synchronized Golden of(String set) {
        Path dir = locate(set);
        Assumptions.assumeTrue(dir != null && Files.isRegularFile(dir.resolve("manifest.json")),
                "golden fixtures not found: set REFINER_GOLDEN_DIR or place shared/ beside the checkout (../shared/golden/" + set + ")");
        return CACHE.computeIfAbsent(dir, d -> {
            try {
                return new Golden(d);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** The cases of the default golden set, for use in a {@code @MethodSource}. */
    public static List<JsonNode> cases(String set, String kind) {
        Path dir = locate(set);
        if (dir == null || !Files.isRegularFile(dir.resolve("manifest.json"))) {
            return List.of(JSON.createObjectNode().put("id", "fixtures-absent").put("kind", kind));
        }
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode c : of(set).manifest.get("cases")) {
            if (c.path("kind").asText().equals(kind)) out.add(c);
        }
        return out;
    }

    /** The golden folder: REFINER_GOLDEN_DIR for the tiny-refiner set, else ../shared/golden/set. */
    static Path locate(String set) {
        String env = System.getenv("REFINER_GOLDEN_DIR");
        if (env != null && !env.isBlank() && set.equals("tiny-refiner")) return Path.of(env).toAbsolutePath();
        Path shared = sharedDir();
        return shared == null ? null : shared.resolve("golden").resolve(set);
    }

    /** {@code ../shared} beside the checkout, found by walking up from the working directory. */
    public static Path sharedDir() {
        for (Path d = Path.of("").toAbsolutePath(); d != null && d.getParent() != null; d = d.getParent()) {
            Path s = d.getParent().resolve("shared");
            if (Files.isDirectory(s.resolve("golden"))) return s;
        }
        return null;
    }

    /** A model folder of ../shared/models (e.g. "tiny-refiner"), or the test is skipped. */
    public static Path model(String name) {
        Path shared = sharedDir();
        Assumptions.assumeTrue(shared != null && Files.isDirectory(shared.resolve("models").resolve(name)),
                "model folder not found: ../shared/models/" + name);
        return shared.resolve("models").resolve(name);
    }

    public Path dir() {
        return dir;
    }

    public JsonNode manifest() {
        return manifest;
    }

    /** The case whose id is {@code id}. */
    public JsonNode caseById(String id) {
        for (JsonNode c : manifest.get("cases")) {
            if (c.path("id").asText().equals(id)) return c;
        }
        throw new IllegalArgumentException("no case " + id + " in " + dir);
    }

    /** The tensor a {@code {"file", "key", "shape", "dtype"}} reference points at. */
    public synchronized TensorInfo tensor(JsonNode ref) {
        SafetensorsFile f = files.computeIfAbsent(ref.get("file").asText(), name -> {
            try {
                return SafetensorsFile.open(dir.resolve(name));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        return f.get(ref.get("key").asText());
    }

    /** A referenced F32 tensor as floats. */
    public float[] floats(JsonNode ref) {
        TensorInfo t = tensor(ref);
        return t.data().toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
    }

    /** A referenced F64 tensor as doubles. */
    public double[] doubles(JsonNode ref) {
        TensorInfo t = tensor(ref);
        return t.data().toArray(ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
    }

    /** A referenced I64 tensor as longs. */
    public long[] longs(JsonNode ref) {
        TensorInfo t = tensor(ref);
        return t.data().toArray(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
    }

    /** A referenced U8 tensor as bytes. */
    public byte[] bytes(JsonNode ref) {
        return tensor(ref).data().toArray(ValueLayout.JAVA_BYTE);
    }

    /** Shape of a reference. */
    public static int[] shape(JsonNode ref) {
        int[] s = new int[ref.get("shape").size()];
        for (int i = 0; i < s.length; i++) s[i] = ref.get("shape").get(i).asInt();
        return s;
    }
}
