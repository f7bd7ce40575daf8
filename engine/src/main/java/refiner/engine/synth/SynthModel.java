package refiner.engine.synth;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import refiner.loader.DType;
import refiner.loader.safetensors.SafetensorsWriter;
import refiner.loader.safetensors.TensorSink;
import refiner.loader.safetensors.TensorSpec;

/**
 * Writes a model folder in the Hugging Face layout of the SDXL refiner (model_index.json, scheduler,
 * text_encoder_2, tokenizer_2, unet, vae) whose weights are seeded random numbers: the right keys,
 * shapes and fp16 dtype, scaled so that activations stay finite, but no trained knowledge. A
 * {@value #MARKER} file in the folder says so.
 */
public final class SynthModel {
    /** The file that marks a folder as synthetic (random weights). */
    public static final String MARKER = "refiner_synth.json";
    /** Changes whenever the same preset and seed would give different bytes. */
    public static final int REVISION = 1;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CHUNK = 1 << 16;

    private SynthModel() {
    }

    /**
     * Writes the model of {@code preset} drawn from {@code seed} to {@code target}, which must not
     * exist yet. The folder appears atomically: it is filled under a temporary name beside the
     * target and renamed when complete.
     */
    public static void write(Preset preset, long seed, Path target) throws IOException {
        Path parent = target.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        if (Files.exists(target)) throw new FileAlreadyExistsException(target.toString());
        Path tmp = Files.createTempDirectory(parent, "." + target.getFileName() + ".");
        try {
            for (String file : Preset.COMMON_FILES) copy("common/" + file, tmp.resolve(file));
            for (Component c : Component.values()) {
                Path folder = tmp.resolve(c.folder());
                copy(preset.id() + "/" + c.folder() + "/config.json", folder.resolve("config.json"));
                weights(folder.resolve(c.weightsFile()), preset.params(c), seed);
            }
            ObjectNode marker = JSON.createObjectNode()
                    .put("preset", preset.id())
                    .put("seed", seed)
                    .put("revision", REVISION)
                    .put("weights", "random: seeded noise in the real layout, not a trained model");
            JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.resolve(MARKER).toFile(), marker);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException | Error e) {
            deleteTree(tmp);
            throw e;
        }
    }

    /** True when {@code folder} was written by this class. */
    public static boolean isSynthetic(Path folder) {
        return Files.isRegularFile(folder.resolve(MARKER));
    }

    /** One fp16 safetensors file holding {@code params}, each filled as its {@link Init} says. */
    static void weights(Path file, List<Param> params, long seed) throws IOException {
        List<TensorSpec> specs = new ArrayList<>();
        for (Param p : params) specs.add(new TensorSpec(p.name(), DType.F16, p.shape()));
        Map<String, Param> byName = new HashMap<>();
        for (Param p : params) byName.put(p.name(), p);
        SafetensorsWriter.write(file, specs, Map.of("format", "pt"), (spec, sink) -> fill(byName.get(spec.name()), seed, sink));
    }

    private static void fill(Param p, long seed, TensorSink sink) throws IOException {
        float[] chunk = new float[(int) Math.min(p.numel(), CHUNK)];
        Gaussian g = Gaussian.of(seed, p.name());
        float std = switch (p.init()) {
            case FAN_IN -> (float) (1 / Math.sqrt(p.fanIn()));
            case EMBEDDING -> 0.02f;
            case ONES, ZEROS -> 0;
        };
        for (long done = 0; done < p.numel(); done += chunk.length) {
            int n = (int) Math.min(chunk.length, p.numel() - done);
            for (int i = 0; i < n; i++) {
                chunk[i] = switch (p.init()) {
                    case ONES -> 1;
                    case ZEROS -> 0;
                    case FAN_IN, EMBEDDING -> std * g.next();
                };
            }
            sink.writeFloats(chunk, 0, n);
        }
    }

    private static void copy(String resource, Path to) throws IOException {
        Files.createDirectories(to.getParent());
        try (InputStream in = Preset.resource(resource)) {
            Files.copy(in, to);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
