package refiner.engine.random;

import java.util.Arrays;

/**
 * A bit-exact reproduction of {@code torch.Generator("cpu").manual_seed(seed)} (torch 1.13 on
 * x86-64 with AVX2) with {@code torch.randn} and {@code torch.rand}, so that a seed gives the
 * same noise as the reference pipelines.
 *
 * <ul>
 *   <li>Seeding: the 64-bit seed is kept, the MT19937 engine gets its low 32 bits; seeding
 *       clears the cached normal value.</li>
 *   <li>Uniforms: float32 = (word &amp; 0xFFFFFF) / 2^24 from one word; float64 = the low 53
 *       bits of (first word &lt;&lt; 32 | second word) / 2^53.</li>
 *   <li>{@code randn} with fewer than 16 elements: per element one double normal, either the
 *       cached one or {@code r cos(theta)} of a fresh pair with {@code theta = 2 pi u1},
 *       {@code r = sqrt(-2 ln(1 - u2))} (double maths), {@code r sin(theta)} being cached.</li>
 *   <li>{@code randn} with 16 or more elements: all uniforms first, then Box-Muller on each
 *       block of 16 (cosines to the first half, sines to the second); when the count is not a
 *       multiple of 16 the last 16 positions are redrawn and transformed again. float32 uses the
 *       AVX2 kernel's arithmetic ({@link Avx2BoxMuller}); float64 uses double maths.</li>
 * </ul>
 * The double-precision ln, sin and cos are the C library's ({@link CLibraryMath}), as in torch.
 * Not thread-safe: one generator belongs to one pipeline run.
 */
public final class TorchGenerator {
    private static final int BLOCK = 16;
    private static final double FLOAT_UNIT = 0x1.0p-24;
    private static final double DOUBLE_UNIT = 0x1.0p-53;
    private static final long DOUBLE_MASK = (1L << 53) - 1;

    private MersenneTwister engine;
    private long initialSeed;
    private boolean hasCachedNormal;
    private double cachedNormal;

    /** A generator seeded like {@code torch.Generator("cpu").manual_seed(seed)}. */
    public TorchGenerator(long seed) {
        manualSeed(seed);
    }

    /** Re-seeds: the engine restarts from {@code seed}'s low 32 bits and the cached normal is dropped. */
    public void manualSeed(long seed) {
        initialSeed = seed;
        engine = new MersenneTwister((int) seed);
        hasCachedNormal = false;
    }

    /** The seed given last, as a 64-bit value (torch reports it as unsigned). */
    public long initialSeed() {
        return initialSeed;
    }

    /** The next raw 32-bit engine output, in [0, 2^32). */
    public long nextWord() {
        return Integer.toUnsignedLong(engine.nextInt());
    }

    /** {@code torch.rand(shape, generator=g)} in float32, row-major. */
    public float[] rand(int... shape) {
        float[] out = new float[count(shape)];
        for (int i = 0; i < out.length; i++) out[i] = nextFloat();
        return out;
    }

    /** {@code torch.rand(shape, generator=g, dtype=torch.float64)}, row-major. */
    public double[] randDouble(int... shape) {
        double[] out = new double[count(shape)];
        for (int i = 0; i < out.length; i++) out[i] = nextDouble();
        return out;
    }

    /** {@code torch.randn(shape, generator=g)} in float32, row-major. */
    public float[] randn(int... shape) {
        int n = count(shape);
        float[] out = new float[n];
        if (n < BLOCK) {
            for (int i = 0; i < n; i++) out[i] = (float) nextNormal();
            return out;
        }
        for (int i = 0; i < n; i++) out[i] = nextFloat();
        for (int i = 0; i + BLOCK <= n; i += BLOCK) Avx2BoxMuller.transform16(out, i);
        if (n % BLOCK != 0) {
            int tail = n - BLOCK;
            for (int i = tail; i < n; i++) out[i] = nextFloat();
            Avx2BoxMuller.transform16(out, tail);
        }
        return out;
    }

    /** {@code torch.randn(shape, generator=g, dtype=torch.float64)}, row-major. */
    public double[] randnDouble(int... shape) {
        int n = count(shape);
        double[] out = new double[n];
        if (n < BLOCK) {
            for (int i = 0; i < n; i++) out[i] = nextNormal();
            return out;
        }
        for (int i = 0; i < n; i++) out[i] = nextDouble();
        for (int i = 0; i + BLOCK <= n; i += BLOCK) transform16(out, i);
        if (n % BLOCK != 0) {
            int tail = n - BLOCK;
            for (int i = tail; i < n; i++) out[i] = nextDouble();
            transform16(out, tail);
        }
        return out;
    }

    private float nextFloat() {
        return (float) ((engine.nextInt() & 0xFFFFFF) * FLOAT_UNIT);
    }

    private double nextDouble() {
        long hi = Integer.toUnsignedLong(engine.nextInt());
        long lo = Integer.toUnsignedLong(engine.nextInt());
        return (((hi << 32) | lo) & DOUBLE_MASK) * DOUBLE_UNIT;
    }

    /** One standard normal of the per-element path, with the cached second value of each pair. */
    private double nextNormal() {
        if (hasCachedNormal) {
            hasCachedNormal = false;
            return cachedNormal;
        }
        double u1 = nextDouble();
        double u2 = nextDouble();
        double r = Math.sqrt(-2.0 * CLibraryMath.log(1.0 - u2));
        double theta = 2.0 * Math.PI * u1;
        cachedNormal = r * CLibraryMath.sin(theta);
        hasCachedNormal = true;
        return r * CLibraryMath.cos(theta);
    }

    /** The float64 block transform: pairs (j, j + 8) of 16 uniforms in double maths. */
    private static void transform16(double[] v, int o) {
        for (int j = 0; j < 8; j++) {
            double r = Math.sqrt(-2.0 * CLibraryMath.log(1.0 - v[o + j]));
            double theta = 2.0 * Math.PI * v[o + j + 8];
            v[o + j] = r * CLibraryMath.cos(theta);
            v[o + j + 8] = r * CLibraryMath.sin(theta);
        }
    }

    private static int count(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension " + d + " in shape " + Arrays.toString(shape));
            n *= d;
            if (n > Integer.MAX_VALUE - BLOCK) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has too many elements for one draw");
            }
        }
        return (int) n;
    }
}
