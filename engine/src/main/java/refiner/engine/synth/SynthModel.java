package refiner.engine.synth;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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
    public static final int REVISION = 2;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int WINDOW = 64 * NormalNoise.BLOCK;

    /** Told, after each tensor, how many weight bytes of the whole model are written. */
    @FunctionalInterface
    public interface Progress {
        void update(String file, long bytesDone, long bytesTotal);
    }

    private SynthModel() {
    }

    /**
     * Writes the model of {@code preset} drawn from {@code seed} to {@code target}, which must not
     * exist yet. The folder appears atomically: it is filled under a temporary name beside the
     * target and renamed when complete.
     */
    public static void write(Preset preset, long seed, Path target) throws IOException {
        write(preset, seed, target, (file, done, total) -> { });
    }

    /** As {@link #write(Preset, long, Path)}, telling {@code progress} after each tensor. */
    public static void write(Preset preset, long seed, Path target, Progress progress) throws IOException {
        long total = 0;
        for (Component c : Component.values()) {
            for (Param p : preset.params(c)) total += 2 * p.numel();
        }
        Counter counter = new Counter(progress, total, new long[1]);
        Path parent = target.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        if (Files.exists(target)) throw new FileAlreadyExistsException(target.toString(), null, "already exists (give a new folder)");
        // a plain directory (not createTempDirectory, which is private to the owner) so the model gets the usual permissions
        Path tmp = Files.createDirectory(parent.resolve("." + target.getFileName() + "." + Long.toHexString(System.nanoTime()) + ".tmp"));
        try {
            for (String file : Preset.COMMON_FILES) copy("common/" + file, tmp.resolve(file));
            for (Component c : Component.values()) {
                Path folder = tmp.resolve(c.folder());
                copy(preset.id() + "/" + c.folder() + "/config.json", folder.resolve("config.json"));
                weights(folder.resolve(c.weightsFile()), c.folder(), preset.params(c), seed, counter);
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

    /** One fp16 safetensors file holding {@code params} sorted by name, each filled as its {@link Init} says. */
    private static void weights(Path file, String component, List<Param> params, long seed, Counter counter) throws IOException {
        List<TensorSpec> specs = new ArrayList<>();
        Map<String, Param> byName = new HashMap<>();
        for (Param p : params) {
            specs.add(new TensorSpec(p.name(), DType.F16, p.shape()));
            byName.put(p.name(), p);
        }
        specs.sort(Comparator.comparing(TensorSpec::name));
        ByteBuffer window = ByteBuffer.allocate(2 * WINDOW).order(ByteOrder.LITTLE_ENDIAN);
        SafetensorsWriter.write(file, specs, Map.of("format", "pt"), (spec, sink) -> {
            fill(byName.get(spec.name()), NormalNoise.key(seed, component, spec.name()), sink, window);
            counter.add(component + "/" + file.getFileName(), spec.byteSize());
        });
    }

    /** Streams one tensor through {@code window}, a window of {@link #WINDOW} values at a time. */
    private static void fill(Param p, long key, TensorSink sink, ByteBuffer window) throws IOException {
        float std = switch (p.init()) {
            case FAN_IN -> (float) (1 / Math.sqrt(p.fanIn()));
            case EMBEDDING -> 0.02f;
            case ONES, ZEROS -> 0;
        };
        float mean = p.init() == Init.ONES ? 1 : 0;
        for (long first = 0; first < p.numel(); first += WINDOW) {
            int n = (int) Math.min(WINDOW, p.numel() - first);
            NormalNoise.fill(key, first, n, mean, std, window);
            sink.write(window.slice(0, 2 * n));
        }
    }

    /** Adds up the bytes written over the whole model and reports them. */
    private record Counter(Progress progress, long total, long[] done) {
        void add(String file, long bytes) {
            done[0] += bytes;
            progress.update(file, done[0], total);
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
