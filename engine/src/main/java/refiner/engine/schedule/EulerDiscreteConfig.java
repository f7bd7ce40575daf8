package refiner.engine.schedule;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import java.util.Locale;

/**
 * The settings of a diffusers {@code EulerDiscreteScheduler} ({@code scheduler/scheduler_config.json})
 * that this implementation honours. A key that is absent takes the diffusers 0.30.3 default;
 * a value asking for behaviour not implemented here (Karras sigmas, v-prediction, zero-SNR
 * rescaling, ...) is rejected with a one-line message rather than silently ignored.
 *
 * @param numTrainTimesteps length of the training noise schedule ({@code num_train_timesteps})
 * @param betaStart first beta ({@code beta_start})
 * @param betaEnd last beta ({@code beta_end})
 * @param betaSchedule how the betas run from start to end ({@code beta_schedule})
 * @param trainedBetas explicit betas ({@code trained_betas}), or null
 * @param timestepSpacing how inference timesteps are spread ({@code timestep_spacing})
 * @param stepsOffset added to every timestep under "leading" spacing ({@code steps_offset})
 * @param finalSigma the sigma appended after the last step ({@code final_sigmas_type})
 */
public record EulerDiscreteConfig(
        int numTrainTimesteps,
        double betaStart,
        double betaEnd,
        BetaSchedule betaSchedule,
        float[] trainedBetas,
        TimestepSpacing timestepSpacing,
        int stepsOffset,
        FinalSigma finalSigma) {

    public EulerDiscreteConfig {
        trainedBetas = trainedBetas == null ? null : trainedBetas.clone();
    }

    /** A copy of the explicit betas, or null. */
    @Override
    public float[] trainedBetas() {
        return trainedBetas == null ? null : trainedBetas.clone();
    }

    /** {@code beta_schedule}: "linear" = linspace of the betas, "scaled_linear" = linspace of their square roots, squared. */
    public enum BetaSchedule { LINEAR, SCALED_LINEAR }

    /** {@code timestep_spacing} (table 2 of arXiv:2305.08891). */
    public enum TimestepSpacing { LINSPACE, LEADING, TRAILING }

    /** {@code final_sigmas_type}: 0, or the smallest training sigma. */
    public enum FinalSigma { ZERO, SIGMA_MIN }

    /** The refiner's (and base SDXL's) scheduler settings. */
    public static EulerDiscreteConfig sdxl() {
        return new EulerDiscreteConfig(1000, 0.00085, 0.012, BetaSchedule.SCALED_LINEAR, null,
                TimestepSpacing.LEADING, 1, FinalSigma.ZERO);
    }

    /**
     * Reads a parsed {@code scheduler_config.json}; {@code source} names it in error messages.
     *
     * @throws IllegalArgumentException naming the source and the key when a value is malformed or unsupported
     */
    public static EulerDiscreteConfig fromJson(JsonNode json, String source) {
        Reader r = new Reader(json, source);
        String className = r.text("_class_name", "EulerDiscreteScheduler");
        if (!className.equals("EulerDiscreteScheduler")) {
            throw new IllegalArgumentException(source + ": _class_name " + className + " is not supported (EulerDiscreteScheduler only)");
        }
        r.require("prediction_type", "epsilon");
        r.require("interpolation_type", "linear");
        r.require("timestep_type", "discrete");
        r.requireFalse("use_karras_sigmas");
        r.requireFalse("rescale_betas_zero_snr");
        int numTrain = r.integer("num_train_timesteps", 1000);
        if (numTrain < 2) throw new IllegalArgumentException(source + ": num_train_timesteps " + numTrain + " must be at least 2");
        float[] trained = r.floats("trained_betas");
        if (trained != null && trained.length != numTrain) {
            throw new IllegalArgumentException(source + ": trained_betas has " + trained.length + " values, num_train_timesteps is " + numTrain);
        }
        return new EulerDiscreteConfig(
                numTrain,
                r.number("beta_start", 0.0001),
                r.number("beta_end", 0.02),
                r.choice("beta_schedule", "linear", BetaSchedule.class),
                trained,
                r.choice("timestep_spacing", "linspace", TimestepSpacing.class),
                r.integer("steps_offset", 0),
                r.choice("final_sigmas_type", "zero", FinalSigma.class));
    }

    /** Typed access to the keys of one config, with the messages for bad values. */
    private record Reader(JsonNode json, String source) {
        private JsonNode get(String key) {
            JsonNode v = json.get(key);
            return v == null || v.isNull() ? null : v;
        }

        String text(String key, String fallback) {
            JsonNode v = get(key);
            if (v == null) return fallback;
            if (!v.isTextual()) throw bad(key, v, "a string");
            return v.asText();
        }

        void require(String key, String only) {
            String v = text(key, only);
            if (!v.equals(only)) {
                throw new IllegalArgumentException(source + ": " + key + " '" + v + "' is not supported (only '" + only + "')");
            }
        }

        void requireFalse(String key) {
            JsonNode v = get(key);
            if (v == null) return;
            if (!v.isBoolean()) throw bad(key, v, "true or false");
            if (v.asBoolean()) throw new IllegalArgumentException(source + ": " + key + " true is not supported");
        }

        int integer(String key, int fallback) {
            JsonNode v = get(key);
            if (v == null) return fallback;
            if (!v.isIntegralNumber() || !v.canConvertToInt()) throw bad(key, v, "an integer");
            return v.asInt();
        }

        double number(String key, double fallback) {
            JsonNode v = get(key);
            if (v == null) return fallback;
            if (!v.isNumber()) throw bad(key, v, "a number");
            return v.asDouble();
        }

        float[] floats(String key) {
            JsonNode v = get(key);
            if (v == null) return null;
            if (!v.isArray()) throw bad(key, v, "a list of numbers");
            float[] out = new float[v.size()];
            for (int i = 0; i < out.length; i++) {
                if (!v.get(i).isNumber()) throw bad(key + "[" + i + "]", v.get(i), "a number");
                out[i] = (float) v.get(i).asDouble();
            }
            return out;
        }

        <E extends Enum<E>> E choice(String key, String fallback, Class<E> type) {
            String v = text(key, fallback);
            for (E e : type.getEnumConstants()) {
                if (e.name().toLowerCase(Locale.ROOT).equals(v)) return e;
            }
            String[] names = Arrays.stream(type.getEnumConstants()).map(e -> e.name().toLowerCase(Locale.ROOT)).toArray(String[]::new);
            throw new IllegalArgumentException(source + ": " + key + " '" + v + "' is not supported (" + String.join(", ", names) + ")");
        }

        private IllegalArgumentException bad(String key, JsonNode v, String expected) {
            return new IllegalArgumentException(source + ": " + key + " is " + v + ", expected " + expected);
        }
    }
}
