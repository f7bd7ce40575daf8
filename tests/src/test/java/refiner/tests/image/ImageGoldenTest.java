package refiner.tests.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import refiner.engine.image.ImageLoader;
import refiner.engine.image.PixelTensor;
import refiner.engine.image.PngFiles;
import refiner.engine.image.RgbImage;
import refiner.engine.image.VaeImageProcessor;
import refiner.tests.Golden;

/**
 * The image conversions of the pipeline cases against diffusers: the init PNG as read, its VAE input
 * tensor (bit for bit), and the 8-bit output image made from the decoded tensor (identical, which
 * is stricter than the pipeline's tolerance of 1 for images computed end to end).
 */
class ImageGoldenTest {
    private static final String SET = "tiny-refiner";

    static Stream<Arguments> pipelineCases() {
        return Golden.cases(SET, "pipeline").stream().map(c -> Arguments.of(Named.of(c.get("id").asText(), c)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pipelineCases")
    void initImageToVaeInput(JsonNode c) throws IOException {
        Golden g = Golden.of(SET);
        JsonNode in = c.get("inputs");
        RgbImage init = ImageLoader.read(g.dir().resolve(c.get("files").get("init_png").asText()));
        int[] hwc = Golden.shape(in.get("init_image_u8"));
        assertEquals(hwc[0], init.height(), "height");
        assertEquals(hwc[1], init.width(), "width");
        assertArrayEquals(g.bytes(in.get("init_image_u8")), init.rgb(), "init PNG pixels");
        PixelTensor tensor = VaeImageProcessor.preprocess(init);
        assertArrayEquals(Golden.shape(in.get("image_tensor")), tensor.shape(), "image_tensor shape");
        assertBits("image_tensor", g.floats(in.get("image_tensor")), tensor.data());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pipelineCases")
    void decodedTensorToOutputImage(JsonNode c, @TempDir Path dir) throws IOException {
        Golden g = Golden.of(SET);
        JsonNode decodedRef = c.get("intermediates").get("vae_decode_output");
        int[] shape = Golden.shape(decodedRef);
        RgbImage out = VaeImageProcessor.postprocess(new PixelTensor(shape[2], shape[3], g.floats(decodedRef)));
        byte[] expected = g.bytes(c.get("outputs").get("image_pil_u8"));
        assertArrayEquals(expected, out.rgb(), "image_pil_u8");
        assertArrayEquals(expected, ImageLoader.read(g.dir().resolve(c.get("files").get("output_png").asText())).rgb(), "output PNG");

        Path written = dir.resolve(c.get("id").asText() + ".png");
        PngFiles.write(written, out, Map.of("parameters", c.get("params").toString()));
        assertArrayEquals(expected, ImageLoader.read(written).rgb(), "written PNG");
        assertEquals(Map.of("parameters", c.get("params").toString()), PngFiles.readText(written));
    }

    private static void assertBits(String what, float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, what + ": element count");
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                fail(what + ": element " + i + " is " + actual[i] + ", diffusers gives " + expected[i]);
            }
        }
    }
}
