package refiner.engine.model;

import com.fasterxml.jackson.databind.JsonNode;

/** Reading a model's config.json: required fields, with one-line errors naming the field. */
final class Configs {
    private Configs() {
    }

    static JsonNode require(JsonNode config, String field) {
        JsonNode v = config.get(field);
        if (v == null || v.isNull()) throw new IllegalArgumentException("config.json: missing field '" + field + "'");
        return v;
    }

    static int integer(JsonNode config, String field) {
        JsonNode v = require(config, field);
        if (!v.isIntegralNumber()) throw new IllegalArgumentException("config.json: '" + field + "' must be an integer, got " + v);
        return v.asInt();
    }

    static int integer(JsonNode config, String field, int fallback) {
        JsonNode v = config.get(field);
        return v == null || v.isNull() ? fallback : integer(config, field);
    }

    static float number(JsonNode config, String field, float fallback) {
        JsonNode v = config.get(field);
        if (v == null || v.isNull()) return fallback;
        if (!v.isNumber()) throw new IllegalArgumentException("config.json: '" + field + "' must be a number, got " + v);
        return (float) v.asDouble();
    }

    static String text(JsonNode config, String field, String fallback) {
        JsonNode v = config.get(field);
        return v == null || v.isNull() ? fallback : v.asText();
    }

    static boolean bool(JsonNode config, String field, boolean fallback) {
        JsonNode v = config.get(field);
        return v == null || v.isNull() ? fallback : v.asBoolean();
    }

    /** An int list, or a single int repeated {@code n} times. */
    static int[] perBlock(JsonNode config, String field, int n) {
        return listOrRepeat(require(config, field), field, n);
    }

    /** {@code value} (the field {@code field}) as an int list of {@code n}, a single int repeated. */
    static int[] listOrRepeat(JsonNode value, String field, int n) {
        if (value == null || value.isNull()) throw new IllegalArgumentException("config.json: missing field '" + field + "'");
        int[] out = new int[n];
        if (value.isIntegralNumber()) {
            java.util.Arrays.fill(out, value.asInt());
            return out;
        }
        if (!value.isArray() || value.size() != n) {
            throw new IllegalArgumentException("config.json: '" + field + "' must be an integer or a list of " + n + ", got " + value);
        }
        for (int i = 0; i < n; i++) out[i] = value.get(i).asInt();
        return out;
    }

    /** A non-empty int list. */
    static int[] intList(JsonNode config, String field) {
        JsonNode v = require(config, field);
        if (!v.isArray() || v.isEmpty()) throw new IllegalArgumentException("config.json: '" + field + "' must be a non-empty list");
        int[] out = new int[v.size()];
        for (int i = 0; i < out.length; i++) out[i] = v.get(i).asInt();
        return out;
    }

    static String[] strings(JsonNode config, String field) {
        JsonNode v = require(config, field);
        if (!v.isArray()) throw new IllegalArgumentException("config.json: '" + field + "' must be a list, got " + v);
        String[] out = new String[v.size()];
        for (int i = 0; i < out.length; i++) out[i] = v.get(i).asText();
        return out;
    }

    /** Fails unless the field is absent or null (it would switch on a feature not implemented). */
    static void expectAbsent(JsonNode config, String field) {
        JsonNode v = config.get(field);
        if (v != null && !v.isNull()) throw new IllegalArgumentException("config.json: '" + field + "' = " + v + " is not supported (only null)");
    }

    /** Fails unless the field is absent, null or equal to {@code expected} (a feature not implemented). */
    static void expect(JsonNode config, String field, Object expected) {
        JsonNode v = config.get(field);
        if (v == null || v.isNull()) return;
        boolean ok = expected instanceof String s ? v.asText().equals(s)
                : expected instanceof Boolean b ? v.isBoolean() && v.asBoolean() == b
                : v.isNumber() && v.asDouble() == ((Number) expected).doubleValue();
        if (!ok) throw new IllegalArgumentException("config.json: '" + field + "' = " + v + " is not supported (only " + expected + ")");
    }
}
