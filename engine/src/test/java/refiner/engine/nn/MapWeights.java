package refiner.engine.nn;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import refiner.loader.Weights;
import refiner.loader.safetensors.TensorInfo;

/** In-memory {@link Weights} for layer tests, named "test.safetensors". */
final class MapWeights implements Weights {
    private final Map<String, TensorInfo> tensors = new LinkedHashMap<>();
    private final Weights view = Weights.of("test.safetensors", tensors);

    MapWeights put(TensorInfo t) {
        tensors.put(t.name(), t);
        return this;
    }

    @Override
    public Set<String> names() {
        return view.names();
    }

    @Override
    public TensorInfo get(String name) {
        return view.get(name);
    }

    @Override
    public String source() {
        return view.source();
    }
}
