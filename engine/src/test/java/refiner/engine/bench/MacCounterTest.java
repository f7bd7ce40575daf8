package refiner.engine.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import refiner.engine.testing.Shared;

/** The analytic counts against the manifest's forward-hook counts of the real refiner components. */
class MacCounterTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode manifest(String file) throws IOException {
        Path dir = Shared.require("models/fullsize-manifest");
        return JSON.readTree(dir.resolve(file).toFile());
    }

    private static JsonNode config(String component) throws IOException {
        return manifest(component + "_parameters.json").get("config");
    }

    private static JsonNode forward(String component, String run) throws IOException {
        return manifest("summary.json").get("components").get(component).get("forward").get(run);
    }

    /** Same blocks in the same order, each kind and total equal, and the grand totals equal. */
    private static void assertMatches(JsonNode expected, MacCount actual) {
        JsonNode byBlock = expected.get("macs_by_block");
        List<String> names = new ArrayList<>();
        byBlock.fieldNames().forEachRemaining(names::add);
        assertEquals(names, new ArrayList<>(actual.blocks().keySet()), "blocks");
        for (Map.Entry<String, Macs> e : actual.blocks().entrySet()) {
            assertKinds(byBlock.get(e.getKey()), e.getValue(), e.getKey());
        }
        assertKinds(expected.get("macs"), actual.total(), "total");
    }

    private static void assertKinds(JsonNode want, Macs got, String where) {
        assertEquals(want.path("linear").asLong(0), got.linear(), where + " linear");
        assertEquals(want.path("conv2d").asLong(0), got.conv2d(), where + " conv2d");
        assertEquals(want.path("attention_qk").asLong(0), got.attentionQk(), where + " attention_qk");
        assertEquals(want.path("attention_pv").asLong(0), got.attentionPv(), where + " attention_pv");
        assertEquals(want.get("total").asLong(), got.total(), where + " total");
    }

    @Test
    void unetAt512px() throws IOException {
        assertMatches(forward("unet", "latent_64x64_512px"), MacCounter.unet(config("unet"), 1, 64, 64, 77));
    }

    @Test
    void unetAt1024px() throws IOException {
        assertMatches(forward("unet", "latent_128x128_1024px"), MacCounter.unet(config("unet"), 1, 128, 128, 77));
    }

    @Test
    void unetScalesWithBatch() throws IOException {
        JsonNode cfg = config("unet");
        assertEquals(2 * MacCounter.unet(cfg, 1, 64, 64, 77).total().total(), MacCounter.unet(cfg, 2, 64, 64, 77).total().total());
    }

    @Test
    void unetCrossAttentionKeysAndValues() throws IOException {
        // 20 transformer blocks of width 768 and 24 of width 1536, two projections of 2 x 77 rows from 1280 each
        assertEquals(2L * 154 * 1280 * (20 * 768 + 24 * 1536), MacCounter.unetCrossAttention(config("unet"), 2, 77));
    }

    @Test
    void vaeEncodeAt1024px() throws IOException {
        assertMatches(forward("vae", "encode_1024px"), MacCounter.vaeEncode(config("vae"), 1, 1024, 1024));
    }

    @Test
    void vaeDecodeAt1024px() throws IOException {
        assertMatches(forward("vae", "decode_1024px"), MacCounter.vaeDecode(config("vae"), 1, 1024, 1024));
    }

    @Test
    void textEncoderOn77Tokens() throws IOException {
        assertMatches(forward("text_encoder_2", "tokens_77"), MacCounter.textEncoder(config("text_encoder_2"), 1, 77));
    }
}
