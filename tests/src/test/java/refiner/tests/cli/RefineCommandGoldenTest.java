package refiner.tests.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import refiner.engine.image.ImageLoader;
import refiner.engine.image.PngFiles;
import refiner.loader.safetensors.SafetensorsFile;
import refiner.tests.Compare;
import refiner.tests.Golden;

/**
 * {@code refiner refine} on every pipeline case of tiny-refiner, with the case's seed and
 * parameters on the command line: the PNG within 1 of the reference's 8-bit image, the dumped
 * intermediates within 1e-3, and the parameters stored in the PNG.
 */
class RefineCommandGoldenTest {
    private static final double TOL = 1e-3;

    static Stream<Named<JsonNode>> cases() {
        return Golden.cases("tiny-refiner", "pipeline").stream().map(c -> Named.of(c.path("id").asText(), c));
    }

    @ParameterizedTest(name = "tiny-refiner {0} through the CLI")
    @MethodSource("cases")
    void refine(JsonNode c, @TempDir Path tmp) throws IOException {
        Golden g = Golden.of("tiny-refiner");
        String id = c.get("id").asText();
        JsonNode p = c.get("params");
        Path model = g.dir().resolve(g.manifest().get("model_dir_relative_to_this_dir").asText()).normalize();
        Path input = g.dir().resolve(c.get("files").get("init_png").asText());
        Path output = tmp.resolve(id + ".png");
        List<String> args = new ArrayList<>(List.of("refine", "--model", model.toString(), "-i", input.toString(),
                "-p", p.get("prompt").asText(), "--steps", p.get("num_inference_steps").asText(),
                "--strength", p.get("strength").asText(), "--guidance", p.get("guidance_scale").asText(),
                "--aesthetic-score", p.get("aesthetic_score").asText(),
                "--negative-aesthetic-score", p.get("negative_aesthetic_score").asText(),
                "--seed", p.get("seed").asText(), "--backend", "cpu", "--quiet",
                "-o", output.toString(), "--dump-tensors", tmp.toString()));
        if (!p.get("negative_prompt").isNull()) args.addAll(List.of("-n", p.get("negative_prompt").asText()));
        byte[] inputBefore = Files.readAllBytes(input);

        Cli.Result r = Cli.run(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.toString());
        assertTrue(java.util.Arrays.equals(inputBefore, Files.readAllBytes(input)), "the input is left as it was");

        byte[] ours = ImageLoader.read(output).rgb();
        byte[] theirs = g.bytes(c.get("outputs").get("image_pil_u8"));
        int worst = 0;
        for (int i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs((ours[i] & 0xff) - (theirs[i] & 0xff)));
        assertTrue(worst <= 1, id + ": 8-bit image differs by " + worst);

        JsonNode expected = c.get("intermediates");
        try (SafetensorsFile dump = SafetensorsFile.open(tmp.resolve(id + ".safetensors"))) {
            for (Map.Entry<String, String> e : Map.of("prompt_embeds", "prompt_embeds_unet", "add_text_embeds", "add_text_embeds_unet",
                    "add_time_ids", "add_time_ids_unet", "vae_latent_mean", "vae_latent_mean", "noised_latents", "noised_latents",
                    "final_latents", "final_latents").entrySet()) {
                float[] got = dump.get(e.getKey()).data().toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED);
                double diff = Compare.maxAbsDiff(g.floats(expected.get(e.getValue())), got);
                assertTrue(diff <= TOL, id + ": dumped " + e.getKey() + " max abs diff " + diff);
            }
        }
        Map<String, String> text = PngFiles.readText(output);
        assertTrue(text.get("parameters").contains("Seed: " + p.get("seed").asText()), text.toString());
        assertTrue(text.get("refiner").contains("\"steps\":" + p.get("num_inference_steps").asText()), text.toString());
    }
}
