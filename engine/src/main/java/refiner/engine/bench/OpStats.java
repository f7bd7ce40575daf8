package refiner.engine.bench;

/** Accumulated calls, wall time and multiply-accumulates of one backend op. */
public final class OpStats {
    private final String op;
    private long calls;
    private long nanos;
    private long macs;

    OpStats(String op) {
        this.op = op;
    }

    void add(long nanos, long macs) {
        calls++;
        this.nanos += nanos;
        this.macs += macs;
    }

    public String op() {
        return op;
    }

    public long calls() {
        return calls;
    }

    public double seconds() {
        return nanos / 1e9;
    }

    public long macs() {
        return macs;
    }

    /** Achieved rate, 2 floating-point operations per multiply-accumulate; 0 for ops that count none. */
    public double gflops() {
        return nanos == 0 ? 0 : 2.0 * macs / nanos;
    }
}
