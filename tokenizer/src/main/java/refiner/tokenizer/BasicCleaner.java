package refiner.tokenizer;

import java.text.Normalizer;
import java.util.List;

/**
 * The text cleaning of BERT's basic tokenizer as CLIP uses it without ftfy (accents kept, no
 * punctuation split): control characters dropped, whitespace unified, CJK ideographs spaced, NFC,
 * split on Python whitespace, each word lowercased the Python way, words joined by single spaces.
 */
final class BasicCleaner {
    private BasicCleaner() {
    }

    /** The cleaned, lowercased text: words separated by single spaces, no leading or trailing space. */
    static String clean(String text) {
        StringBuilder sb = new StringBuilder(text.length() + 8);
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == 0 || cp == 0xFFFD || isControl(cp)) continue;
            if (isWhitespace(cp)) {
                sb.append(' ');
            } else if (isCjkIdeograph(cp)) {
                sb.append(' ').appendCodePoint(cp).append(' ');
            } else {
                sb.appendCodePoint(cp);
            }
        }
        List<String> words = PythonStrings.split(Normalizer.normalize(sb, Normalizer.Form.NFC));
        StringBuilder out = new StringBuilder(sb.length());
        for (String word : words) {
            if (!out.isEmpty()) out.append(' ');
            out.append(PythonStrings.lower(word));
        }
        return out.toString();
    }

    /** Category C* (control, format, private use, surrogate, unassigned in Unicode 14.0) except tab, newline, carriage return. */
    private static boolean isControl(int cp) {
        if (cp == '\t' || cp == '\n' || cp == '\r') return false;
        return switch (Character.getType(cp)) {
            case Character.CONTROL, Character.FORMAT, Character.PRIVATE_USE, Character.SURROGATE,
                 Character.UNASSIGNED -> true;
            default -> Unicode14.assignedLater(cp);
        };
    }

    /** Space, tab, newline, carriage return, or category Zs. */
    private static boolean isWhitespace(int cp) {
        return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || Character.getType(cp) == Character.SPACE_SEPARATOR;
    }

    /** The CJK Unified Ideographs blocks and their extensions and compatibility blocks (not kana, not hangul). */
    private static boolean isCjkIdeograph(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF)
                || (cp >= 0x3400 && cp <= 0x4DBF)
                || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F)
                || (cp >= 0x2B740 && cp <= 0x2B81F)
                || (cp >= 0x2B820 && cp <= 0x2CEAF)
                || (cp >= 0xF900 && cp <= 0xFAFF)
                || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }
}
