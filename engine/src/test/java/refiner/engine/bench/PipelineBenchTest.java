package refiner.engine.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import refiner.engine.backend.cpu.CpuBackend;
import refiner.engine.synth.Component;
import refiner.engine.synth.Preset;
import refiner.engine.synth.SynthModel;

/** The stage driver end to end on the tiny preset. */
class PipelineBenchTest {
    @TempDir
    static Path dir;
    static Path model;

    @BeforeAll
    static void write() throws IOException {
        model = dir.resolve("tiny");
        SynthModel.write(Preset.TINY, 1, model);
    }

    @Test
    void timesEveryStageAndCountsItsWork() throws IOException {
        StringWriter log = new StringWriter();
        BenchReport r;
        try (CpuBackend cpu = new CpuBackend(2)) {
            r = PipelineBench.run(model, cpu, cpu, new PipelineBench.Options(40, 32, 2, 2, 1, true), new PrintWriter(log, true));
        }
        assertEquals(List.of("text_encoder", "vae_encode", "unet_context", "unet_step", "vae_decode"), List.copyOf(r.stages().keySet()));
        assertEquals(4, r.stages().get("unet_step").timings().seconds().length, "2 steps x 2 repeats");
        assertEquals(2, r.stages().get("unet_context").timings().seconds().length, "once per repeat");
        assertEquals(2, r.stages().get("vae_decode").timings().seconds().length);
        long crossKeyValues = MacCounter.unetCrossAttention(Preset.TINY.config(Component.UNET), 2, 77);
        assertEquals(crossKeyValues, r.stages().get("unet_context").macs());
        assertEquals(MacCounter.unet(Preset.TINY.config(Component.UNET), 2, 4, 5, 77).total().total() - crossKeyValues,
                r.stages().get("unet_step").macs());
        assertEquals(MacCounter.vaeDecode(Preset.TINY.config(Component.VAE), 1, 32, 40).total().total(), r.stages().get("vae_decode").macs());
        r.stages().values().forEach(s -> assertTrue(s.timings().min() > 0 && s.gflops() > 0));
        r.stages().forEach((name, s) -> {
            if (name.equals("unet_context")) return;  // its keys and values stay on the backend, unread
            assertEquals(0, s.nonFiniteOutputs(), name + " outputs are finite");
            assertTrue(s.maxAbsOutput() > 1e-3 && s.maxAbsOutput() < 1e4, name + " outputs in a normal range: " + s.maxAbsOutput());
        });
        assertTrue(r.fmaPeakGflops() > 0);
        assertTrue(r.loadSeconds() > 0 && r.timeToFirstStepSeconds() > r.loadSeconds());
        assertTrue(r.peakRssBytes() > 0);
        assertFalse(r.profile().isEmpty());
        long profiledMacs = r.profile().stream().mapToLong(OpStats::macs).sum();
        long countedMacs = r.stages().values().stream().mapToLong(s -> s.macs() * s.timings().seconds().length).sum();
        assertEquals(countedMacs, profiledMacs, "the profiler sees exactly the analytic work of every stage");

        JsonNode json = r.toJson();
        for (String key : List.of("/machine/fma_peak_gflops", "/machine/fma_peak_end_gflops", "/machine/cpu", "/machine/threads", "/load_s", "/time_to_first_step_s",
                "/peak_rss_bytes", "/stages/unet_step/median_s", "/stages/unet_step/min_s", "/stages/unet_step/max_s",
                "/stages/text_encoder/gflops", "/stages/vae_encode/gflops", "/stages/vae_decode/gflops")) {
            assertFalse(json.at(key).isMissingNode(), key);
        }
        StringWriter text = new StringWriter();
        r.print(new PrintWriter(text, true), 5);
        assertTrue(text.toString().contains("unet_step"), text.toString());
        assertTrue(text.toString().contains("% peak"), text.toString());
    }

    @Test
    void rejectsSizesThatAreNotMultiplesOfEight() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new PipelineBench.Options(100, 64, 1, 1, 1, false));
        assertEquals("image size 100x64 must be positive multiples of 8", e.getMessage());
    }
}
