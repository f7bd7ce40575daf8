package refiner.engine.bench;

/** The timings of one pipeline stage and the multiply-accumulates of one run of it. */
public record StageResult(Timings timings, long macs) {

    /** Achieved GFLOP/s at the median time, 2 floating-point operations per multiply-accumulate. */
    public double gflops() {
        return 2.0 * macs / timings.median() / 1e9;
    }
}
