package refiner.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import refiner.engine.backend.Activation;
import refiner.engine.backend.Backend;
import refiner.engine.model.AutoencoderKL;
import refiner.engine.model.ClipTextModel;
import refiner.engine.model.UNet2DConditionModel;
import refiner.engine.tensor.Tensor;
import refiner.loader.DType;
import refiner.loader.Weights;
import refiner.loader.safetensors.TensorInfo;

/**
 * The networks built from the real full-size refiner configs bind exactly the key names and shapes
 * of the real checkpoints (../shared/models/fullsize-manifest), without the multi-gigabyte weights:
 * a backend that only records bindings stands in.
 */
class FullSizeBindingTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest(name = "full-size {0}")
    @ValueSource(strings = {"unet", "vae", "text_encoder_2"})
    void bindsEveryKeyWithItsShape(String component) throws IOException {
        JsonNode manifest = JSON.readTree(Golden.model("fullsize-manifest").resolve(component + "_parameters.json").toFile());
        ManifestWeights weights = new ManifestWeights(component, manifest.get("state_dict"));
        BindOnlyBackend backend = new BindOnlyBackend();
        JsonNode config = manifest.get("config");
        switch (component) {
            case "unet" -> new UNet2DConditionModel(backend, config, weights);
            case "vae" -> new AutoencoderKL(backend, config, weights);
            default -> new ClipTextModel(backend, config, weights);
        }
        assertEquals(weights.names().size(), backend.bound, component + ": tensors bound");
        assertEquals(manifest.get("num_state_dict_entries").asInt(), backend.bound, component + ": state dict entries");
    }

    /** Names and shapes of a checkpoint, without data. */
    private record ManifestWeights(String source, Map<String, TensorInfo> tensors) implements Weights {
        ManifestWeights(String component, JsonNode stateDict) {
            this(Path.of("fullsize-manifest", component).toString(), new LinkedHashMap<>());
            for (JsonNode e : stateDict) {
                long[] shape = new long[e.get("shape").size()];
                for (int i = 0; i < shape.length; i++) shape[i] = e.get("shape").get(i).asLong();
                tensors.put(e.get("name").asText(), new TensorInfo(e.get("name").asText(), DType.F16, shape, MemorySegment.NULL));
            }
        }

        @Override
        public Set<String> names() {
            return tensors.keySet();
        }

        @Override
        public TensorInfo get(String name) {
            TensorInfo t = tensors.get(name);
            if (t == null) throw new IllegalArgumentException(source + ": no tensor named '" + name + "'");
            return t;
        }
    }

    /** Counts weight bindings; every op is unsupported. */
    private static final class BindOnlyBackend implements Backend {
        int bound;

        private static UnsupportedOperationException no() {
            return new UnsupportedOperationException("binding only");
        }

        @Override public String name() { return "bind-only"; }
        @Override public Tensor allocate(int... shape) { throw no(); }
        @Override public Tensor upload(float[] data, int... shape) { throw no(); }
        @Override public float[] download(Tensor t) { throw no(); }
        @Override public void release(Tensor t) { }
        @Override public Tensor linear(Tensor x, Tensor w, Tensor bias) { throw no(); }
        @Override public Tensor conv2d(Tensor x, Tensor w, Tensor bias, int stride, int padding) { throw no(); }
        @Override public Tensor groupNorm(Tensor x, int groups, Tensor gamma, Tensor beta, float eps, boolean silu) { throw no(); }
        @Override public Tensor layerNorm(Tensor x, Tensor gamma, Tensor beta, float eps) { throw no(); }
        @Override public Tensor attention(Tensor q, Tensor k, Tensor v, int heads, boolean causal) { throw no(); }
        @Override public Tensor activation(Tensor x, Activation a) { throw no(); }
        @Override public Tensor geglu(Tensor x) { throw no(); }
        @Override public Tensor add(Tensor a, Tensor b) { throw no(); }
        @Override public Tensor addChannels(Tensor x, Tensor b) { throw no(); }
        @Override public Tensor scale(Tensor x, float s) { throw no(); }
        @Override public Tensor concat(int axis, Tensor a, Tensor b) { throw no(); }
        @Override public Tensor slice(Tensor x, int axis, int start, int end) { throw no(); }
        @Override public Tensor toTokens(Tensor x) { throw no(); }
        @Override public Tensor toImage(Tensor x, int height, int width) { throw no(); }
        @Override public Tensor upsampleNearest2x(Tensor x) { throw no(); }
        @Override public Tensor embedding(Tensor table, int[] ids) { throw no(); }
        @Override public void close() { }

        @Override
        public Tensor weight(TensorInfo w) {
            bound++;
            int[] shape = new int[w.shape().length];
            for (int i = 0; i < shape.length; i++) shape[i] = (int) w.shape()[i];
            return new Tensor(this, w.dtype(), shape, w.data(), false);
        }
    }
}
