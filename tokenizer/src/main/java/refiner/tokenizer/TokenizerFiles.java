package refiner.tokenizer;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The files of a Hugging Face CLIP tokenizer folder: {@code vocab.json}, {@code merges.txt}, and the
 * optional {@code tokenizer_config.json} and {@code special_tokens_map.json} (the latter wins) for the
 * special tokens and the maximum length.
 */
record TokenizerFiles(Map<String, Integer> vocab, List<String[]> merges, String bos, String eos, String unk,
                      String pad, int maxLength) {
    /** CLIP's merges.txt holds a version line, then at most this many rules that are used. */
    private static final int MAX_MERGES = 49152 - 256 - 2;
    private static final int DEFAULT_MAX_LENGTH = 77;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Reads the folder; a missing or malformed file gives a one-line exception naming it. */
    static TokenizerFiles read(Path dir) throws IOException {
        Map<String, Integer> vocab = readVocab(dir.resolve("vocab.json"));
        List<String[]> merges = readMerges(dir.resolve("merges.txt"));
        Map<String, String> special = new HashMap<>(Map.of(
                "bos_token", "<|startoftext|>", "eos_token", "<|endoftext|>",
                "unk_token", "<|endoftext|>", "pad_token", "<|endoftext|>"));
        int maxLength = DEFAULT_MAX_LENGTH;
        Path config = dir.resolve("tokenizer_config.json");
        if (Files.isRegularFile(config)) {
            JsonNode root = readJson(config);
            readSpecialTokens(config, root, special);
            JsonNode max = root.get("model_max_length");
            if (max != null) {
                if (!max.canConvertToInt() || max.asInt() < 2) {
                    throw new IllegalArgumentException(config + ": model_max_length " + max + " is not an integer >= 2");
                }
                maxLength = max.asInt();
            }
        }
        Path map = dir.resolve("special_tokens_map.json");
        if (Files.isRegularFile(map)) readSpecialTokens(map, readJson(map), special);
        return new TokenizerFiles(vocab, merges, special.get("bos_token"), special.get("eos_token"),
                special.get("unk_token"), special.get("pad_token"), maxLength);
    }

    private static Map<String, Integer> readVocab(Path file) throws IOException {
        JsonNode root = readJson(file);
        if (!root.isObject()) throw new IllegalArgumentException(file + ": expected a JSON object of token -> id");
        Map<String, Integer> vocab = new HashMap<>(root.size() * 2);
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().canConvertToInt() || !e.getValue().isIntegralNumber() || e.getValue().asInt() < 0) {
                throw new IllegalArgumentException(file + ": id of token " + JSON.writeValueAsString(e.getKey())
                        + " is not a non-negative integer: " + e.getValue());
            }
            vocab.put(e.getKey(), e.getValue().asInt());
        }
        return vocab;
    }

    /** Python's {@code read().strip().split("\n")[1:MAX_MERGES + 1]} with universal newlines; blank lines carry no rule. */
    private static List<String[]> readMerges(Path file) throws IOException {
        String text = readUtf8(file).replace("\r\n", "\n").replace('\r', '\n');
        String[] lines = strip(text).split("\n", -1);
        int end = Math.min(lines.length, MAX_MERGES + 1);
        List<String[]> merges = new ArrayList<>(Math.max(0, end - 1));
        for (int i = 1; i < end; i++) {
            List<String> parts = PythonStrings.split(lines[i]);
            if (parts.isEmpty()) continue;
            if (parts.size() != 2) {
                throw new IllegalArgumentException(file + ":" + (i + 1) + ": expected two symbols, got "
                        + JSON.writeValueAsString(lines[i]));
            }
            merges.add(parts.toArray(String[]::new));
        }
        return merges;
    }

    private static void readSpecialTokens(Path file, JsonNode root, Map<String, String> special) {
        if (!root.isObject()) throw new IllegalArgumentException(file + ": expected a JSON object");
        for (String key : List.of("bos_token", "eos_token", "unk_token", "pad_token")) {
            JsonNode v = root.get(key);
            if (v == null) continue;
            JsonNode content = v.isObject() ? v.get("content") : v;
            if (content == null || !content.isTextual() || content.asText().isEmpty()) {
                throw new IllegalArgumentException(file + ": " + key + " is not a token string or {\"content\": ...}: " + v);
            }
            special.put(key, content.asText());
        }
    }

    private static JsonNode readJson(Path file) throws IOException {
        String text = readUtf8(file);
        try {
            JsonNode root = JSON.readTree(text);
            if (root == null || root.isMissingNode()) throw new IOException(file + ": empty JSON file");
            return root;
        } catch (JacksonException e) {
            throw new IOException(file + ": malformed JSON: " + e.getOriginalMessage().lines().findFirst().orElse(""));
        }
    }

    private static String readUtf8(Path file) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IOException("tokenizer file not found: " + file);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new IOException(file + ": not valid UTF-8");
        }
    }

    /** Python {@code str.strip()}: drops leading and trailing Python whitespace. */
    private static String strip(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && PythonStrings.isSpace(s.charAt(start))) start++;
        while (end > start && PythonStrings.isSpace(s.charAt(end - 1))) end--;
        return s.substring(start, end);
    }
}
