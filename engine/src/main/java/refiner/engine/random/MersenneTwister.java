package refiner.engine.random;

/**
 * The 32-bit Mersenne Twister MT19937 as torch's CPU generator runs it: seeded with a 32-bit
 * value by the standard initialisation, all 624 state words regenerated before the first
 * output and after every 624 outputs, outputs tempered the standard way.
 */
final class MersenneTwister {
    private static final int N = 624;
    private static final int M = 397;
    private static final int MATRIX_A = 0x9908b0df;
    private static final int UPPER_MASK = 0x80000000;
    private static final int LOWER_MASK = 0x7fffffff;

    private final int[] state = new int[N];
    private int next;

    MersenneTwister(int seed) {
        state[0] = seed;
        for (int i = 1; i < N; i++) {
            int prev = state[i - 1];
            state[i] = 1812433253 * (prev ^ (prev >>> 30)) + i;
        }
        next = N;
    }

    /** The next tempered 32-bit output. */
    int nextInt() {
        if (next == N) regenerate();
        int y = state[next++];
        y ^= y >>> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= y >>> 18;
        return y;
    }

    private void regenerate() {
        for (int i = 0; i < N; i++) {
            int y = (state[i] & UPPER_MASK) | (state[(i + 1) % N] & LOWER_MASK);
            int mag = (y & 1) == 0 ? 0 : MATRIX_A;
            state[i] = state[(i + M) % N] ^ (y >>> 1) ^ mag;
        }
        next = 0;
    }
}
