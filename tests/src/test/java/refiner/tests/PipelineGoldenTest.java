package refiner.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import refiner.engine.backend.Backend;
import refiner.engine.backend.cpu.CpuBackend;
import refiner.engine.image.PixelTensor;
import refiner.engine.image.VaeImageProcessor;
import refiner.engine.pipeline.Img2ImgPipeline;
import refiner.engine.pipeline.InitImage;
import refiner.engine.pipeline.Progress;
import refiner.engine.pipeline.RefineOptions;
import refiner.engine.pipeline.RefineResult;
import refiner.engine.pipeline.RefinerModel;
import refiner.engine.pipeline.TensorSink;
import refiner.loader.hf.ModelFolder;

/**
 * The whole img2img pipeline on the CPU backend against diffusers' {@code StableDiffusionXLImg2ImgPipeline}:
 * every {@code pipeline} case of tiny-refiner with the case's seed and parameters, every dumped
 * intermediate within 1e-3 max abs and the 8-bit image within 1 of the reference's.
 */
class PipelineGoldenTest {
    private static final double TOL = 1e-3;
    private static final Backend CPU = new CpuBackend();
    private static final Map<Path, RefinerModel> MODELS = new HashMap<>();

    /** Our intermediate name -> the case's intermediate name. */
    private static final Map<String, String> INTERMEDIATES = new LinkedHashMap<>();

    static {
        INTERMEDIATES.put("prompt_embeds", "prompt_embeds_unet");
        INTERMEDIATES.put("add_text_embeds", "add_text_embeds_unet");
        INTERMEDIATES.put("add_time_ids", "add_time_ids_unet");
        INTERMEDIATES.put("vae_latent_mean", "vae_latent_mean");
        INTERMEDIATES.put("vae_latent_std", "vae_latent_std");
        INTERMEDIATES.put("init_latents_scaled", "init_latents_scaled");
        INTERMEDIATES.put("noised_latents", "noised_latents");
        INTERMEDIATES.put("final_latents", "final_latents");
    }

    static Stream<Named<JsonNode>> cases() {
        return ModelFixture.cases("tiny-refiner", "pipeline");
    }

    @ParameterizedTest(name = "tiny-refiner {0}")
    @MethodSource("cases")
    void pipeline(JsonNode c) throws IOException {
        Golden g = Golden.of("tiny-refiner");
        String id = c.get("id").asText();
        JsonNode p = c.get("params");
        int[] hw = {p.get("image_hw").get(0).asInt(), p.get("image_hw").get(1).asInt()};
        RefineOptions options = new RefineOptions(p.get("prompt").asText(),
                p.get("negative_prompt").isNull() ? null : p.get("negative_prompt").asText(),
                p.get("num_inference_steps").asInt(), p.get("strength").asDouble(), p.get("guidance_scale").asDouble(),
                0.0, p.get("aesthetic_score").asDouble(), p.get("negative_aesthetic_score").asDouble(),
                null, null, null, p.get("seed").asLong(), 1);
        InitImage init = InitImage.pixels(g.floats(c.get("inputs").get("image_tensor")), hw[0], hw[1]);

        Map<String, float[]> seen = new HashMap<>();
        RefineResult result = new Img2ImgPipeline(model(g), CPU).run(init, options, Progress.NONE,
                (name, data, shape) -> seen.put(name, data));

        JsonNode expected = c.get("intermediates");
        assertEquals(expected.get("timesteps").get("shape").get(0).asInt(), result.stepsRun(), id + ": steps run");
        StringBuilder report = new StringBuilder(id);
        for (Map.Entry<String, String> e : INTERMEDIATES.entrySet()) {
            double diff = Compare.maxAbsDiff(g.floats(expected.get(e.getValue())), seen.get(e.getKey()));
            report.append(String.format(" %s=%.3g", e.getKey(), diff));
            assertTrue(diff <= TOL, id + ": " + e.getKey() + " max abs diff " + diff + " > " + TOL);
        }
        float[] decoded = result.images().get(0);
        double decodeDiff = Compare.maxAbsDiff(g.floats(expected.get("vae_decode_output")), decoded);
        report.append(String.format(" vae_decode_output=%.3g", decodeDiff));
        assertTrue(decodeDiff <= TOL, id + ": vae_decode_output max abs diff " + decodeDiff);

        byte[] ours = VaeImageProcessor.postprocess(new PixelTensor(hw[0], hw[1], decoded)).rgb();
        byte[] theirs = g.bytes(c.get("outputs").get("image_pil_u8"));
        assertEquals(theirs.length, ours.length, id + ": image size");
        int worst = 0;
        for (int i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs((ours[i] & 0xff) - (theirs[i] & 0xff)));
        report.append(" u8 max diff=").append(worst);
        System.out.println(report);
        assertTrue(worst <= 1, id + ": 8-bit image differs by " + worst + " > 1");
    }

    @Test
    void sameSeedTwiceIsBitIdentical() throws IOException {
        Golden g = Golden.of("tiny-refiner");
        JsonNode c = g.caseById("pipe0");
        InitImage init = InitImage.pixels(g.floats(c.get("inputs").get("image_tensor")), 128, 128);
        RefineOptions options = RefineOptions.defaults("a lighthouse", 7);
        Img2ImgPipeline pipe = new Img2ImgPipeline(model(g), CPU);
        float[] a = pipe.run(init, options, Progress.NONE, TensorSink.NONE).latents();
        float[] b = pipe.run(init, options, Progress.NONE, TensorSink.NONE).latents();
        assertArrayEquals(a, b, "same seed, same latents");
    }

    private static synchronized RefinerModel model(Golden g) throws IOException {
        Path dir = g.dir().resolve(g.manifest().get("model_dir_relative_to_this_dir").asText()).normalize();
        RefinerModel m = MODELS.get(dir);
        if (m == null) {
            m = RefinerModel.load(ModelFolder.open(dir), CPU);
            MODELS.put(dir, m);
        }
        return m;
    }
}
