package refiner.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The safetensors files that hold a component's weights: the fp16 variant when there is one, else
 * the plain file; a sharded checkpoint through its {@code .index.json}.
 */
final class WeightFiles {
    private static final List<String> STEMS = List.of("diffusion_pytorch_model", "model");
    private static final List<String> VARIANTS = List.of(".fp16.safetensors", ".safetensors");
    private static final ObjectMapper JSON = new ObjectMapper();

    private WeightFiles() {
    }

    /** The chosen files of the component folder {@code dir}; an {@link IOException} when none is there. */
    static List<Path> of(Path dir) throws IOException {
        for (String variant : VARIANTS) {
            for (String stem : STEMS) {
                Path index = dir.resolve(stem + variant + ".index.json");
                if (Files.isRegularFile(index)) return shards(index);
                Path single = dir.resolve(stem + variant);
                if (Files.isRegularFile(single)) return List.of(single);
            }
        }
        throw new IOException(dir + ": no safetensors weights (looked for diffusion_pytorch_model[.fp16].safetensors and model[.fp16].safetensors)");
    }

    private static List<Path> shards(Path index) throws IOException {
        JsonNode map = JSON.readTree(index.toFile()).get("weight_map");
        if (map == null || !map.isObject()) throw new IOException(index + ": no weight_map object");
        Set<String> names = new LinkedHashSet<>();
        map.elements().forEachRemaining(v -> names.add(v.asText()));
        List<Path> out = new ArrayList<>();
        for (String n : names) out.add(index.resolveSibling(n));
        return out;
    }
}
