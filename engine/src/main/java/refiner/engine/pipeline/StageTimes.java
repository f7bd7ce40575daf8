package refiner.engine.pipeline;

import java.util.LinkedHashMap;
import java.util.Map;

/** Wall time spent per stage of a run, in stage order. */
public final class StageTimes {
    private final Map<String, Long> nanos = new LinkedHashMap<>();

    /** Adds {@code elapsed} nanoseconds to {@code stage}. */
    public void add(String stage, long elapsed) {
        nanos.merge(stage, elapsed, Long::sum);
    }

    /** Seconds per stage, in the order the stages first ran. */
    public Map<String, Double> seconds() {
        Map<String, Double> out = new LinkedHashMap<>();
        nanos.forEach((k, v) -> out.put(k, v / 1e9));
        return out;
    }
}
