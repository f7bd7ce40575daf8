package refiner.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import refiner.engine.backend.Backend;
import refiner.engine.backend.cpu.CpuBackend;
import refiner.engine.model.AutoencoderKL;
import refiner.engine.model.UNet2DConditionModel;
import refiner.engine.tensor.Tensor;
import refiner.loader.Weights;
import refiner.loader.safetensors.TensorInfo;

/**
 * Building the networks from the tiny models: the VAE's older attention spelling, one-line errors
 * for a wrong or extra tensor, and a UNet latent whose sides are not multiples of 8.
 */
class NetworkLoadingTest {
    private static final Backend CPU = new CpuBackend();

    /** {@code base} with every key renamed by {@code rename}, plus {@code extra}. */
    private record RenamedWeights(Weights base, UnaryOperator<String> rename, Map<String, TensorInfo> extra) implements Weights {
        private Map<String, String> index() {
            Map<String, String> m = new LinkedHashMap<>();
            for (String k : base.names()) m.put(rename.apply(k), k);
            return m;
        }

        @Override
        public Set<String> names() {
            Set<String> s = new LinkedHashSet<>(index().keySet());
            s.addAll(extra.keySet());
            return s;
        }

        @Override
        public TensorInfo get(String name) {
            if (extra.containsKey(name)) return extra.get(name);
            String original = index().get(name);
            if (original == null) throw new IllegalArgumentException(source() + ": no tensor named '" + name + "'");
            return base.get(original);
        }

        @Override
        public String source() {
            return base.source();
        }
    }

    private static Path component(String name) {
        return ModelFixture.component(Golden.of("tiny-refiner"), name);
    }

    @Test
    void vaeWithQueryKeyValueProjAttnKeysMeetsTheDecodeGolden() {
        Golden g = Golden.of("tiny-refiner");
        Path dir = component("vae");
        Weights legacy = new RenamedWeights(ModelFixture.weights(dir), k -> k.contains("attentions.0.")
                ? k.replace(".to_q.", ".query.").replace(".to_k.", ".key.").replace(".to_v.", ".value.").replace(".to_out.0.", ".proj_attn.")
                : k, Map.of());
        assertTrue(legacy.names().contains("decoder.mid_block.attentions.0.proj_attn.weight"));
        AutoencoderKL old = new AutoencoderKL(CPU, ModelFixture.config(dir), legacy);
        JsonNode c = g.caseById("vae_dec0");
        JsonNode z = c.get("inputs").get("z");
        try (Tensor x = CPU.upload(g.floats(z), Golden.shape(z)); Tensor image = old.decode(x)) {
            Compare.assertClose("vae_dec0 with query/key/value/proj_attn keys", g.floats(c.get("outputs").get("sample")), CPU.download(image), 2e-4);
        }
    }

    @Test
    void extraTensorIsNamedInOneLine() {
        Path dir = component("unet");
        Weights w = ModelFixture.weights(dir);
        Weights extra = new RenamedWeights(w, k -> k, Map.of("mid_block.attentions.1.norm.weight", w.get("conv_norm_out.weight")));
        var e = assertThrows(IllegalArgumentException.class, () -> new UNet2DConditionModel(CPU, ModelFixture.config(dir), extra));
        assertTrue(e.getMessage().contains("'mid_block.attentions.1.norm.weight' is not used by the network"), e.getMessage());
        assertTrue(e.getMessage().startsWith(w.source()), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void wrongComponentNamesTheFirstMissingKey() {
        Path vae = component("vae");
        JsonNode unetConfig = ModelFixture.config(component("unet"));
        var e = assertThrows(IllegalArgumentException.class, () -> new UNet2DConditionModel(CPU, unetConfig, ModelFixture.weights(vae)));
        assertEquals(ModelFixture.weights(vae).source() + ": missing tensor 'time_embedding.linear_1.weight' (expected shape [128, 32])",
                e.getMessage());
    }

    @Test
    void unetRunsOnLatentSidesThatAreNotMultiplesOfEight() {
        Path dir = component("unet");
        UNet2DConditionModel unet = new UNet2DConditionModel(CPU, ModelFixture.config(dir), ModelFixture.weights(dir));
        int h = 10, w = 13, pooled = unet.addEmbeddingInput() - 5 * unet.addTimeDim();
        float[] sample = new float[4 * h * w];
        for (int i = 0; i < sample.length; i++) sample[i] = (float) Math.sin(i);
        try (Tensor x = CPU.upload(sample, 1, 4, h, w);
             Tensor context = CPU.upload(new float[77 * unet.contextDim()], 1, 77, unet.contextDim());
             Tensor text = CPU.upload(new float[pooled], 1, pooled);
             Tensor out = unet.forward(x, 500f, context, text, new float[][] {{80, 104, 0, 0, 6}})) {
            assertArrayEquals(new int[] {1, 4, h, w}, out.shape());
            for (float v : CPU.download(out)) assertTrue(Float.isFinite(v));
        }
    }

    @AfterAll
    static void release() {
        CPU.close();
    }
}
