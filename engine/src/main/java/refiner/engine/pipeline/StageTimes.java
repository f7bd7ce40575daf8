package refiner.engine.pipeline;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Wall time spent per stage of a run, in stage order, keeping each timed piece (every UNet step). */
public final class StageTimes {
    private final Map<String, List<Long>> nanos = new LinkedHashMap<>();

    /** Adds {@code elapsed} nanoseconds to {@code stage} as one more timed piece of it. */
    public void add(String stage, long elapsed) {
        nanos.computeIfAbsent(stage, k -> new ArrayList<>()).add(elapsed);
    }

    /** Seconds per stage, in the order the stages first ran. */
    public Map<String, Double> seconds() {
        Map<String, Double> out = new LinkedHashMap<>();
        nanos.forEach((k, v) -> out.put(k, v.stream().mapToLong(Long::longValue).sum() / 1e9));
        return out;
    }

    /** The seconds of each piece of {@code stage} in the order they ran (one per UNet step); empty when it did not run. */
    public double[] pieces(String stage) {
        return nanos.getOrDefault(stage, List.of()).stream().mapToDouble(n -> n / 1e9).toArray();
    }
}
