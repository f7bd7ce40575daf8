package refiner.engine.nn;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import refiner.loader.Weights;
import refiner.loader.safetensors.TensorInfo;

/** In-memory {@link Weights} for layer tests, named "test.safetensors". */
final class MapWeights implements Weights {
    private final Map<String, TensorInfo> tensors = new LinkedHashMap<>();

    MapWeights put(TensorInfo t) {
        tensors.put(t.name(), t);
        return this;
    }

    @Override
    public Set<String> names() {
        return tensors.keySet();
    }

    @Override
    public TensorInfo get(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) throw new IllegalArgumentException(source() + ": no tensor named '" + name + "'");
        return t;
    }

    @Override
    public String source() {
        return "test.safetensors";
    }
}
