package refiner.loader.hf;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import refiner.loader.Weights;
import refiner.loader.safetensors.SafetensorsFile;

/**
 * One component of a model folder (unet, vae, text_encoder_2, tokenizer_2, scheduler): its folder,
 * the class model_index.json names for it, its configuration and, for a model, its weights.
 */
public final class Component {

    /** What a component holds, as told by the class model_index.json names for it. */
    public enum Kind {
        /** A network: {@code config.json} and safetensors weights. */
        MODEL("config.json"),
        /** A byte-level BPE tokenizer: {@code tokenizer_config.json}, {@code vocab.json}, {@code merges.txt}. */
        TOKENIZER("tokenizer_config.json", "vocab.json", "merges.txt"),
        /** A noise scheduler: {@code scheduler_config.json}. */
        SCHEDULER("scheduler_config.json");

        private final String configFile;
        private final List<String> files;

        Kind(String configFile, String... otherFiles) {
            this.configFile = configFile;
            this.files = List.of(otherFiles);
        }

        /** The kind of a component whose class is {@code className} (e.g. "EulerDiscreteScheduler"). */
        static Kind of(String className) {
            if (className.endsWith("Scheduler")) return SCHEDULER;
            if (className.contains("Tokenizer")) return TOKENIZER;
            return MODEL;
        }
    }

    private final String name;
    private final Path dir;
    private final String library;
    private final String className;
    private final Kind kind;
    private JsonNode config;

    Component(String name, Path dir, String library, String className) {
        this.name = name;
        this.dir = dir;
        this.library = library;
        this.className = className;
        this.kind = Kind.of(className);
    }

    public String name() {
        return name;
    }

    public Path dir() {
        return dir;
    }

    /** The library model_index.json names ("diffusers", "transformers"). */
    public String library() {
        return library;
    }

    /** The class model_index.json names ("UNet2DConditionModel", "CLIPTokenizer"). */
    public String className() {
        return className;
    }

    public Kind kind() {
        return kind;
    }

    /** The configuration file: config.json, scheduler_config.json or tokenizer_config.json by kind. */
    public Path configFile() {
        return dir.resolve(kind.configFile);
    }

    /** The parsed configuration, read once; treat it as read-only. */
    public synchronized JsonNode config() throws ModelException {
        if (config == null) {
            requireDir();
            config = Json.readObject(configFile());
        }
        return config;
    }

    /** The safetensors files holding this model's weights: one file, or the shards of an index. */
    public List<Path> weightFiles() throws ModelException {
        WeightChoice w = weights();
        return w.index() ? ShardIndex.read(w.file()).shards() : List.of(w.file());
    }

    /**
     * Maps the weights: a {@link SafetensorsFile} for a single file, a {@link ShardedWeights} for an
     * index. The caller closes them.
     */
    public Weights openWeights() throws IOException {
        WeightChoice w = weights();
        return w.index() ? ShardedWeights.open(w.file()) : SafetensorsFile.open(w.file());
    }

    /**
     * Every reason this component cannot be loaded, each naming its path, without reading any
     * weights: a missing folder, a missing or malformed configuration, missing files of a tokenizer,
     * missing or ambiguous weights of a model, shards an index names but the folder lacks.
     */
    List<String> problems() {
        List<String> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            out.add(dir + ": folder of component '" + name + "' is missing");
            return out;
        }
        try {
            config();
        } catch (ModelException e) {
            out.add(e.getMessage());
        }
        for (String f : kind.files) {
            if (!Files.isRegularFile(dir.resolve(f))) out.add(dir.resolve(f) + ": missing");
        }
        if (kind == Kind.MODEL) {
            try {
                for (Path p : weightFiles()) {
                    if (!Files.isRegularFile(p)) out.add(p + ": shard missing");
                }
            } catch (ModelException e) {
                out.add(e.getMessage());
            }
        }
        return out;
    }

    private WeightChoice weights() throws ModelException {
        if (kind != Kind.MODEL) throw new ModelException(dir, "component '" + name + "' (" + className + ") holds no weights");
        requireDir();
        return WeightChoice.of(dir);
    }

    private void requireDir() throws ModelException {
        if (!Files.isDirectory(dir)) throw new ModelException(dir, "folder of component '" + name + "' is missing");
    }
}
