package refiner.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import org.junit.jupiter.api.Test;
import refiner.engine.model.AutoencoderKL;
import refiner.engine.model.ClipTextModel;
import refiner.engine.model.Posterior;
import refiner.engine.model.UNet2DConditionModel;
import refiner.engine.tensor.Tensor;
import refiner.loader.Weights;

/**
 * The networks built from the real full-size refiner configs bind exactly the key names and shapes
 * of the real checkpoints (../shared/models/fullsize-manifest), and their forwards at 1024 px
 * flow through consistent shapes, on a backend that computes shapes only; the peak fp32
 * activation memory of each forward is printed.
 */
class FullSizeNetworksTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final double MIB = 1 << 20;

    private static JsonNode manifest(String component) throws IOException {
        return JSON.readTree(Golden.model("fullsize-manifest").resolve(component + "_parameters.json").toFile());
    }

    private static Weights weights(String component, JsonNode manifest) {
        return ManifestWeights.of(component, manifest.get("state_dict"));
    }

    private static void expectAllBound(JsonNode manifest, ShapeOnlyBackend b) {
        assertEquals(manifest.get("num_state_dict_entries").asInt(), b.weightsBound(), manifest.get("component").asText() + ": tensors bound");
    }

    @Test
    void textEncoder() throws IOException {
        JsonNode m = manifest("text_encoder_2");
        ShapeOnlyBackend b = new ShapeOnlyBackend();
        ClipTextModel te = new ClipTextModel(b, m.get("config"), weights("text_encoder_2", m));
        expectAllBound(m, b);
        int[][] ids = new int[2][77];
        ids[0][0] = ids[1][0] = 49406;
        ids[0][1] = ids[1][5] = 49407;
        try (ClipTextModel.Output o = te.forward(ids)) {
            assertArrayEquals(new int[] {2, 77, 1280}, o.hiddenStates().shape());
            assertArrayEquals(new int[] {2, 1280}, o.pooled().shape());
        }
        System.out.printf("full-size text encoder, batch 2 x 77: peak activations %.1f MiB%n", b.peakBytes() / MIB);
        assertEquals(0, b.liveBytes());
    }

    @Test
    void unet() throws IOException {
        JsonNode m = manifest("unet");
        ShapeOnlyBackend b = new ShapeOnlyBackend();
        UNet2DConditionModel unet = new UNet2DConditionModel(b, m.get("config"), weights("unet", m));
        expectAllBound(m, b);
        float[][] timeIds = {{1024, 1024, 0, 0, 2.5f}, {1024, 1024, 0, 0, 6}};
        try (Tensor sample = b.allocate(2, 4, 128, 128);
             Tensor context = b.allocate(2, 77, 1280);
             Tensor text = b.allocate(2, 1280)) {
            b.resetPeak();
            long inputs = b.liveBytes();
            try (Tensor out = unet.forward(sample, 281f, context, text, timeIds)) {
                assertArrayEquals(new int[] {2, 4, 128, 128}, out.shape());
            }
            System.out.printf("full-size unet, CFG batch 2 at 1024 px: peak activations %.1f MiB%n", (b.peakBytes() - inputs) / MIB);
        }
        assertEquals(0, b.liveBytes());
    }

    @Test
    void vae() throws IOException {
        JsonNode m = manifest("vae");
        ShapeOnlyBackend b = new ShapeOnlyBackend();
        AutoencoderKL vae = new AutoencoderKL(b, m.get("config"), weights("vae", m));
        expectAllBound(m, b);
        try (Tensor image = b.allocate(1, 3, 1024, 1024)) {
            long inputs = b.liveBytes();
            b.resetPeak();
            try (Posterior p = vae.encode(image)) {
                assertArrayEquals(new int[] {1, 4, 128, 128}, p.mean().shape());
                System.out.printf("full-size vae encode at 1024 px: peak activations %.1f MiB%n", (b.peakBytes() - inputs) / MIB);
                b.resetPeak();
                long before = b.liveBytes();
                try (Tensor decoded = vae.decode(p.mean())) {
                    assertArrayEquals(new int[] {1, 3, 1024, 1024}, decoded.shape());
                }
                System.out.printf("full-size vae decode at 1024 px: peak activations %.1f MiB%n", (b.peakBytes() - before) / MIB);
            }
        }
        assertEquals(0, b.liveBytes());
    }
}
