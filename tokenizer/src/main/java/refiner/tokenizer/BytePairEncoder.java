package refiner.tokenizer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Byte-level BPE over ranked merge rules, as CLIP applies it: the word's last character carries
 * {@code </w>}; while some adjacent pair has a rule, the pair of lowest rank is merged at every
 * non-overlapping place, left to right. Results are cached per word.
 */
final class BytePairEncoder {
    private static final String END_OF_WORD = "</w>";
    private static final int BYTE_CHARS = 0x144;

    private final Map<String, Integer> symbolIds = new HashMap<>();
    private final List<String> symbols = new ArrayList<>();
    private final int[] firstSymbol = new int[BYTE_CHARS];
    private final int[] lastSymbol = new int[BYTE_CHARS];
    private final PairTable rules;
    private final BpeCache cache;

    /** Rules in rank order, each {@code {left, right}}; a later rule for the same pair replaces the earlier rank. */
    BytePairEncoder(List<String[]> merges, int cacheCapacity) {
        for (int b = 0; b < 256; b++) {
            char c = ByteLevel.charOf(b);
            firstSymbol[c] = intern(String.valueOf(c));
            lastSymbol[c] = intern(c + END_OF_WORD);
        }
        rules = new PairTable(merges.size());
        for (int rank = 0; rank < merges.size(); rank++) {
            String[] m = merges.get(rank);
            rules.put(intern(m[0]), intern(m[1]), rank, intern(m[0] + m[1]));
        }
        cache = new BpeCache(cacheCapacity);
    }

    /** The BPE symbols of one non-empty word of byte-level characters. */
    String[] encode(String word) {
        String[] hit = cache.get(word);
        if (hit != null) return hit;
        String[] out = merge(word);
        cache.put(word, out);
        return out;
    }

    private String[] merge(String word) {
        int n = word.length();
        int[] w = new int[n];
        for (int i = 0; i < n - 1; i++) w[i] = firstSymbol[word.charAt(i)];
        w[n - 1] = lastSymbol[word.charAt(n - 1)];
        while (n > 1) {
            int best = -1;
            int bestRank = Integer.MAX_VALUE;
            int first = 0;
            int second = 0;
            for (int i = 0; i < n - 1; i++) {
                int slot = rules.slot(w[i], w[i + 1]);
                if (slot >= 0 && rules.rank(slot) < bestRank) {
                    best = slot;
                    bestRank = rules.rank(slot);
                    first = w[i];
                    second = w[i + 1];
                }
            }
            if (best < 0) break;
            int mergedId = rules.merged(best);
            int j = 0;
            for (int i = 0; i < n; ) {
                if (i < n - 1 && w[i] == first && w[i + 1] == second) {
                    w[j++] = mergedId;
                    i += 2;
                } else {
                    w[j++] = w[i++];
                }
            }
            n = j;
        }
        String[] out = new String[n];
        for (int i = 0; i < n; i++) out[i] = symbols.get(w[i]);
        return out;
    }

    private int intern(String symbol) {
        Integer id = symbolIds.get(symbol);
        if (id != null) return id;
        symbols.add(symbol);
        symbolIds.put(symbol, symbols.size() - 1);
        return symbols.size() - 1;
    }
}
