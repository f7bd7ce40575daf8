package refiner.engine.synth;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import refiner.loader.safetensors.SafetensorsWriter;
import refiner.loader.safetensors.TensorSink;
import refiner.loader.safetensors.TensorSpec;

/**
 * Writes a random-weight model of a {@link Preset} in the Hugging Face folder layout of the SDXL
 * refiner: {@code model_index.json}, {@code scheduler/}, {@code text_encoder_2/}, {@code tokenizer_2/}
 * (the real CLIP vocabulary), {@code unet/} and {@code vae/}, weights as {@code *.fp16.safetensors}.
 * Weights stream to disk a window at a time; the folder appears atomically (written beside the
 * target, then renamed).
 */
public final class ModelSynthesizer {
    private static final int WINDOW = 64 * NormalNoise.BLOCK;
    private static final String[] TOKENIZER_FILES = {"merges.txt", "special_tokens_map.json", "tokenizer_config.json", "vocab.json"};

    /** Told how far the weights have come, over the whole model. */
    @FunctionalInterface
    public interface Progress {
        void update(String file, long bytesDone, long bytesTotal);
    }

    private final Preset preset;
    private final long seed;

    public ModelSynthesizer(Preset preset, long seed) {
        this.preset = preset;
        this.seed = seed;
    }

    /**
     * Writes the model to {@code out}, which must not exist (or be an empty folder). On failure
     * nothing is left behind.
     */
    public void write(Path out, Progress progress) throws IOException {
        Path target = out.toAbsolutePath().normalize();
        checkTarget(target);
        Path parent = target.getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempDirectory(parent, "." + target.getFileName() + ".");
        try {
            writeFolder(tmp, progress);
            Files.deleteIfExists(target);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException | Error e) {
            deleteTree(tmp);
            throw e;
        }
    }

    private void writeFolder(Path dir, Progress progress) throws IOException {
        Files.write(dir.resolve("model_index.json"), Preset.bytes(Preset.ROOT + "model_index.json"));
        Files.createDirectories(dir.resolve("scheduler"));
        Files.write(dir.resolve("scheduler/scheduler_config.json"), Preset.bytes(Preset.ROOT + "scheduler_config.json"));
        Files.createDirectories(dir.resolve("tokenizer_2"));
        for (String f : TOKENIZER_FILES) {
            Files.write(dir.resolve("tokenizer_2").resolve(f), Preset.bytes(Preset.ROOT + "tokenizer_2/" + f));
        }
        List<SynthComponent> components = preset.components();
        long total = components.stream().mapToLong(SynthComponent::dataBytes).sum();
        long[] done = {0};
        ByteBuffer window = ByteBuffer.allocate(2 * WINDOW).order(ByteOrder.LITTLE_ENDIAN);
        for (SynthComponent c : components) {
            Path folder = Files.createDirectories(dir.resolve(c.folder()));
            Files.writeString(folder.resolve("config.json"), c.config());
            String file = c.folder() + "/" + c.weightsFile();
            SafetensorsWriter.write(folder.resolve(c.weightsFile()), c.tensors(), Map.of("format", "pt"), (t, sink) -> {
                fill(c.folder(), t, sink, window);
                done[0] += t.byteSize();
                progress.update(file, done[0], total);
            });
        }
    }

    /** Streams the values of one tensor through {@code window}. */
    private void fill(String component, TensorSpec t, TensorSink sink, ByteBuffer window) throws IOException {
        WeightInit init = WeightInit.of(t);
        long key = NormalNoise.key(seed, component, t.name());
        long n = t.numel();
        for (long first = 0; first < n; first += WINDOW) {
            int count = (int) Math.min(WINDOW, n - first);
            NormalNoise.fill(key, first, count, init.mean(), init.std(), window);
            sink.write(window.slice(0, 2 * count));
        }
    }

    private static void checkTarget(Path target) throws IOException {
        if (!Files.exists(target)) return;
        if (!Files.isDirectory(target)) throw new FileAlreadyExistsException(target + ": exists and is not a folder");
        try (Stream<Path> s = Files.list(target)) {
            if (s.findAny().isPresent()) throw new DirectoryNotEmptyException(target + ": folder exists and is not empty");
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
