package refiner.engine.backend.cpu;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Float arrays kept for reuse, keyed by exact length, so a network's activations of recurring
 * shapes stop allocating after the first step. Holds at most {@code capacity} floats in all.
 */
final class BufferPool {
    private final Map<Integer, ArrayDeque<float[]>> free = new HashMap<>();
    private final long capacity;
    private long held;

    BufferPool(long capacity) {
        this.capacity = capacity;
    }

    /** A pooled array of exactly {@code n} floats, or null when none is free; contents undefined. */
    synchronized float[] take(int n) {
        ArrayDeque<float[]> q = free.get(n);
        if (q != null && !q.isEmpty()) {
            held -= n;
            return q.pop();
        }
        return null;
    }

    /** Keeps {@code a} for reuse unless the pool is full. */
    synchronized void give(float[] a) {
        if (held + a.length > capacity) return;
        free.computeIfAbsent(a.length, k -> new ArrayDeque<>()).push(a);
        held += a.length;
    }

    synchronized void clear() {
        free.clear();
        held = 0;
    }
}
