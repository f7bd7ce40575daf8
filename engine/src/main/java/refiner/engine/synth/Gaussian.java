package refiner.engine.synth;

/**
 * A small seeded generator of standard normal floats for synthetic weights: SplitMix64 for the
 * uniform bits, Box-Muller for the normal pairs. Deterministic for a given seed on every platform.
 */
final class Gaussian {
    private long state;
    private float spare;
    private boolean hasSpare;

    Gaussian(long seed) {
        this.state = seed;
    }

    /** A generator whose stream depends on {@code seed} and {@code name} only. */
    static Gaussian of(long seed, String name) {
        Gaussian g = new Gaussian(seed ^ 0x5DEECE66DL);
        for (int i = 0; i < name.length(); i++) g.state = mix(g.state + name.charAt(i));
        return g;
    }

    /** The next standard normal sample. */
    float next() {
        if (hasSpare) {
            hasSpare = false;
            return spare;
        }
        double u1 = uniform();
        double u2 = uniform();
        double r = Math.sqrt(-2 * Math.log(u1));
        spare = (float) (r * Math.sin(2 * Math.PI * u2));
        hasSpare = true;
        return (float) (r * Math.cos(2 * Math.PI * u2));
    }

    /** Uniform in (0, 1]: never 0, so that its logarithm is finite. */
    private double uniform() {
        state += 0x9E3779B97F4A7C15L;
        return ((mix(state) >>> 11) + 1) * 0x1.0p-53;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
