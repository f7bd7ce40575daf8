package refiner.tokenizer;

import java.nio.charset.StandardCharsets;

/**
 * GPT-2's reversible byte-to-character table: printable Latin-1 bytes stand for themselves, the
 * other 68 bytes (controls, space, NBSP, soft hyphen) take the characters from U+0100 upward in
 * byte order. A word's UTF-8 bytes become a string of such characters before BPE.
 */
final class ByteLevel {
    private static final char[] BYTE_TO_CHAR = table();

    private ByteLevel() {
    }

    private static char[] table() {
        char[] t = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            t[b] = printable ? (char) b : (char) next++;
        }
        return t;
    }

    /** The character standing for byte {@code b} (0..255). */
    static char charOf(int b) {
        return BYTE_TO_CHAR[b & 0xFF];
    }

    /** The UTF-8 bytes of {@code text}, one table character per byte. */
    static String encode(String text) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        char[] out = new char[utf8.length];
        for (int i = 0; i < utf8.length; i++) out[i] = BYTE_TO_CHAR[utf8[i] & 0xFF];
        return new String(out);
    }
}
