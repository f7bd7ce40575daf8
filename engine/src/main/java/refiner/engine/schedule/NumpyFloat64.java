package refiner.engine.schedule;

/** The float64 numpy routines that the scheduler's timesteps and sigmas go through. */
final class NumpyFloat64 {
    private NumpyFloat64() {
    }

    /** {@code np.linspace(0, stop, num)} in float64: {@code i * (stop / (num - 1))}, the last value exactly {@code stop}. */
    static double[] linspace(double stop, int num) {
        double[] out = new double[num];
        if (num == 1) return out;
        double step = stop / (num - 1);
        for (int i = 0; i < num; i++) out[i] = i * step + 0.0;
        out[num - 1] = stop;
        return out;
    }

    /**
     * {@code np.arange(start, 0, step)} for a negative float {@code step}: {@code ceil(-start / step)}
     * values; numpy writes {@code start} and {@code start + step}, then fills the rest as
     * {@code start + i * d} with {@code d = (start + step) - start}.
     */
    static double[] arangeDown(double start, double step) {
        int n = (int) Math.ceil((0.0 - start) / step);
        double[] out = new double[Math.max(n, 0)];
        if (out.length > 0) out[0] = start;
        if (out.length > 1) out[1] = start + step;
        double d = (start + step) - start;
        for (int i = 2; i < out.length; i++) out[i] = start + i * d;
        return out;
    }

    /**
     * {@code np.interp(x, arange(len(fp)), fp)}: values outside the range are clamped to the ends,
     * a value on a knot returns that knot's value, otherwise {@code slope * (x - j) + fp[j]} with
     * {@code slope = (fp[j + 1] - fp[j]) / 1}.
     */
    static double interp(double x, double[] fp) {
        int last = fp.length - 1;
        if (Double.isNaN(x)) return x;
        if (x < 0) return fp[0];
        if (x >= last) return fp[last];
        int j = (int) Math.floor(x);
        if (x == j) return fp[j];
        double slope = (fp[j + 1] - fp[j]) / 1.0;
        return slope * (x - j) + fp[j];
    }
}
