package refiner.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The added (special) tokens of a tokenizer and the split of raw text around them: exact,
 * case-sensitive matches, leftmost first and the longest token at a position, before any cleaning.
 */
final class AddedTokens {
    /** A piece of raw text: an added token ({@code id >= 0}) or plain text ({@code id == -1}). */
    record Piece(String text, int id) {
        boolean special() {
            return id >= 0;
        }
    }

    private final Map<String, Integer> ids;
    private final String[] byLength;

    AddedTokens(Map<String, Integer> ids) {
        this.ids = Map.copyOf(ids);
        this.byLength = ids.keySet().stream()
                .sorted((a, b) -> Integer.compare(b.length(), a.length()))
                .toArray(String[]::new);
    }

    /** The id of {@code token} when it is an added token, else -1. */
    int id(String token) {
        Integer id = ids.get(token);
        return id == null ? -1 : id;
    }

    /** {@code text} cut into added tokens and the non-empty plain text between them, in order. */
    List<Piece> split(String text) {
        List<Piece> pieces = new ArrayList<>();
        int plainStart = 0;
        for (int i = 0; i < text.length(); ) {
            String match = matchAt(text, i);
            if (match == null) {
                i++;
                continue;
            }
            if (i > plainStart) pieces.add(new Piece(text.substring(plainStart, i), -1));
            pieces.add(new Piece(match, ids.get(match)));
            i += match.length();
            plainStart = i;
        }
        if (plainStart < text.length()) pieces.add(new Piece(text.substring(plainStart), -1));
        return pieces;
    }

    private String matchAt(String text, int i) {
        for (String token : byLength) {
            if (text.startsWith(token, i)) return token;
        }
        return null;
    }
}
