package refiner.tokenizer;

import java.util.ArrayList;
import java.util.List;

/** Python 3 {@code str} semantics the reference relies on: {@code isspace}, {@code split()}, {@code lower()}. */
final class PythonStrings {
    private static final int CAPITAL_SIGMA = 0x03A3;
    private static final int SMALL_SIGMA = 0x03C3;
    private static final int FINAL_SIGMA = 0x03C2;
    private static final int CAPITAL_I_WITH_DOT = 0x0130;

    private PythonStrings() {
    }

    /** Python {@code str.isspace()} for one code point (bidi class WS, B or S, or category Zs). */
    static boolean isSpace(int cp) {
        return switch (cp) {
            case 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x85, 0xA0, 0x1680,
                 0x2028, 0x2029, 0x202F, 0x205F, 0x3000 -> true;
            default -> cp >= 0x2000 && cp <= 0x200A;
        };
    }

    /** Python {@code s.split()}: runs of whitespace separate words; no empty words. */
    static List<String> split(String s) {
        List<String> words = new ArrayList<>();
        int start = -1;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            if (isSpace(cp)) {
                if (start >= 0) words.add(s.substring(start, i));
                start = -1;
            } else if (start < 0) {
                start = i;
            }
            i += Character.charCount(cp);
        }
        if (start >= 0) words.add(s.substring(start));
        return words;
    }

    /**
     * Python {@code s.lower()}: the full lowercase mapping per code point ({@code İ} becomes
     * {@code i̇}), and capital sigma becomes final sigma when a cased letter precedes it and none
     * follows it, skipping case-ignorable characters on both sides.
     */
    static String lower(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            if (cp == CAPITAL_SIGMA) {
                out.append((char) (isFinalSigma(s, i) ? FINAL_SIGMA : SMALL_SIGMA));
            } else if (cp == CAPITAL_I_WITH_DOT) {
                out.append("i\u0307");
            } else {
                out.appendCodePoint(Character.toLowerCase(cp));
            }
            i += Character.charCount(cp);
        }
        return out.toString();
    }

    private static boolean isFinalSigma(String s, int index) {
        int j = index;
        int before = -1;
        while (j > 0) {
            int cp = s.codePointBefore(j);
            j -= Character.charCount(cp);
            if (!isCaseIgnorable(cp)) {
                before = cp;
                break;
            }
        }
        if (before < 0 || !isCased(before)) return false;
        for (j = index + 1; j < s.length(); ) {
            int cp = s.codePointAt(j);
            if (!isCaseIgnorable(cp)) return !isCased(cp);
            j += Character.charCount(cp);
        }
        return true;
    }

    /** Unicode property Cased: lowercase, uppercase or titlecase. */
    private static boolean isCased(int cp) {
        return Character.isLowerCase(cp) || Character.isUpperCase(cp) || Character.isTitleCase(cp);
    }

    /** Unicode property Case_Ignorable: Mn, Me, Cf, Lm, Sk, and word-break MidLetter, MidNumLet, Single_Quote. */
    private static boolean isCaseIgnorable(int cp) {
        return switch (Character.getType(cp)) {
            case Character.NON_SPACING_MARK, Character.ENCLOSING_MARK, Character.FORMAT,
                 Character.MODIFIER_LETTER, Character.MODIFIER_SYMBOL -> true;
            default -> switch (cp) {
                case 0x0027, 0x002E, 0x003A, 0x00B7, 0x0387, 0x055F, 0x05F4, 0x2018, 0x2019, 0x2024,
                     0x2027, 0xFE13, 0xFE52, 0xFE55, 0xFF07, 0xFF0E, 0xFF1A,
                     0x1171E -> true; // U+1171E: Mn in Unicode 14.0, Mc later
                default -> false;
            };
        };
    }
}
