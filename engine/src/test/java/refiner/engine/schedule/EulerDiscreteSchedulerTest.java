package refiner.engine.schedule;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Timestep spacings, img2img ranges and config handling, with values from numpy and diffusers. */
class EulerDiscreteSchedulerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String REFINER_CONFIG = """
            {"_class_name": "EulerDiscreteScheduler", "beta_end": 0.012, "beta_schedule": "scaled_linear",
             "beta_start": 0.00085, "clip_sample": false, "interpolation_type": "linear", "num_train_timesteps": 1000,
             "prediction_type": "epsilon", "sample_max_value": 1.0, "set_alpha_to_one": false, "skip_prk_steps": true,
             "steps_offset": 1, "timestep_spacing": "leading", "trained_betas": null, "use_karras_sigmas": false}""";

    private static EulerDiscreteScheduler withSpacing(String spacing) throws IOException {
        return new EulerDiscreteScheduler(config("{\"beta_schedule\": \"scaled_linear\", \"beta_start\": 0.00085, \"beta_end\": 0.012, "
                + "\"steps_offset\": 1, \"timestep_spacing\": \"" + spacing + "\"}"));
    }

    private static EulerDiscreteConfig config(String json) throws IOException {
        return EulerDiscreteConfig.fromJson(JSON.readTree(json), "test config");
    }

    @Test
    void refinerConfigIsTheSdxlDefault() throws IOException {
        EulerDiscreteConfig c = config(REFINER_CONFIG);
        EulerDiscreteConfig sdxl = EulerDiscreteConfig.sdxl();
        assertEquals(sdxl.numTrainTimesteps(), c.numTrainTimesteps());
        assertEquals(sdxl.betaStart(), c.betaStart());
        assertEquals(sdxl.betaEnd(), c.betaEnd());
        assertEquals(sdxl.betaSchedule(), c.betaSchedule());
        assertEquals(sdxl.timestepSpacing(), c.timestepSpacing());
        assertEquals(sdxl.stepsOffset(), c.stepsOffset());
        assertEquals(sdxl.finalSigma(), c.finalSigma());
        assertEquals(null, c.trainedBetas());
    }

    @Test
    void leadingSpacingOf50StepsAndItsImg2imgRanges() {
        EulerSchedule s = new EulerDiscreteScheduler(EulerDiscreteConfig.sdxl()).setTimesteps(50);
        assertEquals(981f, s.timesteps()[0]);
        assertEquals(1f, s.timesteps()[49]);
        assertEquals(0f, s.sigmas()[50]);
        StepRange r = s.img2img(0.3);
        assertEquals(35, r.beginIndex());
        assertEquals(15, r.size());
        assertEquals(281f, r.timesteps()[0]);
        StepRange q = new EulerDiscreteScheduler(EulerDiscreteConfig.sdxl()).setTimesteps(20).img2img(0.75);
        assertEquals(15, q.size());
        assertEquals(701f, q.timesteps()[0]);
    }

    @Test
    void strengthIsTruncatedInDoublePrecision() {
        EulerSchedule s = new EulerDiscreteScheduler(EulerDiscreteConfig.sdxl()).setTimesteps(100);
        assertEquals(28, s.img2img(0.29).size());
        assertEquals(100, s.img2img(1.0).size());
        assertThrows(IllegalArgumentException.class, () -> s.img2img(0.005));
        assertThrows(IllegalArgumentException.class, () -> s.img2img(1.5));
    }

    @Test
    void spacingsMatchNumpy() throws IOException {
        assertArrayEquals(new float[] {999f, 832.5f, 666f, 499.5f, 333f, 166.5f, 0f}, withSpacing("linspace").setTimesteps(7).timesteps());
        assertArrayEquals(new float[] {999f, 856f, 713f, 570f, 428f, 285f, 142f}, withSpacing("trailing").setTimesteps(7).timesteps());
        assertArrayEquals(new float[] {853f, 711f, 569f, 427f, 285f, 143f, 1f}, withSpacing("leading").setTimesteps(7).timesteps());
        assertArrayEquals(new float[] {999f, 666f, 332f}, withSpacing("trailing").setTimesteps(3).timesteps());
        assertArrayEquals(new float[] {999f, 937f, 874f, 811f, 749f, 687f, 624f, 561f, 499f, 437f, 374f, 311f, 249f, 187f, 124f, 61f},
                withSpacing("trailing").setTimesteps(16).timesteps());
        assertEquals(964.5516967773438f, withSpacing("linspace").setTimesteps(30).timesteps()[1]);
    }

    @Test
    void trailingSpacingKeepsNumpysExtraStep() throws IOException {
        EulerSchedule s = withSpacing("trailing").setTimesteps(61);
        assertEquals(62, s.numSteps());
        assertEquals(61, s.numInferenceSteps());
        assertEquals(-1f, s.timesteps()[61]);
        assertEquals(withSpacing("trailing").trainSigmas()[0], s.sigma(61), "timestep -1 clamps to the first training sigma");
        assertEquals(61 - 30, s.img2img(0.5).beginIndex());
        assertEquals(31, s.img2img(0.5).size());
    }

    @Test
    void sigmasInterpolateTheTrainingSigmas() throws IOException {
        EulerDiscreteScheduler sched = withSpacing("linspace");
        float[] train = sched.trainSigmas();
        EulerSchedule s = sched.setTimesteps(7);
        assertEquals(train[999], s.sigma(0));
        assertEquals(train[666], s.sigma(2));
        assertEquals((float) (train[832] + 0.5 * ((double) train[833] - train[832])), s.sigma(1));
        assertEquals(train[999], s.initNoiseSigma());
        EulerSchedule leading = new EulerDiscreteScheduler(EulerDiscreteConfig.sdxl()).setTimesteps(10);
        float max = leading.sigma(0);
        assertEquals((float) Math.sqrt(max * max + 1f), leading.initNoiseSigma());
    }

    @Test
    void finalSigmaMinIsTheSmallestTrainingSigma() throws IOException {
        EulerDiscreteScheduler sched = new EulerDiscreteScheduler(config("{\"final_sigmas_type\": \"sigma_min\"}"));
        EulerSchedule s = sched.setTimesteps(4);
        assertEquals(sched.trainSigmas()[0], s.sigmas()[4]);
    }

    @Test
    void denoisingStartCutsTheSchedule() {
        EulerSchedule s = new EulerDiscreteScheduler(EulerDiscreteConfig.sdxl()).setTimesteps(40);
        StepRange r = s.denoisingStart(0.8);
        assertTrue(r.timesteps()[0] < 200f);
        assertEquals(s.timesteps().length - r.size(), r.beginIndex());
        assertEquals(176f, r.timesteps()[0]);
        assertThrows(IllegalArgumentException.class, () -> s.denoisingStart(1.0));
        assertThrows(IllegalArgumentException.class, () -> s.denoisingStart(0.9999));
    }

    @Test
    void stepIsTheReferenceFloat32Sequence() {
        EulerSchedule s = new EulerDiscreteScheduler(EulerDiscreteConfig.sdxl()).setTimesteps(10);
        float[] x = {0.3f, -1.7f, 2.25f};
        float[] eps = {0.1f, 0.9f, -1.3f};
        float[] before = x.clone();
        EulerStep step = s.step(eps, 3, x);
        float sigma = s.sigma(3);
        float next = s.sigmas()[4];
        for (int i = 0; i < x.length; i++) {
            float pred = x[i] - sigma * eps[i];
            assertEquals(pred, step.predOriginalSample()[i]);
            assertEquals(x[i] + (x[i] - pred) / sigma * (next - sigma), step.prevSample()[i]);
        }
        assertArrayEquals(before, x, "input untouched");
        assertEquals(x[1] / (float) Math.sqrt(sigma * sigma + 1f), s.scaleModelInput(x, 3)[1]);
        assertEquals(x[2] + eps[2] * sigma, s.addNoise(x, eps, 3)[2]);
        assertThrows(IllegalArgumentException.class, () -> s.step(new float[2], 3, x));
        assertThrows(IndexOutOfBoundsException.class, () -> s.step(eps, 10, x));
    }

    @Test
    void timestepIndexIsItsPositionInTheSchedule() {
        EulerSchedule s = new EulerDiscreteScheduler(EulerDiscreteConfig.sdxl()).setTimesteps(10);
        assertEquals(7, s.indexForTimestep(201f));
        assertThrows(IllegalArgumentException.class, () -> s.indexForTimestep(200f));
    }

    @Test
    void unsupportedSettingsAreRejectedByName() {
        assertMessage("prediction_type 'v_prediction'", "{\"prediction_type\": \"v_prediction\"}");
        assertMessage("use_karras_sigmas true", "{\"use_karras_sigmas\": true}");
        assertMessage("beta_schedule 'squaredcos_cap_v2'", "{\"beta_schedule\": \"squaredcos_cap_v2\"}");
        assertMessage("timestep_spacing 'even'", "{\"timestep_spacing\": \"even\"}");
        assertMessage("_class_name DDIMScheduler", "{\"_class_name\": \"DDIMScheduler\"}");
        assertMessage("steps_offset is \"1\"", "{\"steps_offset\": \"1\"}");
        assertMessage("trained_betas has 2 values", "{\"trained_betas\": [0.1, 0.2]}");
    }

    @Test
    void loadNamesTheFile(@TempDir Path dir) throws IOException {
        Path good = dir.resolve("scheduler_config.json");
        Files.writeString(good, REFINER_CONFIG);
        assertEquals(981f, EulerDiscreteScheduler.load(good).setTimesteps(50).timestep(0));
        Path broken = dir.resolve("broken.json");
        Files.writeString(broken, "{\"beta_end\": ");
        IOException e = assertThrows(IOException.class, () -> EulerDiscreteScheduler.load(broken));
        assertTrue(e.getMessage().startsWith(broken.toString()), e.getMessage());
        IOException missing = assertThrows(IOException.class, () -> EulerDiscreteScheduler.load(dir.resolve("none.json")));
        assertTrue(missing.getMessage().contains("not found"), missing.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new EulerDiscreteScheduler(EulerDiscreteConfig.sdxl()).setTimesteps(0));
        assertThrows(IllegalArgumentException.class, () -> new EulerDiscreteScheduler(EulerDiscreteConfig.sdxl()).setTimesteps(1001));
    }

    private static void assertMessage(String fragment, String json) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> config(json));
        assertTrue(e.getMessage().contains(fragment) && e.getMessage().startsWith("test config"), e.getMessage());
    }
}
