package refiner.tests;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Assertions;
import refiner.engine.tensor.Tensor;

/**
 * Collects the per-block tensors a network reports to its debug hook, and names the first of
 * them that is off from the golden {@code debug} tensors of a case.
 */
final class DebugTrace implements BiConsumer<String, Tensor> {
    private final Map<String, float[]> seen = new LinkedHashMap<>();

    @Override
    public void accept(String name, Tensor t) {
        seen.put(name, t.backend().download(t));
    }

    /** A hook into this trace that puts {@code prefix} in front of each name ("positive.text_encoder_2."). */
    BiConsumer<String, Tensor> under(String prefix) {
        return (name, t) -> accept(prefix + name, t);
    }

    Map<String, float[]> seen() {
        return seen;
    }

    /**
     * Walks the case's golden debug tensors in manifest order and describes the first whose max
     * abs diff exceeds {@code tol} ("down_blocks.1 (max abs diff 3e-3)"), or returns "none (k of n
     * compared)" when all are within it. {@code aliases} maps a golden name to the reported name where they differ;
     * golden entries the network does not report are skipped.
     */
    String firstOff(Golden g, JsonNode debug, Map<String, String> aliases, double tol) {
        if (debug == null || debug.isMissingNode()) return "no debug tensors in the case";
        int compared = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = debug.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            float[] actual = seen.get(aliases.getOrDefault(e.getKey(), e.getKey()));
            if (actual == null) continue;
            compared++;
            float[] expected = g.floats(e.getValue());
            double d = expected.length == actual.length ? Compare.maxAbsDiff(expected, actual) : Double.POSITIVE_INFINITY;
            if (!(d <= tol)) {
                return e.getKey() + " (max abs diff " + (expected.length == actual.length ? d : "n/a: " + actual.length
                        + " values, expected " + expected.length) + ")";
            }
        }
        return "none (" + compared + " of " + debug.size() + " compared)";
    }

    /** Fails when {@link #firstOff} found a golden debug tensor off: intermediates are goldens too. */
    static void assertNoneOff(String id, String firstOff) {
        Assertions.assertTrue(firstOff.startsWith("none") || firstOff.startsWith("no debug"), id + ": debug tensor off: " + firstOff);
    }
}
