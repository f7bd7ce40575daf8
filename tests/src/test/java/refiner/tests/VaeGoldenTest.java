package refiner.tests;

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
import refiner.engine.model.AutoencoderKL;
import refiner.engine.model.Posterior;
import refiner.engine.tensor.Tensor;

/**
 * The SDXL VAE on the CPU backend against the diffusers goldens of tiny-refiner: posterior mean,
 * std and logvar of every {@code vae_encode} case, the image of every {@code vae_decode} case,
 * within 2e-4 max abs.
 */
class VaeGoldenTest {
    private static final double TOL = 2e-4;
    private static final Backend CPU = new CpuBackend();
    private static final Map<Path, AutoencoderKL> MODELS = new HashMap<>();

    static Stream<Named<JsonNode>> encodeCases() {
        return ModelFixture.cases("tiny-refiner", "vae_encode");
    }

    static Stream<Named<JsonNode>> decodeCases() {
        return ModelFixture.cases("tiny-refiner", "vae_decode");
    }

    private static synchronized AutoencoderKL model(Golden g) {
        Path dir = ModelFixture.component(g, "vae");
        return MODELS.computeIfAbsent(dir, d -> new AutoencoderKL(CPU, ModelFixture.config(d), ModelFixture.weights(d)));
    }

    @ParameterizedTest(name = "tiny-refiner {0}")
    @MethodSource("encodeCases")
    void encode(JsonNode c) {
        Golden g = Golden.of("tiny-refiner");
        String id = c.get("id").asText();
        DebugTrace trace = new DebugTrace();
        JsonNode image = c.get("inputs").get("image");
        float[][] actual = new float[3][];
        try (Tensor x = CPU.upload(g.floats(image), Golden.shape(image));
             Posterior posterior = model(g).encode(x, trace)) {
            actual[0] = CPU.download(posterior.mean());
            actual[1] = CPU.download(posterior.std());
            actual[2] = CPU.download(posterior.logvar());
        }
        String firstOff = trace.firstOff(g, c.path("debug"), Map.of(), TOL);
        String[] names = {"mean", "std", "logvar"};
        for (int k = 0; k < names.length; k++) {
            double diff = Compare.maxAbsDiff(g.floats(c.get("outputs").get(names[k])), actual[k]);
            System.out.printf("tiny-refiner %s: %s max abs diff %.3g (fp32 vs fp64 %s); first debug tensor off: %s%n",
                    id, names[k], diff, c.path("fp32_vs_fp64_max_abs_diff").path(names[k]), firstOff);
            assertTrue(diff <= TOL, id + ": " + names[k] + " max abs diff " + diff + " > " + TOL + "; first debug tensor off: " + firstOff);
        }
        DebugTrace.assertNoneOff(id, firstOff);
    }

    @ParameterizedTest(name = "tiny-refiner {0}")
    @MethodSource("decodeCases")
    void decode(JsonNode c) {
        Golden g = Golden.of("tiny-refiner");
        String id = c.get("id").asText();
        DebugTrace trace = new DebugTrace();
        JsonNode z = c.get("inputs").get("z");
        float[] actual;
        try (Tensor x = CPU.upload(g.floats(z), Golden.shape(z));
             Tensor image = model(g).decode(x, trace)) {
            actual = CPU.download(image);
        }
        double diff = Compare.maxAbsDiff(g.floats(c.get("outputs").get("sample")), actual);
        String firstOff = trace.firstOff(g, c.path("debug"), Map.of(), TOL);
        System.out.printf("tiny-refiner %s: sample max abs diff %.3g (fp32 vs fp64 %s); first debug tensor off: %s%n",
                id, diff, c.path("fp32_vs_fp64_max_abs_diff").path("sample"), firstOff);
        assertTrue(diff <= TOL, id + ": sample max abs diff " + diff + " > " + TOL + "; first debug tensor off: " + firstOff);
        DebugTrace.assertNoneOff(id, firstOff);
    }

    @AfterAll
    static void release() {
        CPU.close();
    }
}
