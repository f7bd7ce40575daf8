package refiner.engine.bench;

/**
 * The timings of one pipeline stage, the multiply-accumulates of one run of it, and the range of
 * what it produced over all runs: the largest magnitude and the count of NaN or infinite values
 * (random weights that blow up, or an overflowing kernel, show here).
 */
public record StageResult(Timings timings, long macs, double maxAbsOutput, long nonFiniteOutputs) {

    /** Achieved GFLOP/s at the median time, 2 floating-point operations per multiply-accumulate. */
    public double gflops() {
        return 2.0 * macs / timings.median() / 1e9;
    }
}
