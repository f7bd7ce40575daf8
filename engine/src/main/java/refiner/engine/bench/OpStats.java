package refiner.engine.bench;

/** Accumulated calls, wall time and multiply-accumulates of one backend op, or of one op at one shape. */
public final class OpStats {
    private final String op;
    private final String shape;
    private long calls;
    private long nanos;
    private long macs;

    OpStats(String op, String shape) {
        this.op = op;
        this.shape = shape;
    }

    void add(long nanos, long macs) {
        calls++;
        this.nanos += nanos;
        this.macs += macs;
    }

    public String op() {
        return op;
    }

    /** The operands' shape, as "2048x768 -> 6144" for a linear layer; empty for an op's total. */
    public String shape() {
        return shape;
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
