package refiner.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import refiner.tokenizer.ClipTokenizer;

/**
 * Token ids identical to the reference: every prompt of each {@code tokenizer} case of the
 * tiny-refiner set (tokenizer_2), and every input id row that the tiny-base {@code encode_prompt}
 * cases record for both tokenizers. The tokenizer folders are those of the model the manifest names.
 */
class TokenizerGoldenTest {
    private final Map<Path, ClipTokenizer> loaded = new HashMap<>();

    @TestFactory
    Stream<DynamicNode> tinyRefinerTokenizerCases() {
        Golden g = Golden.of("tiny-refiner");
        List<DynamicNode> cases = new ArrayList<>();
        for (JsonNode c : g.manifest().get("cases")) {
            if (!c.path("kind").asText().equals("tokenizer")) continue;
            String id = c.get("id").asText();
            JsonNode ref = c.get("outputs").get("input_ids");
            int length = Golden.shape(ref)[1];
            List<DynamicTest> tests = new ArrayList<>();
            for (JsonNode p : c.get("prompts")) {
                int i = p.get("index").asInt();
                String prompt = p.get("prompt").asText();
                tests.add(DynamicTest.dynamicTest(id + "[" + i + "] " + display(prompt), () -> {
                    ClipTokenizer t = tokenizer(g, "tokenizer_2");
                    long[] rows = g.longs(ref);
                    assertIds(Arrays.copyOfRange(rows, i * length, (i + 1) * length), t.encode(prompt), prompt);
                    assertEquals(strings(p.get("tokens")), t.tokens(prompt), "BPE tokens of " + display(prompt));
                }));
            }
            cases.add(DynamicContainer.dynamicContainer(id, tests));
        }
        return cases.stream();
    }

    @TestFactory
    Stream<DynamicNode> tinyBaseEncodePromptIds() {
        Golden g = Golden.of("tiny-base");
        List<DynamicNode> tests = new ArrayList<>();
        for (JsonNode c : g.manifest().get("cases")) {
            if (!c.path("kind").asText().equals("encode_prompt")) continue;
            String id = c.get("id").asText();
            for (String key : List.of("input_ids_1", "input_ids_2", "negative_input_ids_1", "negative_input_ids_2")) {
                JsonNode ref = c.path("inputs").get(key);
                if (ref == null) continue;
                String prompt = promptFor(c.get("params"), key);
                String folder = key.endsWith("_1") ? "tokenizer" : "tokenizer_2";
                tests.add(DynamicTest.dynamicTest(id + " " + key + " " + display(prompt), () -> {
                    ClipTokenizer t = tokenizer(g, folder);
                    assertIds(g.longs(ref), t.encode(prompt), prompt);
                    JsonNode tokens = c.path("tokens_debug").get(key);
                    if (tokens != null) assertEquals(strings(tokens), t.tokens(prompt), "BPE tokens of " + display(prompt));
                }));
            }
        }
        return tests.stream();
    }

    /**
     * The text each tokenizer received in {@code encode_prompt}: {@code prompt_2} defaults to
     * {@code prompt}, a missing negative prompt is {@code ""}, and {@code negative_prompt_2}
     * defaults to the negative prompt (an empty string counts as missing).
     */
    private static String promptFor(JsonNode params, String key) {
        String prompt = text(params, "prompt");
        String negative = text(params, "negative_prompt");
        return switch (key) {
            case "input_ids_1" -> prompt;
            case "input_ids_2" -> orElse(text(params, "prompt_2"), prompt);
            case "negative_input_ids_1" -> negative;
            case "negative_input_ids_2" -> orElse(text(params, "negative_prompt_2"), negative);
            default -> throw new IllegalArgumentException(key);
        };
    }

    private static String text(JsonNode params, String field) {
        JsonNode v = params.get(field);
        return v == null || v.isNull() ? "" : v.asText();
    }

    private static String orElse(String value, String fallback) {
        return value.isEmpty() ? fallback : value;
    }

    private synchronized ClipTokenizer tokenizer(Golden g, String folder) throws IOException {
        Path dir = g.dir().resolve(g.manifest().get("model_dir_relative_to_this_dir").asText()).resolve(folder).normalize();
        ClipTokenizer t = loaded.get(dir);
        if (t == null) {
            t = ClipTokenizer.load(dir);
            loaded.put(dir, t);
        }
        return t;
    }

    private static void assertIds(long[] expected, int[] actual, String prompt) {
        assertArrayEquals(expected, Arrays.stream(actual).asLongStream().toArray(), "ids of " + display(prompt));
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    /** The prompt on one line, control characters escaped, long ones shortened. */
    private static String display(String prompt) {
        StringBuilder sb = new StringBuilder();
        prompt.codePoints().forEach(cp -> {
            if (cp < 0x20 || (cp >= 0x7F && cp <= 0xA0) || Character.getType(cp) == Character.FORMAT) {
                sb.append(String.format("\\u%04x", cp));
            } else {
                sb.appendCodePoint(cp);
            }
        });
        return sb.length() > 60 ? sb.substring(0, sb.offsetByCodePoints(0, Math.min(57, sb.codePointCount(0, sb.length())))) + "..." : sb.toString();
    }
}
