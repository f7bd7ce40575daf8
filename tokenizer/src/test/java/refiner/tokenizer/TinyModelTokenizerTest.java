package refiner.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The real CLIP vocabulary of the tiny models in {@code ../shared/models}; skipped when absent. */
class TinyModelTokenizerTest {
    private static Path tokenizerDir(String model, String folder) {
        for (Path d = Path.of("").toAbsolutePath(); d != null && d.getParent() != null; d = d.getParent()) {
            Path dir = d.getParent().resolve("shared").resolve("models").resolve(model).resolve(folder);
            if (Files.isRegularFile(dir.resolve("vocab.json"))) return dir;
        }
        Assumptions.abort("tokenizer folder not found: ../shared/models/" + model + "/" + folder);
        return null;
    }

    private static int[] padded(int pad, int... head) {
        int[] ids = new int[77];
        Arrays.fill(ids, pad);
        System.arraycopy(head, 0, ids, 0, head.length);
        return ids;
    }

    @Test
    void refinerTokenizer2UsesExclamationMarkAsPad() throws IOException {
        ClipTokenizer t = ClipTokenizer.load(tokenizerDir("tiny-refiner", "tokenizer_2"));
        assertEquals(0, t.padId());
        assertEquals(49406, t.bosId());
        assertEquals(49407, t.eosId());
        assertEquals(77, t.maxLength());
        assertArrayEquals(padded(0, 49406, 3306, 267, 1002, 0, 829, 631, 592, 286, 49407), t.encode("Hello, world! How are you?"));
        assertArrayEquals(padded(0, 49406, 2781, 0, 0, 0, 1370, 0, 0, 0, 49407), t.encode("wow!!! amazing!!!"));
        assertArrayEquals(padded(0, 49406, 49406, 1689, 49407, 23562, 530, 4160, 49407),
                t.encode("<|startoftext|>special<|endoftext|> tokens in text"));
        assertArrayEquals(padded(0, 49406, 49407, 49407), t.encode("<|ENDOFTEXT|>"));
        assertEquals(List.of("<|startoftext|>", "cafÃ©</w>", "na", "Ã¯", "ve</w>", "<|endoftext|>"), t.tokens("café naïve"));
        assertEquals(List.of("<|startoftext|>", "zero", "width</w>", "and</w>", "nb", "sp</w>", "<|endoftext|>"),
                t.tokens("zero\u200bwidth and\u00a0nbsp"));
    }

    @Test
    void referenceRegexAndCaseQuirks() throws IOException {
        ClipTokenizer t = ClipTokenizer.load(tokenizerDir("tiny-refiner", "tokenizer_2"));
        // U+0345 matches no alternative of the case-insensitive word pattern and drops out
        assertArrayEquals(padded(0, 49406, 324, 343, 49407), t.encode("e\u0345 x"));
        // long s matches the contraction 's case-insensitively
        assertArrayEquals(padded(0, 49406, 6, 129, 379, 6220, 49407), t.encode("'\u017fmall"));
        // final sigma before a digit, dotted capital I lowercased to i + combining dot
        assertArrayEquals(padded(0, 49406, 138, 109, 139, 480, 272, 328, 16384, 49407), t.encode("\u0391\u03a31 \u0130"));
    }

    @Test
    void baseTokenizerUsesEndOfTextAsPad() throws IOException {
        ClipTokenizer t = ClipTokenizer.load(tokenizerDir("tiny-base", "tokenizer"));
        assertEquals(49407, t.padId());
        assertArrayEquals(padded(49407, 49406, 2781, 995, 1370, 995, 49407), t.encode("wow!!! amazing!!!"));
    }

    @Test
    void longPromptsKeep75Tokens() throws IOException {
        ClipTokenizer t = ClipTokenizer.load(tokenizerDir("tiny-refiner", "tokenizer_2"));
        int[] ids = t.encode("a ".repeat(100));
        assertEquals(77, ids.length);
        assertEquals(49406, ids[0]);
        for (int i = 1; i <= 75; i++) assertEquals(320, ids[i]);
        assertEquals(49407, ids[76]);
        assertEquals(77, t.tokens("a ".repeat(100)).size());
    }
}
