package refiner.engine.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Decoding, EXIF orientation and the floor-to-8 Lanczos resize against small files made with the
 * reference's Pillow 9.4 (listed in {@code pillow/cases.json} with how they were made): identical
 * bytes expected.
 */
class PillowFixturesTest {
    private static final String FOLDER = "pillow/";

    static Stream<Arguments> cases() throws IOException {
        JsonNode root;
        try (InputStream in = PillowFixturesTest.class.getResourceAsStream(FOLDER + "cases.json")) {
            root = new ObjectMapper().readTree(in);
        }
        List<Arguments> out = new ArrayList<>();
        for (JsonNode c : root.get("cases")) out.add(Arguments.of(Named.of(c.get("kind").asText() + " " + c.get("input").asText(), c)));
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesPillow(JsonNode c) throws IOException {
        RgbImage input = ImageLoader.read(resource(c.get("input").asText()));
        RgbImage expected = ImageLoader.read(resource(c.get("expected").asText()));
        RgbImage actual = switch (c.get("kind").asText()) {
            case "resize" -> LanczosResampler.resize(input, c.get("width").asInt(), c.get("height").asInt());
            case "decode" -> input;
            default -> throw new AssertionError("unknown kind " + c.get("kind").asText());
        };
        assertEquals(expected.width(), actual.width(), "width");
        assertEquals(expected.height(), actual.height(), "height");
        assertArrayEquals(expected.rgb(), actual.rgb(), "pixels");
    }

    private static Path resource(String name) {
        try {
            return Path.of(PillowFixturesTest.class.getResource(FOLDER + name).toURI());
        } catch (URISyntaxException e) {
            throw new UncheckedIOException(new IOException(e));
        }
    }
}
