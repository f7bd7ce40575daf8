package refiner.tests;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import refiner.engine.backend.cuda.CudaBackend;
import refiner.engine.backend.cuda.CudaProbe;
import refiner.engine.backend.cuda.Precision;
import refiner.engine.model.AutoencoderKL;
import refiner.engine.model.ClipTextModel;
import refiner.engine.model.Posterior;
import refiner.engine.model.UNet2DConditionModel;
import refiner.engine.tensor.Tensor;

/**
 * The tiny-refiner golden cases on the CUDA backend: the text encoder and the UNet in fp16, held
 * to the reduced-precision bound (relative L2 error <= 5e-3 per output), and the VAE in fp32,
 * held to the float32 bound of the VAE cases (max abs 2e-4). Skipped where no GPU is usable.
 */
@Tag("gpu")
class CudaGoldenTest {
    private static final double REL_L2_F16 = 5e-3;
    private static final double VAE_TOL = 2e-4;
    private static final Map<Precision, CudaBackend> CUDA = new EnumMap<>(Precision.class);
    private static final Map<String, Object> MODELS = new HashMap<>();

    static Stream<Named<JsonNode>> textCases() {
        return ModelFixture.cases("tiny-refiner", "text_encoder");
    }

    static Stream<Named<JsonNode>> unetCases() {
        return ModelFixture.cases("tiny-refiner", "unet");
    }

    static Stream<Named<JsonNode>> encodeCases() {
        return ModelFixture.cases("tiny-refiner", "vae_encode");
    }

    static Stream<Named<JsonNode>> decodeCases() {
        return ModelFixture.cases("tiny-refiner", "vae_decode");
    }

    @BeforeEach
    void needDevice() {
        CudaProbe p = CudaBackend.probe();
        Assumptions.assumeTrue(p.available(), "no usable CUDA device: " + p.reason());
    }

    private static synchronized CudaBackend cuda(Precision p) {
        return CUDA.computeIfAbsent(p, CudaBackend::open);
    }

    /** The network of {@code component}, built once on the backend of precision {@code p}. */
    @SuppressWarnings("unchecked")
    private static synchronized <T> T model(Golden g, String component, Precision p) {
        Path dir = ModelFixture.component(g, component);
        return (T) MODELS.computeIfAbsent(component + "@" + p, k -> switch (component) {
            case "text_encoder_2" -> new ClipTextModel(cuda(p), ModelFixture.config(dir), ModelFixture.weights(dir));
            case "unet" -> new UNet2DConditionModel(cuda(p), ModelFixture.config(dir), ModelFixture.weights(dir));
            case "vae" -> new AutoencoderKL(cuda(p), ModelFixture.config(dir), ModelFixture.weights(dir));
            default -> throw new IllegalArgumentException(component);
        });
    }

    @ParameterizedTest(name = "tiny-refiner {0} text encoder fp16")
    @MethodSource("textCases")
    void textEncoder(JsonNode c) {
        Golden g = Golden.of("tiny-refiner");
        String id = c.get("id").asText();
        CudaBackend b = cuda(Precision.F16);
        ClipTextModel encoder = model(g, "text_encoder_2", Precision.F16);
        for (String side : new String[] {"", "negative_"}) {
            try (ClipTextModel.Output o = encoder.forward(ModelFixture.ids(g, c.get("inputs").get(side + "input_ids")))) {
                relL2(id, side + "prompt_embeds", g.floats(c.get("outputs").get(side + "prompt_embeds")), b.download(o.hiddenStates()));
                relL2(id, side + "pooled_prompt_embeds", g.floats(c.get("outputs").get(side + "pooled_prompt_embeds")), b.download(o.pooled()));
            }
        }
    }

    @ParameterizedTest(name = "tiny-refiner {0} UNet fp16")
    @MethodSource("unetCases")
    void unet(JsonNode c) {
        Golden g = Golden.of("tiny-refiner");
        CudaBackend b = cuda(Precision.F16);
        UNet2DConditionModel unet = model(g, "unet", Precision.F16);
        JsonNode in = c.get("inputs");
        try (Tensor sample = upload(b, g, in.get("sample"));
             Tensor context = upload(b, g, in.get("encoder_hidden_states"));
             Tensor textEmbeds = upload(b, g, in.get("text_embeds"));
             Tensor out = unet.forward(sample, g.floats(in.get("timestep"))[0], context, textEmbeds, ModelFixture.rows(g, in.get("time_ids")))) {
            relL2(c.get("id").asText(), "sample", g.floats(c.get("outputs").get("sample")), b.download(out));
        }
    }

    @ParameterizedTest(name = "tiny-refiner {0} VAE encode fp32")
    @MethodSource("encodeCases")
    void vaeEncode(JsonNode c) {
        Golden g = Golden.of("tiny-refiner");
        CudaBackend b = cuda(Precision.F32);
        AutoencoderKL vae = model(g, "vae", Precision.F32);
        try (Tensor x = upload(b, g, c.get("inputs").get("image"));
             Posterior posterior = vae.encode(x)) {
            maxAbs(c.get("id").asText(), "mean", g.floats(c.get("outputs").get("mean")), b.download(posterior.mean()));
            maxAbs(c.get("id").asText(), "std", g.floats(c.get("outputs").get("std")), b.download(posterior.std()));
            maxAbs(c.get("id").asText(), "logvar", g.floats(c.get("outputs").get("logvar")), b.download(posterior.logvar()));
        }
    }

    @ParameterizedTest(name = "tiny-refiner {0} VAE decode fp32")
    @MethodSource("decodeCases")
    void vaeDecode(JsonNode c) {
        Golden g = Golden.of("tiny-refiner");
        CudaBackend b = cuda(Precision.F32);
        AutoencoderKL vae = model(g, "vae", Precision.F32);
        try (Tensor z = upload(b, g, c.get("inputs").get("z"));
             Tensor image = vae.decode(z)) {
            maxAbs(c.get("id").asText(), "sample", g.floats(c.get("outputs").get("sample")), b.download(image));
        }
    }

    private static Tensor upload(CudaBackend b, Golden g, JsonNode ref) {
        return b.upload(g.floats(ref), Golden.shape(ref));
    }

    private static void relL2(String id, String what, float[] expected, float[] actual) {
        double rel = Compare.relL2(expected, actual);
        System.out.printf("tiny-refiner %s on CUDA fp16: %s relative L2 error %.3g%n", id, what, rel);
        assertTrue(rel <= REL_L2_F16, id + ": " + what + " relative L2 error " + rel + " > " + REL_L2_F16);
    }

    private static void maxAbs(String id, String what, float[] expected, float[] actual) {
        double diff = Compare.maxAbsDiff(expected, actual);
        System.out.printf("tiny-refiner %s on CUDA fp32: %s max abs diff %.3g%n", id, what, diff);
        assertTrue(diff <= VAE_TOL, id + ": " + what + " max abs diff " + diff + " > " + VAE_TOL);
    }

    @AfterAll
    static void release() {
        MODELS.clear();
        CUDA.values().forEach(CudaBackend::close);
        CUDA.clear();
    }
}
