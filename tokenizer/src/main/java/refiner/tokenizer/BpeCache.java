package refiner.tokenizer;

import java.util.LinkedHashMap;
import java.util.Map;

/** A bounded least-recently-used map from a byte-level word to its BPE symbols; safe for concurrent use. */
final class BpeCache {
    private final int capacity;
    private final LinkedHashMap<String, String[]> map;

    /** A cache of at most {@code capacity} words; 0 caches nothing. */
    BpeCache(int capacity) {
        if (capacity < 0) throw new IllegalArgumentException("BPE cache capacity must be >= 0, got " + capacity);
        this.capacity = capacity;
        this.map = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, String[]> eldest) {
                return size() > BpeCache.this.capacity;
            }
        };
    }

    synchronized String[] get(String word) {
        return capacity == 0 ? null : map.get(word);
    }

    synchronized void put(String word, String[] symbols) {
        if (capacity > 0) map.put(word, symbols);
    }
}
