package refiner.tests.random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import refiner.engine.random.TorchGenerator;
import refiner.tests.Golden;

/** {@link TorchGenerator} against every case of the torch CPU generator goldens and the pipelines' draws, bit for bit. */
class RngGoldenTest {
    private static final List<String> KINDS = List.of(
            "randn", "stream", "rand", "randn_float64", "uniform_debug", "mt19937_words", "randn_scalar_kernel");

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (String kind : KINDS) {
            for (JsonNode c : Golden.cases("rng", kind)) out.add(Arguments.of(Named.of(c.get("id").asText(), c)));
        }
        return out.stream();
    }

    static Stream<Arguments> pipelineCases() {
        return Golden.cases("tiny-refiner", "pipeline").stream().map(c -> Arguments.of(Named.of(c.get("id").asText(), c)));
    }

    /** Every draw a diffusers img2img run made, in order, from one generator seeded with the run's seed. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("pipelineCases")
    void pipelineDraws(JsonNode c) {
        Golden g = Golden.of("tiny-refiner");
        TorchGenerator gen = new TorchGenerator(c.get("seed").asLong());
        JsonNode order = c.get("rng_draw_order");
        JsonNode draws = c.get("all_rng_draws");
        assertEquals(order.size(), draws.size(), "draws listed");
        for (int k = 0; k < order.size(); k++) {
            JsonNode d = order.get(k);
            assertEquals("torch.float32", d.get("dtype").asText(), "draw " + k + " dtype");
            String what = c.get("id").asText() + " draw_" + k + " (" + d.get("site").asText() + ")";
            assertBits(what, g.floats(draws.get("draw_" + k)), gen.randn(shape(d.get("shape"))));
        }
        assertBits("rng_vae_sample_noise", g.floats(c.get("inputs").get("rng_vae_sample_noise")), g.floats(draws.get("draw_0")));
        assertBits("rng_add_noise", g.floats(c.get("inputs").get("rng_add_noise")), g.floats(draws.get("draw_1")));
    }

    @Test
    void everyCaseKindIsCovered() {
        Set<String> kinds = new TreeSet<>();
        for (JsonNode c : Golden.of("rng").manifest().get("cases")) kinds.add(c.get("kind").asText());
        assertEquals(new TreeSet<>(KINDS), kinds, "case kinds of the rng manifest");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesTorch(JsonNode c) {
        Golden g = Golden.of("rng");
        switch (c.get("kind").asText()) {
            case "randn" -> assertBits(c.get("id").asText(), g.floats(out(c, "randn")), gen(c).randn(shape(c.get("shape"))));
            case "rand" -> checkRand(g, c);
            case "randn_float64" -> assertBits(c.get("id").asText(), g.doubles(out(c, "randn")), gen(c).randnDouble(shape(c.get("shape"))));
            case "stream" -> checkStream(g, c);
            case "uniform_debug" -> checkUniforms(g, c);
            case "mt19937_words" -> checkWords(g, c);
            case "randn_scalar_kernel" -> checkScalarKernelDiffers(g, c);
            default -> fail("unknown case kind " + c.get("kind").asText());
        }
    }

    private static void checkRand(Golden g, JsonNode c) {
        int[] shape = shape(c.get("shape"));
        String id = c.get("id").asText();
        switch (c.get("dtype").asText()) {
            case "float32" -> assertBits(id, g.floats(out(c, "rand")), gen(c).rand(shape));
            case "float64" -> assertBits(id, g.doubles(out(c, "rand")), gen(c).randDouble(shape));
            default -> fail(id + ": unknown dtype " + c.get("dtype").asText());
        }
    }

    private static void checkStream(Golden g, JsonNode c) {
        TorchGenerator gen = gen(c);
        JsonNode draws = c.get("draws");
        for (int k = 0; k < draws.size(); k++) {
            JsonNode d = draws.get(k);
            int[] shape = shape(d.get("shape"));
            float[] actual = switch (d.get("fn").asText()) {
                case "randn" -> gen.randn(shape);
                case "rand" -> gen.rand(shape);
                default -> throw new AssertionError("unknown draw fn " + d.get("fn").asText());
            };
            assertBits(c.get("id").asText() + " draw_" + k, g.floats(out(c, "draw_" + k)), actual);
        }
    }

    /** The uniforms behind randn: float32 words for the block path, double pairs for the small path. */
    private static void checkUniforms(Golden g, JsonNode c) {
        JsonNode ref = out(c, "uniforms");
        int n = Golden.shape(ref)[0];
        String id = c.get("id").asText();
        if (ref.get("dtype").asText().equals("F64")) {
            assertBits(id, g.doubles(ref), gen(c).randDouble(n));
        } else {
            assertBits(id, g.floats(ref), gen(c).rand(n));
        }
    }

    private static void checkWords(Golden g, JsonNode c) {
        long[] expected = g.longs(out(c, "words"));
        TorchGenerator gen = gen(c);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], gen.nextWord(), c.get("id").asText() + ": word " + i);
        }
    }

    /** The non-AVX2 result differs from ours exactly as the manifest records (ours being the AVX2 one). */
    private static void checkScalarKernelDiffers(Golden g, JsonNode c) {
        float[] scalar = g.floats(out(c, "randn"));
        float[] ours = gen(c).randn(shape(c.get("shape")));
        int different = 0;
        double maxAbs = 0;
        for (int i = 0; i < ours.length; i++) {
            if (Float.floatToRawIntBits(ours[i]) != Float.floatToRawIntBits(scalar[i])) different++;
            maxAbs = Math.max(maxAbs, Math.abs(ours[i] - scalar[i]));
        }
        JsonNode doc = c.get("differs_from_avx2");
        assertEquals(doc.get("n_elements_different").asInt(), different, c.get("id").asText() + ": elements different");
        assertEquals(doc.get("max_abs_diff").asDouble(), maxAbs, 0.0, c.get("id").asText() + ": max abs diff");
    }

    private static TorchGenerator gen(JsonNode c) {
        return new TorchGenerator(c.get("seed").asLong());
    }

    private static JsonNode out(JsonNode c, String name) {
        JsonNode ref = c.path("outputs").get(name);
        if (ref == null) throw new AssertionError(c.get("id").asText() + ": no output " + name);
        return ref;
    }

    private static int[] shape(JsonNode s) {
        int[] shape = new int[s.size()];
        for (int i = 0; i < shape.length; i++) shape[i] = s.get(i).asInt();
        return shape;
    }

    private static void assertBits(String what, float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, what + ": element count");
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                fail(what + ": element " + i + " is " + actual[i] + ", torch gives " + expected[i]);
            }
        }
    }

    private static void assertBits(String what, double[] expected, double[] actual) {
        assertEquals(expected.length, actual.length, what + ": element count");
        for (int i = 0; i < expected.length; i++) {
            if (Double.doubleToRawLongBits(expected[i]) != Double.doubleToRawLongBits(actual[i])) {
                fail(what + ": element " + i + " is " + actual[i] + ", torch gives " + expected[i]);
            }
        }
    }
}
