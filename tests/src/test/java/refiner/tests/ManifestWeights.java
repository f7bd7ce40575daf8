package refiner.tests;

import com.fasterxml.jackson.databind.JsonNode;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import refiner.loader.DType;
import refiner.loader.Weights;
import refiner.loader.safetensors.TensorInfo;

/** The key names and shapes of a full-size checkpoint (../shared/models/fullsize-manifest), without data. */
final class ManifestWeights {
    private ManifestWeights() {
    }

    /** From a manifest's {@code state_dict} list of {@code {"name", "shape"}}. */
    static Weights of(String component, JsonNode stateDict) {
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        for (JsonNode e : stateDict) {
            long[] shape = new long[e.get("shape").size()];
            for (int i = 0; i < shape.length; i++) shape[i] = e.get("shape").get(i).asLong();
            tensors.put(e.get("name").asText(), new TensorInfo(e.get("name").asText(), DType.F16, shape, MemorySegment.NULL));
        }
        return Weights.of(Path.of("fullsize-manifest", component).toString(), tensors);
    }
}
