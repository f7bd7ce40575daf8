package refiner.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import refiner.engine.backend.cpu.CpuBackend;
import refiner.engine.model.AutoencoderKL;
import refiner.engine.model.ClipTextModel;
import refiner.engine.model.Posterior;
import refiner.engine.model.UNet2DConditionModel;
import refiner.engine.tensor.Tensor;

/**
 * Each network forward closes every intermediate: afterwards only its inputs and outputs are
 * live, and no op ever reads a closed buffer. Peak live buffer counts are printed.
 */
class NetworkMemoryTest {
    private static final LeakCheckBackend B = new LeakCheckBackend(new CpuBackend());

    private static Path component(String name) {
        return ModelFixture.component(Golden.of("tiny-refiner"), name);
    }

    private static Tensor upload(Golden g, JsonNode ref) {
        return B.upload(g.floats(ref), Golden.shape(ref));
    }

    @Test
    void textEncoderKeepsOnlyItsOutputs() {
        Golden g = Golden.of("tiny-refiner");
        Path dir = component("text_encoder_2");
        ClipTextModel te = new ClipTextModel(B, ModelFixture.config(dir), ModelFixture.weights(dir));
        int[][] ids = ModelFixture.ids(g, g.caseById("te0").get("inputs").get("input_ids"));
        int before = B.live();
        B.resetPeak();
        try (ClipTextModel.Output o = te.forward(new int[][] {ids[0], ids[0]}, 1, (n, t) -> B.download(t))) {
            assertEquals(before + 2, B.live(), "live buffers after the text encoder");
        }
        System.out.println("text encoder: peak live buffers " + (B.peak() - before));
        assertEquals(before, B.live());
    }

    @Test
    void unetKeepsOnlyItsOutput() {
        Golden g = Golden.of("tiny-refiner");
        Path dir = component("unet");
        UNet2DConditionModel unet = new UNet2DConditionModel(B, ModelFixture.config(dir), ModelFixture.weights(dir));
        JsonNode in = g.caseById("unet0").get("inputs");
        try (Tensor sample = upload(g, in.get("sample"));
             Tensor context = upload(g, in.get("encoder_hidden_states"));
             Tensor text = upload(g, in.get("text_embeds"))) {
            int before = B.live();
            B.resetPeak();
            try (Tensor out = unet.forward(sample, 958f, context, text, ModelFixture.rows(g, in.get("time_ids")), (n, t) -> B.download(t))) {
                assertEquals(before + 1, B.live(), "live buffers after the UNet");
            }
            System.out.println("unet: peak live buffers " + (B.peak() - before));
            assertEquals(before, B.live());
        }
    }

    @Test
    void vaeKeepsOnlyItsOutputs() {
        Golden g = Golden.of("tiny-refiner");
        Path dir = component("vae");
        AutoencoderKL vae = new AutoencoderKL(B, ModelFixture.config(dir), ModelFixture.weights(dir));
        try (Tensor image = upload(g, g.caseById("vae_enc0").get("inputs").get("image"))) {
            int before = B.live();
            B.resetPeak();
            try (Posterior p = vae.encode(image, (n, t) -> B.download(t))) {
                assertEquals(before + 3, B.live(), "live buffers after encode");
                try (Tensor decoded = vae.decode(p.mean(), (n, t) -> B.download(t))) {
                    assertEquals(before + 4, B.live(), "live buffers after decode");
                }
            }
            System.out.println("vae encode + decode: peak live buffers " + (B.peak() - before));
            assertEquals(before, B.live());
        }
    }

    @AfterAll
    static void release() {
        B.close();
    }
}
