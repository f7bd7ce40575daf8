package refiner.tests;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import refiner.engine.backend.Backend;
import refiner.engine.backend.cuda.CudaBackend;
import refiner.engine.backend.cuda.CudaProbe;
import refiner.engine.backend.cuda.Precision;
import refiner.engine.backend.reference.ReferenceBackend;
import refiner.engine.tensor.Tensor;
import refiner.loader.safetensors.SafetensorsFile;

/**
 * The tiny-refiner golden cases on the CUDA backend. So far the text encoder (through
 * {@link ClipTextForward}); the UNet and VAE cases join when their network classes exist. The same
 * forward on the reference loops must meet the float32 bound (max abs 5e-5), which shows the
 * forward itself is right; CUDA in fp16 must meet relative L2 5e-3 per output.
 */
class CudaGoldenTest {
    static Stream<Arguments> textCases() {
        return Golden.cases("tiny-refiner", "text_encoder").stream().map(c -> Arguments.of(c.path("id").asText(), c));
    }

    @ParameterizedTest(name = "{0} on the reference loops")
    @MethodSource("textCases")
    void textEncoderReference(String id, JsonNode c) throws IOException {
        textEncoder(c, ReferenceBackend::new, false);
    }

    @Tag("gpu")
    @ParameterizedTest(name = "{0} on CUDA fp16")
    @MethodSource("textCases")
    void textEncoderCuda(String id, JsonNode c) throws IOException {
        CudaProbe p = CudaBackend.probe();
        Assumptions.assumeTrue(p.available(), "no usable CUDA device: " + p.reason());
        textEncoder(c, () -> CudaBackend.open(Precision.F16), true);
    }

    private static void textEncoder(JsonNode c, Supplier<Backend> backend, boolean reduced) throws IOException {
        Golden g = Golden.of("tiny-refiner");
        Path model = Golden.model("tiny-refiner").resolve("text_encoder_2/model.fp16.safetensors");
        JsonNode cfg = g.manifest().path("model_configs").path("text_encoder_2");
        int layers = cfg.path("num_hidden_layers").asInt(3), heads = cfg.path("num_attention_heads").asInt(2);
        try (SafetensorsFile w = SafetensorsFile.open(model); Backend b = backend.get()) {
            ClipTextForward clip = new ClipTextForward(b, w, layers, heads);
            for (String side : new String[] {"", "negative_"}) {
                long[] ids64 = g.longs(c.get("inputs").get(side + "input_ids"));
                int[] ids = new int[ids64.length];
                for (int i = 0; i < ids.length; i++) ids[i] = (int) ids64[i];
                Tensor[] out = clip.run(ids);
                compare(c.get("id").asText() + " " + side + "prompt_embeds", g.floats(c.get("outputs").get(side + "prompt_embeds")),
                        b.download(out[0]), reduced);
                compare(c.get("id").asText() + " " + side + "pooled_prompt_embeds",
                        g.floats(c.get("outputs").get(side + "pooled_prompt_embeds")), b.download(out[1]), reduced);
            }
        }
    }

    private static void compare(String what, float[] expected, float[] actual, boolean reduced) {
        if (reduced) {
            double rel = Compare.relL2(expected, actual);
            assertTrue(rel <= 5e-3, what + ": relative L2 error " + rel + " > 5e-3");
        } else {
            Compare.assertClose(what, expected, actual, 5e-5);
        }
    }
}
