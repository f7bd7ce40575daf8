package refiner.engine.bench;

import java.util.Arrays;

/** The wall times of one stage over the repeats of a benchmark. */
public record Timings(double[] seconds) {

    public Timings {
        if (seconds.length == 0) throw new IllegalArgumentException("no timings");
        seconds = seconds.clone();
    }

    public double median() {
        double[] s = seconds.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    public double min() {
        return Arrays.stream(seconds).min().orElseThrow();
    }

    public double max() {
        return Arrays.stream(seconds).max().orElseThrow();
    }
}
