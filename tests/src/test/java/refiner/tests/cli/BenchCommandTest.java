package refiner.tests.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import refiner.cli.Refiner;

/** {@code refiner bench} end to end on a tiny synthetic model, in process. */
class BenchCommandTest {
    @TempDir
    Path dir;

    private static String[] run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Refiner.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new String[] {Integer.toString(code), out.toString(), err.toString()};
    }

    @Test
    void benchesTheTinyModelAndWritesJson() throws IOException {
        Path model = dir.resolve("tiny");
        assertEquals("0", run("synth", "--preset", "tiny", "--out", model.toString())[0]);
        Path json = dir.resolve("bench.json");
        String[] r = run("bench", "--model", model.toString(), "--backend", "cpu", "--width", "32", "--height", "32",
                "--steps", "1", "--repeat", "1", "--json", json.toString(), "--profile");
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains("unet_step") && r[1].contains("fp32 FMA peak") && r[1].contains("op (all stages)"), r[1]);
        JsonNode report = new ObjectMapper().readTree(json.toFile());
        assertTrue(report.at("/machine/fma_peak_gflops").asDouble() > 0);
        assertTrue(report.at("/stages/unet_step/median_s").asDouble() > 0);
        assertTrue(report.at("/stages/vae_decode/gflops").asDouble() > 0);
        assertTrue(report.at("/peak_rss_bytes").asLong() > 0);
    }

    @Test
    void badSizeAndUnknownBackendAreUsageErrors() {
        String[] size = run("bench", "--model", dir.toString(), "--width", "100");
        assertEquals("2", size[0]);
        assertTrue(size[2].startsWith("refiner: image size 100x512 must be positive multiples of 8"), size[2]);
        String[] backend = run("bench", "--model", dir.toString(), "--backend", "tpu");
        assertEquals("2", backend[0]);
        assertTrue(backend[2].startsWith("refiner: unknown backend 'tpu': use cpu, cuda or auto"), backend[2]);
    }
}
