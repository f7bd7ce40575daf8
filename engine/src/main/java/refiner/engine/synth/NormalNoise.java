package refiner.engine.synth;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.stream.IntStream;

/**
 * Fast, seeded, approximately normal numbers written as fp16. Each block of {@link #BLOCK} elements
 * has its own SplitMix64 stream, keyed by the tensor and the block index, so a tensor's values
 * depend only on (seed, component, name) and blocks fill in parallel. One 64-bit draw gives one
 * sample: the sum of its four 16-bit fields (Irwin-Hall, n = 4), centred and scaled to unit
 * variance; the tails end at +-sqrt(12) = 3.46 standard deviations, which suits random weights.
 */
final class NormalNoise {
    static final int BLOCK = 1 << 16;

    private static final long GOLDEN = 0x9E3779B97F4A7C15L;
    private static final double SCALE = Math.sqrt(3.0) / 65536.0;
    private static final double CENTRE = 2 * 65535.0;

    private NormalNoise() {
    }

    /** The stream key of one tensor: a hash of the seed, the component folder and the tensor name. */
    static long key(long seed, String component, String tensor) {
        long h = 0xcbf29ce484222325L;
        for (byte b : (component + "/" + tensor).getBytes(StandardCharsets.UTF_8)) {
            h = (h ^ (b & 0xff)) * 0x100000001b3L;
        }
        return mix(h ^ mix(seed));
    }

    /**
     * Writes elements {@code [first, first + count)} of the tensor keyed {@code key} into {@code out}
     * as little-endian fp16 from index 0, {@code mean + std * z} each; {@code first} is a multiple of
     * {@link #BLOCK}.
     */
    static void fill(long key, long first, int count, float mean, float std, ByteBuffer out) {
        int blocks = (count + BLOCK - 1) / BLOCK;
        IntStream.range(0, blocks).parallel().forEach(b -> {
            long state = mix(key + (first / BLOCK + b) * GOLDEN);
            int from = b * BLOCK, to = Math.min(count, from + BLOCK);
            for (int i = from; i < to; i++) {
                state += GOLDEN;
                long r = mix(state);
                long sum = (r & 0xffff) + ((r >>> 16) & 0xffff) + ((r >>> 32) & 0xffff) + (r >>> 48);
                float z = (float) ((sum - CENTRE) * SCALE);
                out.putShort(2 * i, Float.floatToFloat16(mean + std * z));
            }
        });
    }

    /** The SplitMix64 finaliser. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
