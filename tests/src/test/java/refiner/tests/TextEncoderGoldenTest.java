package refiner.tests;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import refiner.engine.backend.Backend;
import refiner.engine.backend.cpu.CpuBackend;
import refiner.engine.model.ClipTextModel;

/**
 * The CLIP text encoders on the CPU backend against the diffusers goldens, within 5e-5 max abs:
 * every {@code text_encoder} case of tiny-refiner (bigG-style encoder with projection, prompt and
 * negative, alone and batched), and the per-encoder part of every {@code encode_prompt} case of
 * tiny-base (CLIP-L-style encoder without projection beside the projected one, clip skip).
 */
class TextEncoderGoldenTest {
    private static final double TOL = 5e-5;
    private static final Map<String, String> ALIASES = Map.of("pooled_output_before_projection", "pooled_output");
    private static final Backend CPU = new CpuBackend();
    private static final Map<Path, ClipTextModel> MODELS = new HashMap<>();

    static Stream<Named<JsonNode>> refinerCases() {
        return ModelFixture.cases("tiny-refiner", "text_encoder");
    }

    static Stream<Named<JsonNode>> baseCases() {
        return ModelFixture.cases("tiny-base", "encode_prompt");
    }

    private static synchronized ClipTextModel model(Golden g, String component) {
        Path dir = ModelFixture.component(g, component);
        return MODELS.computeIfAbsent(dir, d -> new ClipTextModel(CPU, ModelFixture.config(d), ModelFixture.weights(d)));
    }

    @ParameterizedTest(name = "tiny-refiner {0}")
    @MethodSource("refinerCases")
    void refiner(JsonNode c) {
        Golden g = Golden.of("tiny-refiner");
        String id = c.get("id").asText();
        ClipTextModel encoder = model(g, "text_encoder_2");
        JsonNode in = c.get("inputs"), out = c.get("outputs");
        int[][] positive = ModelFixture.ids(g, in.get("input_ids"));
        int[][] negative = ModelFixture.ids(g, in.get("negative_input_ids"));

        DebugTrace trace = new DebugTrace();
        float[] hidden, pooled;
        try (ClipTextModel.Output o = encoder.forward(positive, 0, trace)) {
            hidden = CPU.download(o.hiddenStates());
            pooled = CPU.download(o.pooled());
        }
        String firstOff = trace.firstOff(g, c.path("debug"), ALIASES, TOL);
        expectClose(g, id, "prompt_embeds", out.get("prompt_embeds"), hidden, firstOff);
        expectClose(g, id, "pooled_prompt_embeds", out.get("pooled_prompt_embeds"), pooled, firstOff);

        int[][] batch = {negative[0], positive[0]};
        try (ClipTextModel.Output o = encoder.forward(batch)) {
            float[] h = CPU.download(o.hiddenStates()), p = CPU.download(o.pooled());
            int hs = h.length / 2, ps = p.length / 2;
            expectClose(g, id, "batched negative_prompt_embeds", out.get("negative_prompt_embeds"), Arrays.copyOfRange(h, 0, hs), firstOff);
            expectClose(g, id, "batched negative_pooled_prompt_embeds", out.get("negative_pooled_prompt_embeds"), Arrays.copyOfRange(p, 0, ps), firstOff);
            expectClose(g, id, "batched prompt_embeds", out.get("prompt_embeds"), Arrays.copyOfRange(h, hs, 2 * hs), firstOff);
            expectClose(g, id, "batched pooled_prompt_embeds", out.get("pooled_prompt_embeds"), Arrays.copyOfRange(p, ps, 2 * ps), firstOff);
        }
        DebugTrace.assertNoneOff(id, firstOff);
    }

    /**
     * prompt_embeds = cat(text_encoder hidden, text_encoder_2 hidden) along the width, pooled from
     * text_encoder_2. A zeroed negative (no negative ids in the case) is the pipeline's business.
     */
    @ParameterizedTest(name = "tiny-base {0}")
    @MethodSource("baseCases")
    void base(JsonNode c) {
        Golden g = Golden.of("tiny-base");
        String id = c.get("id").asText();
        ClipTextModel first = model(g, "text_encoder");
        ClipTextModel second = model(g, "text_encoder_2");
        JsonNode in = c.get("inputs"), out = c.get("outputs");
        DebugTrace trace = new DebugTrace();
        for (String side : new String[] {"positive", "negative"}) {
            String pre = side.equals("positive") ? "" : "negative_";
            if (!in.has(pre + "input_ids_1")) continue;
            int index = c.path("hidden_state_index_used").path(side).asInt(-2);
            int clipSkip = -index - 2;
            float[] h1, h2, pooled;
            try (ClipTextModel.Output o1 = first.forward(ModelFixture.ids(g, in.get(pre + "input_ids_1")), clipSkip, trace.under(side + ".text_encoder."));
                 ClipTextModel.Output o2 = second.forward(ModelFixture.ids(g, in.get(pre + "input_ids_2")), clipSkip, trace.under(side + ".text_encoder_2."))) {
                h1 = CPU.download(o1.hiddenStates());
                h2 = CPU.download(o2.hiddenStates());
                pooled = CPU.download(o2.pooled());
            }
            int w1 = first.width(), w2 = second.width(), rows = h1.length / w1;
            float[] joined = new float[rows * (w1 + w2)];
            for (int r = 0; r < rows; r++) {
                System.arraycopy(h1, r * w1, joined, r * (w1 + w2), w1);
                System.arraycopy(h2, r * w2, joined, r * (w1 + w2) + w1, w2);
            }
            String firstOff = trace.firstOff(g, c.path("debug"), Map.of(), TOL);
            expectClose(g, id, pre + "prompt_embeds", out.get(pre + "prompt_embeds"), joined, firstOff);
            expectClose(g, id, pre + "pooled_prompt_embeds", out.get(pre + "pooled_prompt_embeds"), pooled, firstOff);
            DebugTrace.assertNoneOff(id, firstOff);
        }
    }

    private static void expectClose(Golden g, String id, String what, JsonNode ref, float[] actual, String firstOff) {
        double diff = Compare.maxAbsDiff(g.floats(ref), actual);
        System.out.printf("%s %s: %s max abs diff %.3g; first debug tensor off: %s%n", g.dir().getFileName(), id, what, diff, firstOff);
        assertTrue(diff <= TOL, id + ": " + what + " max abs diff " + diff + " > " + TOL + "; first debug tensor off: " + firstOff);
    }

    @AfterAll
    static void release() {
        CPU.close();
    }
}
