package refiner.tests.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import refiner.tests.Golden;
import refiner.tokenizer.ClipTokenizer;

/**
 * {@code refiner tokenize}: its text and JSON output carry exactly the tokenizer's ids, and those are
 * the reference's ids for every prompt of the tokenizer golden case.
 */
class TokenizeCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void jsonOutputEqualsTheGoldenIdsForEveryPrompt() throws IOException {
        Golden golden = Golden.of("tiny-refiner");
        JsonNode c = golden.caseById("tokenizer");
        List<String> args = new ArrayList<>(List.of("tokenize", "--json", "--model", Golden.model("tiny-refiner").toString(), "--"));
        for (JsonNode p : c.get("prompts")) args.add(p.get("prompt").asText());
        Cli.Result r = Cli.run(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.toString());
        assertEquals("", r.err());
        int[][] printed = JSON.readValue(r.out(), int[][].class);
        long[] expected = golden.longs(c.get("outputs").get("input_ids"));
        assertEquals(c.get("prompts").size(), printed.length);
        for (int i = 0; i < printed.length; i++) {
            long[] row = Arrays.copyOfRange(expected, i * 77, (i + 1) * 77);
            assertArrayEquals(row, Arrays.stream(printed[i]).asLongStream().toArray(), "prompt " + i + ": " + args.get(5 + i));
        }
        assertEquals(1, r.out().lines().count(), "one JSON line");
    }

    @Test
    void textOutputIsOneLineOf77IdsPerPrompt() throws IOException {
        Path model = Golden.model("tiny-refiner");
        ClipTokenizer tokenizer = ClipTokenizer.load(model.resolve("tokenizer_2"));
        List<String> prompts = List.of("a photo of an astronaut riding a horse on mars", "wow!!!", "");
        List<String> args = new ArrayList<>(List.of("tokenize", "--model", model.toString(), "--"));
        args.addAll(prompts);
        Cli.Result r = Cli.run(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.toString());
        List<String> lines = r.out().lines().toList();
        assertEquals(prompts.size(), lines.size(), r.out());
        for (int i = 0; i < prompts.size(); i++) {
            int[] ids = Arrays.stream(lines.get(i).split(" ")).mapToInt(Integer::parseInt).toArray();
            assertEquals(77, ids.length, lines.get(i));
            assertArrayEquals(tokenizer.encode(prompts.get(i)), ids, prompts.get(i));
        }
    }

    @Test
    void theDemoModelTokenizesLikeTheTinyRefiner() throws Exception {
        Path model = Golden.model("tiny-refiner");
        int[] expected = ClipTokenizer.load(model.resolve("tokenizer_2")).encode("a photo");
        Cli.Result r = Cli.runJava(Map.of("XDG_CACHE_HOME", Files.createTempDirectory("refiner-cache").toString()),
                "tokenize", "--model", "demo", "a photo");
        assertEquals(0, r.code(), r.toString());
        assertArrayEquals(expected, Arrays.stream(r.out().strip().split(" ")).mapToInt(Integer::parseInt).toArray(), r.out());
        assertTrue(r.err().contains("its weights are random"), r.err());
    }

    @Test
    void aComponentThatIsNoTokenizerIsOneLine() {
        Cli.Result r = Cli.run("tokenize", "--model", Golden.model("tiny-refiner").toString(), "--tokenizer", "unet", "x");
        assertEquals(1, r.code(), r.toString());
        assertEquals(1, r.errLines().size(), r.toString());
        assertTrue(r.errLines().getFirst().contains("component 'unet' is a UNet2DConditionModel, not a tokenizer"), r.err());
    }

    @Test
    void aBaseModelHasTwoTokenizers() throws IOException {
        Path model = Golden.model("tiny-base");
        Cli.Result second = Cli.run("tokenize", "--model", model.toString(), "a photo");
        Cli.Result first = Cli.run("tokenize", "--model", model.toString(), "--tokenizer", "tokenizer", "a photo");
        assertEquals(0, second.code(), second.toString());
        assertEquals(0, first.code(), first.toString());
        int[] ids = ClipTokenizer.load(model.resolve("tokenizer")).encode("a photo");
        assertEquals(Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(" ")), first.out().strip());
        assertTrue(second.out().strip().endsWith(" 0"), "tokenizer_2 pads with 0: " + second.out());
        assertTrue(first.out().strip().endsWith(" 49407"), "tokenizer pads with 49407: " + first.out());
    }
}
