package refiner.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The cleaning step against what the reference's Python produces. */
class BasicCleanerTest {
    @Test
    void whitespaceIsUnifiedAndCollapsed() {
        assertEquals("multiple spaces and tabs", BasicCleaner.clean("  multiple \t spaces\r\nand\u00a0tabs\u3000 "));
        assertEquals("a b c", BasicCleaner.clean("a\u2028b\u2029c"));
        assertEquals("", BasicCleaner.clean(" \t\n "));
    }

    @Test
    void controlAndFormatCharactersVanishAndJoinNeighbours() {
        assertEquals("zerowidth", BasicCleaner.clean("zero\u200bwidth"));
        assertEquals("ab", BasicCleaner.clean("a\u000bb"));
        assertEquals("ab", BasicCleaner.clean("a\u000cb"));
        assertEquals("ab", BasicCleaner.clean("a\u200db\ue000"));
        assertEquals("ab", BasicCleaner.clean("a\u0000\ufffdb"));
        assertEquals("ab", BasicCleaner.clean("a\ud800b"));
    }

    @Test
    void unassignedInUnicode14Vanishes() {
        // U+1C89 CYRILLIC CAPITAL LETTER TJE was added in Unicode 16.0
        assertEquals("ab", BasicCleaner.clean("a\u1c89b"));
    }

    @Test
    void cjkIdeographsAreSpacedButNotKanaOrHangul() {
        assertEquals("東 京 タワーの 夜 景", BasicCleaner.clean("東京タワーの夜景"));
        assertEquals("한국어", BasicCleaner.clean("한국어"));
    }

    @Test
    void nfcThenPythonLowercase() {
        assertEquals("café", BasicCleaner.clean("CAFE\u0301"));
        assertEquals("i\u0307stanbul", BasicCleaner.clean("İSTANBUL"));
        assertEquals("ὀδυσσεύς", BasicCleaner.clean("ὈΔΥΣΣΕΎΣ"));
        assertEquals("σ ας", BasicCleaner.clean("Σ ΑΣ"));
        assertEquals("aς1", BasicCleaner.clean("AΣ1"));
        assertEquals("a1σ", BasicCleaner.clean("A1Σ"));
        assertEquals("a'ς", BasicCleaner.clean("A'Σ"));
        assertEquals("ß ﬁne", BasicCleaner.clean("ß ﬁne"));
        assertEquals("ｆｕｌｌ", BasicCleaner.clean("ＦＵＬＬ"));
    }
}
