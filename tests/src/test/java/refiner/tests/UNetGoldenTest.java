package refiner.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import refiner.engine.backend.Backend;
import refiner.engine.backend.cpu.CpuBackend;
import refiner.engine.model.UNet2DConditionModel;
import refiner.engine.nn.CrossAttention;
import refiner.engine.nn.Timesteps;
import refiner.engine.tensor.Tensor;

/**
 * The SDXL UNet on the CPU backend against the diffusers goldens: every {@code unet} case of
 * tiny-refiner (5 time ids) and tiny-base (6 time ids), output within 5e-5 max abs.
 */
class UNetGoldenTest {
    private static final double TOL = 5e-5;
    private static final Backend CPU = new CpuBackend();
    private static final Map<Path, UNet2DConditionModel> MODELS = new HashMap<>();

    static Stream<Named<JsonNode>> refinerCases() {
        return ModelFixture.cases("tiny-refiner", "unet");
    }

    static Stream<Named<JsonNode>> baseCases() {
        return ModelFixture.cases("tiny-base", "unet");
    }

    @ParameterizedTest(name = "tiny-refiner {0}")
    @MethodSource("refinerCases")
    void refiner(JsonNode c) {
        check(Golden.of("tiny-refiner"), c);
    }

    @ParameterizedTest(name = "tiny-base {0}")
    @MethodSource("baseCases")
    void base(JsonNode c) {
        check(Golden.of("tiny-base"), c);
    }

    /**
     * The text's cross-attention keys and values projected once and reused by two steps give the
     * same bits as projecting them within each step; keys and values of another UNet are refused.
     */
    @ParameterizedTest(name = "tiny-refiner {0}: keys and values projected once")
    @MethodSource("refinerCases")
    void crossAttentionOnce(JsonNode c) {
        Golden g = Golden.of("tiny-refiner");
        UNet2DConditionModel unet = model(g);
        JsonNode in = c.get("inputs");
        float timestep = g.floats(in.get("timestep"))[0];
        float[][] timeIds = ModelFixture.rows(g, in.get("time_ids"));
        try (Tensor sample = upload(g, in.get("sample"));
             Tensor context = upload(g, in.get("encoder_hidden_states"));
             Tensor textEmbeds = upload(g, in.get("text_embeds"));
             CrossAttention text = unet.crossAttention(context)) {
            float[] perCall, first, second;
            try (Tensor out = unet.forward(sample, timestep, context, textEmbeds, timeIds)) {
                perCall = CPU.download(out);
            }
            try (Tensor out = unet.forward(sample, timestep, text, textEmbeds, timeIds)) {
                first = CPU.download(out);
            }
            try (Tensor out = unet.forward(sample, timestep, text, textEmbeds, timeIds)) {
                second = CPU.download(out);
            }
            assertArrayEquals(perCall, first);
            assertArrayEquals(perCall, second);
            UNet2DConditionModel other = new UNet2DConditionModel(CPU, ModelFixture.config(ModelFixture.component(g, "unet")),
                    ModelFixture.weights(ModelFixture.component(g, "unet")));
            assertThrows(IllegalArgumentException.class, () -> other.forward(sample, timestep, text, textEmbeds, timeIds));
        }
    }

    private static synchronized UNet2DConditionModel model(Golden g) {
        Path dir = ModelFixture.component(g, "unet");
        return MODELS.computeIfAbsent(dir, d -> new UNet2DConditionModel(CPU, ModelFixture.config(d), ModelFixture.weights(d)));
    }

    private static void check(Golden g, JsonNode c) {
        String id = c.get("id").asText();
        UNet2DConditionModel unet = model(g);
        JsonNode in = c.get("inputs");
        float timestep = g.floats(in.get("timestep"))[0];
        float[][] timeIds = ModelFixture.rows(g, in.get("time_ids"));
        DebugTrace trace = new DebugTrace();
        float[] actual;
        try (Tensor sample = upload(g, in.get("sample"));
             Tensor context = upload(g, in.get("encoder_hidden_states"));
             Tensor textEmbeds = upload(g, in.get("text_embeds"));
             Tensor out = unet.forward(sample, timestep, context, textEmbeds, timeIds, trace)) {
            assertEquals(Golden.shape(c.get("outputs").get("sample")).length, out.rank(), id + ": output rank");
            actual = CPU.download(out);
        }
        float[] expected = g.floats(c.get("outputs").get("sample"));
        double diff = Compare.maxAbsDiff(expected, actual);
        String firstOff = trace.firstOff(g, c.path("debug"), Map.of(), TOL);
        System.out.printf("%s %s: sample max abs diff %.3g (fp32 vs fp64 %s); first debug tensor off: %s%n",
                g.dir().getFileName(), id, diff, c.path("fp32_vs_fp64_max_abs_diff").path("sample"), firstOff);
        assertTrue(diff <= TOL, id + ": sample max abs diff " + diff + " > " + TOL + "; first debug tensor off: " + firstOff);
        DebugTrace.assertNoneOff(id, firstOff);
        checkFrequencies(g, c, id);
    }

    /** Where the case stores torch's float32 sinusoid tables, ours are within one ulp of them. */
    private static void checkFrequencies(Golden g, JsonNode c, String id) {
        JsonNode config = ModelFixture.config(ModelFixture.component(g, "unet"));
        int[] widths = {config.get("block_out_channels").get(0).asInt(), config.get("addition_time_embed_dim").asInt()};
        String[] names = {"time_proj_freqs", "add_time_proj_freqs"};
        for (int k = 0; k < 2; k++) {
            JsonNode ref = c.path("debug").path(names[k]);
            if (ref.isMissingNode()) continue;
            float[] expected = g.floats(ref);
            float[] ours = new Timesteps(widths[k], true, 0f).frequencies();
            assertEquals(expected.length, ours.length, id + ": " + names[k] + " length");
            for (int i = 0; i < ours.length; i++) {
                assertTrue(Math.abs(expected[i] - ours[i]) <= Math.ulp(expected[i]),
                        id + ": " + names[k] + "[" + i + "] = " + ours[i] + ", torch " + expected[i]);
            }
        }
    }

    private static Tensor upload(Golden g, JsonNode ref) {
        return CPU.upload(g.floats(ref), Golden.shape(ref));
    }

    @AfterAll
    static void release() {
        CPU.close();
    }
}
