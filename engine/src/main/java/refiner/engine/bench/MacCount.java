package refiner.engine.bench;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** The multiply-accumulate count of one forward pass, per top-level block in execution order. */
public final class MacCount {
    private final Map<String, Macs> blocks = new LinkedHashMap<>();

    void add(String block, Macs m) {
        blocks.merge(block, m, Macs::plus);
    }

    /** Block name (a checkpoint key prefix such as {@code down_blocks.1}) to its count. */
    public Map<String, Macs> blocks() {
        return Collections.unmodifiableMap(blocks);
    }

    public Macs total() {
        Macs t = Macs.ZERO;
        for (Macs m : blocks.values()) t = t.plus(m);
        return t;
    }

    /** This count repeated {@code n} times, block by block (n UNet steps, say). */
    public MacCount times(long n) {
        MacCount c = new MacCount();
        blocks.forEach((k, v) -> c.add(k, v.times(n)));
        return c;
    }
}
