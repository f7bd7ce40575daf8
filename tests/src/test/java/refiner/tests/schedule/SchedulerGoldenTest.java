package refiner.tests.schedule;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import refiner.engine.schedule.EulerDiscreteConfig;
import refiner.engine.schedule.EulerDiscreteScheduler;
import refiner.engine.schedule.EulerSchedule;
import refiner.engine.schedule.EulerStep;
import refiner.engine.schedule.StepRange;
import refiner.tests.Golden;

/**
 * {@link EulerDiscreteScheduler} against the diffusers goldens: timesteps identical, every value
 * within 1e-6 of the largest magnitude of its tensor (the scheduler row of the tolerance table).
 * The scheduler config is the one recorded in the manifest's {@code scheduler_tables} case.
 */
class SchedulerGoldenTest {
    private static final String SET = "tiny-refiner";
    private static final double REL = 1e-6;

    static Stream<Arguments> tableCases() {
        return named(Golden.cases(SET, "scheduler_tables"));
    }

    static Stream<Arguments> scheduleCases() {
        return named(Golden.cases(SET, "scheduler"));
    }

    static Stream<Arguments> pipelineCases() {
        return named(Golden.cases(SET, "pipeline"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("tableCases")
    void trainingTables(JsonNode c) {
        Golden g = Golden.of(SET);
        EulerDiscreteScheduler s = new EulerDiscreteScheduler(EulerDiscreteConfig.fromJson(c.get("config"), "manifest " + c.get("id").asText()));
        JsonNode out = c.get("outputs");
        assertRelClose("betas", g.floats(out.get("betas")), s.betas());
        assertRelClose("alphas_cumprod", g.floats(out.get("alphas_cumprod")), s.alphasCumprod());
        assertRelClose("train_sigmas", g.floats(out.get("train_sigmas")), s.trainSigmas());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scheduleCases")
    void img2imgSchedule(JsonNode c) {
        Golden g = Golden.of(SET);
        JsonNode p = c.get("params");
        EulerSchedule schedule = scheduler(g).setTimesteps(p.get("num_inference_steps").asInt());
        JsonNode out = c.get("outputs");
        assertArrayEquals(g.floats(out.get("timesteps")), schedule.timesteps(), "timesteps");
        assertRelClose("sigmas", g.floats(out.get("sigmas")), schedule.sigmas());
        assertRelClose("init_noise_sigma", g.floats(out.get("init_noise_sigma")), new float[] {schedule.initNoiseSigma()});

        StepRange run = schedule.img2img(p.get("strength").asDouble());
        assertEquals(p.get("t_start").asInt(), run.beginIndex(), "t_start");
        assertArrayEquals(g.floats(out.get("img2img_timesteps")), run.timesteps(), "img2img timesteps");

        JsonNode an = c.get("add_noise");
        float timestep = g.floats(an.get("timestep"))[0];
        assertEquals(run.beginIndex(), schedule.indexForTimestep(timestep), "index of the add_noise timestep");
        float[] noisy = schedule.addNoise(g.floats(an.get("original")), g.floats(an.get("noise")), run.beginIndex());
        assertRelClose("add_noise", g.floats(an.get("noisy")), noisy);

        if (c.has("loop")) eulerLoop(g, c.get("loop"), schedule, run, noisy);
    }

    /** The loop of the case: model output {@code eps * (1 + 0.1 i)}, our own samples carried from step to step. */
    private static void eulerLoop(Golden g, JsonNode loop, EulerSchedule schedule, StepRange run, float[] start) {
        float[] eps = g.floats(loop.get("eps"));
        float[] scaled = g.floats(loop.get("scaled_inputs"));
        float[] prev = g.floats(loop.get("prev_samples"));
        float[] pred = g.floats(loop.get("pred_original_samples"));
        int n = eps.length;
        assertEquals(run.size() * n, scaled.length, "steps in the loop golden");
        float[] sample = start;
        for (int i = 0; i < run.size(); i++) {
            int stepIndex = run.stepIndex(i);
            assertRelClose("scaled input " + i, slice(scaled, i, n), schedule.scaleModelInput(sample, stepIndex));
            float factor = (float) (1 + 0.1 * i);
            float[] modelOutput = new float[n];
            for (int k = 0; k < n; k++) modelOutput[k] = eps[k] * factor;
            EulerStep step = schedule.step(modelOutput, stepIndex, sample);
            assertRelClose("pred_original_sample " + i, slice(pred, i, n), step.predOriginalSample());
            assertRelClose("prev_sample " + i, slice(prev, i, n), step.prevSample());
            sample = step.prevSample();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pipelineCases")
    void pipelineSchedule(JsonNode c) {
        Golden g = Golden.of(SET);
        JsonNode p = c.get("params");
        EulerSchedule schedule = scheduler(g).setTimesteps(p.get("num_inference_steps").asInt());
        assertArrayEquals(floats(c.get("scheduler_timesteps_list")), schedule.timesteps(), "timesteps");
        assertRelClose("sigmas", floats(c.get("scheduler_sigmas_list")), schedule.sigmas());
        StepRange run = schedule.img2img(p.get("strength").asDouble());
        assertEquals(c.get("t_start").asInt(), run.beginIndex(), "t_start");
        assertArrayEquals(floats(c.get("img2img_timesteps_list")), run.timesteps(), "img2img timesteps");
        float[] used = new float[run.size()];
        for (int i = 0; i < used.length; i++) used[i] = schedule.sigma(run.stepIndex(i));
        assertRelClose("sigmas used", floats(c.get("sigmas_used_list")), used);
    }

    private static EulerDiscreteScheduler scheduler(Golden g) {
        JsonNode tables = g.caseById("scheduler_tables");
        return new EulerDiscreteScheduler(EulerDiscreteConfig.fromJson(tables.get("config"), g.dir() + " scheduler_tables config"));
    }

    private static Stream<Arguments> named(List<JsonNode> cases) {
        return cases.stream().map(c -> Arguments.of(Named.of(c.get("id").asText(), c)));
    }

    private static float[] floats(JsonNode list) {
        float[] out = new float[list.size()];
        for (int i = 0; i < out.length; i++) out[i] = (float) list.get(i).asDouble();
        return out;
    }

    private static float[] slice(float[] all, int i, int n) {
        float[] out = new float[n];
        System.arraycopy(all, i * n, out, 0, n);
        return out;
    }

    /** max |expected - actual| <= 1e-6 * max |expected|. */
    private static void assertRelClose(String what, float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, what + ": element count");
        double scale = 0;
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            scale = Math.max(scale, Math.abs(expected[i]));
            double d = Math.abs((double) expected[i] - actual[i]);
            worst = Double.isNaN(d) ? Double.POSITIVE_INFINITY : Math.max(worst, d);
        }
        if (!(worst <= REL * scale)) fail(what + ": max abs diff " + worst + " > " + REL + " * " + scale);
    }
}
