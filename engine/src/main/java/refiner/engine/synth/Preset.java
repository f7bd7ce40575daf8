package refiner.engine.synth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The topologies a synthetic model can take. Each preset is a set of config.json resources under
 * {@code refiner/engine/synth/<name>/}; the files every preset shares (model_index.json, the
 * scheduler config and the CLIP tokenizer) lie under {@code refiner/engine/synth/common/}.
 */
public enum Preset {
    /** The tiny refiner of the test fixtures: same key names, small widths, about 18 MB in fp16. */
    TINY("tiny"),
    /** The full-size SDXL refiner 1.0 topology, about 6 GB in fp16. */
    REFINER_1_0("refiner-1.0");

    static final String ROOT = "/refiner/engine/synth/";
    /** Files copied unchanged into every synthetic model, relative to its root. */
    static final List<String> COMMON_FILES = List.of(
            "model_index.json",
            "scheduler/scheduler_config.json",
            "tokenizer_2/vocab.json",
            "tokenizer_2/merges.txt",
            "tokenizer_2/tokenizer_config.json",
            "tokenizer_2/special_tokens_map.json");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String id;

    Preset(String id) {
        this.id = id;
    }

    /** The name used on the command line, e.g. {@code refiner-1.0}. */
    public String id() {
        return id;
    }

    /** The preset named {@code id}, or an {@link IllegalArgumentException} listing the known ones. */
    public static Preset of(String id) {
        for (Preset p : values()) {
            if (p.id.equals(id)) return p;
        }
        throw new IllegalArgumentException("unknown preset '" + id + "' (known: tiny, refiner-1.0)");
    }

    /** The config.json of one component of this preset. */
    public JsonNode config(Component component) {
        try (InputStream in = resource(id + "/" + component.folder() + "/config.json")) {
            return JSON.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every checkpoint tensor of one component of this preset. */
    public List<Param> params(Component component) {
        return component.params(config(component));
    }

    /** A bundled resource below {@link #ROOT}; an {@link IOException} when it is missing from the jar. */
    static InputStream resource(String path) throws IOException {
        InputStream in = Preset.class.getResourceAsStream(ROOT + path);
        if (in == null) throw new IOException("resource " + ROOT + path + " is missing from the build");
        return in;
    }
}
