package refiner.engine.synth;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;

/** Reads the integer fields of a config.json, naming the missing key when one is absent. */
final class Configs {
    private Configs() {
    }

    static long integer(JsonNode config, String key) {
        JsonNode v = config.get(key);
        if (v == null || !v.canConvertToLong()) throw new IllegalArgumentException("config.json: '" + key + "' is missing or not an integer");
        return v.asLong();
    }

    static long[] integers(JsonNode config, String key) {
        JsonNode v = config.get(key);
        if (v == null || !v.isArray()) throw new IllegalArgumentException("config.json: '" + key + "' is missing or not a list");
        long[] out = new long[v.size()];
        for (int i = 0; i < out.length; i++) out[i] = v.get(i).asLong();
        return out;
    }

    /** A per-block setting given either as one integer for every block or as a list of {@code blocks}. */
    static long[] perBlock(JsonNode config, String key, int blocks) {
        JsonNode v = config.get(key);
        if (v != null && v.isArray()) {
            long[] out = integers(config, key);
            if (out.length != blocks) throw new IllegalArgumentException("config.json: '" + key + "' has " + out.length + " entries, expected " + blocks);
            return out;
        }
        long[] out = new long[blocks];
        Arrays.fill(out, integer(config, key));
        return out;
    }
}
