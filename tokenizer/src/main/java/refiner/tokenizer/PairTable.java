package refiner.tokenizer;

import java.util.Arrays;

/**
 * Merge rules keyed by the pair of symbol ids: open addressing over packed {@code long} keys, each
 * pair mapping to its rank (its line in merges.txt) and the id of the merged symbol.
 */
final class PairTable {
    private static final long EMPTY = -1L;

    private long[] keys;
    private int[] ranks;
    private int[] merged;
    private int size;

    PairTable(int expected) {
        int cap = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
        keys = new long[cap];
        Arrays.fill(keys, EMPTY);
        ranks = new int[cap];
        merged = new int[cap];
    }

    /** Sets the rule for {@code (left, right)}, replacing an earlier one for the same pair. */
    void put(int left, int right, int rank, int mergedId) {
        if (2 * (size + 1) > keys.length) grow();
        long key = pack(left, right);
        int slot = find(key);
        if (keys[slot] == EMPTY) {
            keys[slot] = key;
            size++;
        }
        ranks[slot] = rank;
        merged[slot] = mergedId;
    }

    /** The slot of the rule for {@code (left, right)}, or -1 when the pair never merges. */
    int slot(int left, int right) {
        int slot = find(pack(left, right));
        return keys[slot] == EMPTY ? -1 : slot;
    }

    int rank(int slot) {
        return ranks[slot];
    }

    int merged(int slot) {
        return merged[slot];
    }

    private int find(long key) {
        int mask = keys.length - 1;
        int slot = (int) mix(key) & mask;
        while (keys[slot] != EMPTY && keys[slot] != key) slot = (slot + 1) & mask;
        return slot;
    }

    private void grow() {
        long[] oldKeys = keys;
        int[] oldRanks = ranks;
        int[] oldMerged = merged;
        keys = new long[oldKeys.length * 2];
        Arrays.fill(keys, EMPTY);
        ranks = new int[keys.length];
        merged = new int[keys.length];
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] == EMPTY) continue;
            int slot = find(oldKeys[i]);
            keys[slot] = oldKeys[i];
            ranks[slot] = oldRanks[i];
            merged[slot] = oldMerged[i];
        }
    }

    private static long pack(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    private static long mix(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return h ^ (h >>> 29);
    }
}
