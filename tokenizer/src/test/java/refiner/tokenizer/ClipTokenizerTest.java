package refiner.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tokenizer over a handcrafted vocabulary and merge list. */
class ClipTokenizerTest {
    @TempDir
    Path dir;

    /** Ids: the 256 byte characters 0..255, their {@code </w>} forms 256..511, then merged symbols. */
    private static final List<String> MERGES = List.of("l o", "lo w</w>", "h e", "he l", "hel lo", "hello w</w>");

    @BeforeEach
    void writeTokenizer() throws IOException {
        StringBuilder vocab = new StringBuilder("{");
        int id = 0;
        for (int b = 0; b < 256; b++) vocab.append(json(String.valueOf(ByteLevel.charOf(b)))).append(": ").append(id++).append(", ");
        for (int b = 0; b < 256; b++) vocab.append(json(ByteLevel.charOf(b) + "</w>")).append(": ").append(id++).append(", ");
        for (String m : MERGES) vocab.append(json(m.replace(" ", ""))).append(": ").append(id++).append(", ");
        vocab.append("\"<|startoftext|>\": ").append(id++).append(", \"<|endoftext|>\": ").append(id).append("}");
        Files.writeString(dir.resolve("vocab.json"), vocab);
        Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\n" + String.join("\n", MERGES) + "\n");
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"model_max_length\": 8, \"pad_token\": \"!\"}");
    }

    private static String json(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private static int plain(char c) {
        return c;
    }

    private static int last(char c) {
        return 256 + c;
    }

    @Test
    void mergesByRankAndMarksTheLastSymbol() throws IOException {
        ClipTokenizer t = ClipTokenizer.load(dir);
        // "l o" (rank 0) is merged before "h e", so "hel" never meets "lo" and "hello w</w>" cannot apply
        assertEquals(List.of("<|startoftext|>", "low</w>", "hel", "low</w>", "l", "o</w>", "<|endoftext|>"), t.tokens("low HELLOW lo"));
        assertEquals(518, t.bosId());
        assertEquals(519, t.eosId());
        assertEquals(plain('!'), t.padId());
        assertEquals(8, t.maxLength());
    }

    @Test
    void padsTruncatesAndAddsBosEos() throws IOException {
        ClipTokenizer t = ClipTokenizer.load(dir);
        assertArrayEquals(new int[] {518, last('a'), 519, 33, 33, 33, 33, 33}, t.encode("a"));
        assertArrayEquals(new int[] {518, last('a'), last('b'), last('c'), last('d'), last('e'), last('f'), 519},
                t.encode("a b c d e f g h"));
        assertArrayEquals(new int[] {518, 519, 33, 33, 33, 33, 33, 33}, t.encode("   "));
    }

    @Test
    void padTokenInTextIsSpecial() throws IOException {
        ClipTokenizer t = ClipTokenizer.load(dir);
        assertEquals(List.of("<|startoftext|>", "w</w>", "!", "!", "?</w>", "<|endoftext|>"), t.tokens("w!!?"));
        assertEquals(plain('!'), t.encode("w!!?")[2]);
    }

    @Test
    void literalSpecialTokensAreSplitBeforeCleaning() throws IOException {
        ClipTokenizer t = ClipTokenizer.load(dir);
        int[] ids = t.encode("a<|endoftext|>b");
        assertArrayEquals(new int[] {518, last('a'), 519, last('b'), 519}, Arrays.copyOf(ids, 5));
        assertEquals(List.of("<|startoftext|>", "<|endoftext|>", "<|endoftext|>"), t.tokens("<|EndOfText|>"));
    }

    @Test
    void contractionsDigitsAndPunctuation() throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"model_max_length\": 20, \"pad_token\": \"!\"}");
        ClipTokenizer t = ClipTokenizer.load(dir);
        assertEquals(List.of("<|startoftext|>", "i</w>", "'", "l", "l</w>", "4</w>", "2</w>", ".", ",</w>", "<|endoftext|>"),
                t.tokens("I'LL 42.,"));
    }

    @Test
    void nonAsciiGoesThroughUtf8Bytes() throws IOException {
        ClipTokenizer t = ClipTokenizer.load(dir);
        // é = C3 A9 -> Ã, ©</w>
        assertEquals(List.of("<|startoftext|>", "Ã", "©</w>", "<|endoftext|>"), t.tokens("É"));
    }

    @Test
    void unknownSymbolsBecomeUnk() throws IOException {
        Files.writeString(dir.resolve("vocab.json"), "{\"<|startoftext|>\": 1, \"<|endoftext|>\": 2, \"!\": 0}");
        ClipTokenizer t = ClipTokenizer.load(dir);
        assertArrayEquals(new int[] {1, 2, 2, 2, 0, 0, 0, 0}, t.encode("zz"));
    }

    @Test
    void cacheDoesNotChangeResults() throws IOException {
        ClipTokenizer cached = ClipTokenizer.load(dir, 1);
        ClipTokenizer uncached = ClipTokenizer.load(dir, 0);
        for (String p : List.of("hello low", "low hello", "hello", "hello hello low")) {
            assertArrayEquals(uncached.encode(p), cached.encode(p), p);
            assertArrayEquals(uncached.encode(p), cached.encode(p), p);
        }
    }

    @Test
    void specialTokensMapOverridesConfig() throws IOException {
        Files.writeString(dir.resolve("special_tokens_map.json"), "{\"pad_token\": {\"content\": \"<|endoftext|>\"}}");
        ClipTokenizer t = ClipTokenizer.load(dir);
        assertEquals(519, t.padId());
        assertEquals(List.of("<|startoftext|>", "w</w>", "!</w>", "<|endoftext|>"), t.tokens("w!"));
    }

    @Test
    void defaultMaxLengthIs77() throws IOException {
        Files.delete(dir.resolve("tokenizer_config.json"));
        ClipTokenizer t = ClipTokenizer.load(dir);
        assertEquals(77, t.maxLength());
        assertEquals(519, t.padId());
        assertEquals(77, t.encode("x").length);
    }

    @Test
    void mergesFileReadLikePython() throws IOException {
        // CRLF line ends and blank lines are tolerated; only the first 48894 rules after the version line count
        StringBuilder merges = new StringBuilder("#version: 0.2\r\n\r\nl o\r\n");
        for (int i = 1; i < 48894; i++) merges.append("x").append(i).append(" y\n");
        merges.append("h e\n");
        Files.writeString(dir.resolve("merges.txt"), merges);
        ClipTokenizer t = ClipTokenizer.load(dir);
        assertEquals(List.of("<|startoftext|>", "lo", "o</w>", "h", "e</w>", "<|endoftext|>"), t.tokens("loo he"));
    }

    @Test
    void missingFilesNameTheFile() throws IOException {
        Files.delete(dir.resolve("merges.txt"));
        IOException e = assertThrows(IOException.class, () -> ClipTokenizer.load(dir));
        assertTrue(e.getMessage().contains("merges.txt"), e.getMessage());
        Files.delete(dir.resolve("vocab.json"));
        e = assertThrows(IOException.class, () -> ClipTokenizer.load(dir));
        assertTrue(e.getMessage().contains("vocab.json"), e.getMessage());
    }

    @Test
    void malformedFilesGiveOneLineErrors() throws IOException {
        Files.writeString(dir.resolve("vocab.json"), "{\"a\": 1,");
        IOException io = assertThrows(IOException.class, () -> ClipTokenizer.load(dir));
        assertOneLineNaming(io, "vocab.json");

        writeTokenizer();
        Files.writeString(dir.resolve("vocab.json"), "{\"a\": \"x\"}");
        assertOneLineNaming(assertThrows(IllegalArgumentException.class, () -> ClipTokenizer.load(dir)), "vocab.json");

        writeTokenizer();
        Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\nl o\nh e l\n");
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> ClipTokenizer.load(dir));
        assertOneLineNaming(bad, "merges.txt:3");

        writeTokenizer();
        Files.write(dir.resolve("merges.txt"), new byte[] {'#', '\n', (byte) 0xC3, 'x', ' ', 'y'});
        assertOneLineNaming(assertThrows(IOException.class, () -> ClipTokenizer.load(dir)), "merges.txt");

        writeTokenizer();
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"pad_token\": \"<pad>\"}");
        assertOneLineNaming(assertThrows(IllegalArgumentException.class, () -> ClipTokenizer.load(dir)), "<pad>");

        writeTokenizer();
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"model_max_length\": \"long\"}");
        assertOneLineNaming(assertThrows(IllegalArgumentException.class, () -> ClipTokenizer.load(dir)), "tokenizer_config.json");
    }

    private static void assertOneLineNaming(Exception e, String name) {
        assertTrue(e.getMessage().contains(name), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }
}
