package refiner.engine.schedule;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The Euler discrete scheduler of diffusers 0.30.3: the training noise tables, from which
 * {@link #setTimesteps} derives the inference schedule. All tables are computed as torch does on
 * the CPU, bit for bit: betas by torch's float32 {@code linspace} (squared for "scaled_linear"),
 * {@code alphas_cumprod} as the float32 cumulative product of {@code 1 - beta} (torch keeps the
 * running product in double), and the training sigmas {@code sqrt((1 - acp) / acp)} in float32.
 * Immutable.
 */
public final class EulerDiscreteScheduler {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final EulerDiscreteConfig config;
    private final float[] betas;
    private final float[] alphasCumprod;
    private final float[] trainSigmas;

    public EulerDiscreteScheduler(EulerDiscreteConfig config) {
        this.config = config;
        this.betas = betas(config);
        float[] alphas = new float[betas.length];
        for (int i = 0; i < alphas.length; i++) alphas[i] = 1f - betas[i];
        this.alphasCumprod = TorchFloat32.cumprod(alphas);
        this.trainSigmas = new float[alphasCumprod.length];
        for (int i = 0; i < trainSigmas.length; i++) {
            float acp = alphasCumprod[i];
            trainSigmas[i] = TorchFloat32.sqrt((1f - acp) / acp);
        }
    }

    /**
     * Reads {@code scheduler_config.json}.
     *
     * @throws IOException with a one-line message naming the file when it is missing, not JSON, or unsupported
     */
    public static EulerDiscreteScheduler load(Path configJson) throws IOException {
        if (!Files.isRegularFile(configJson)) throw new IOException(configJson + ": scheduler config not found");
        JsonNode json;
        try {
            json = JSON.readTree(configJson.toFile());
        } catch (JacksonException e) {
            throw new IOException(configJson + ": not valid JSON (" + e.getOriginalMessage() + ")");
        }
        if (json == null || !json.isObject()) throw new IOException(configJson + ": not a JSON object");
        try {
            return new EulerDiscreteScheduler(EulerDiscreteConfig.fromJson(json, configJson.toString()));
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage());
        }
    }

    public EulerDiscreteConfig config() {
        return config;
    }

    /** A copy of the training betas, indexed by training timestep. */
    public float[] betas() {
        return betas.clone();
    }

    /** A copy of the cumulative products of {@code 1 - beta}, indexed by training timestep. */
    public float[] alphasCumprod() {
        return alphasCumprod.clone();
    }

    /** A copy of {@code sqrt((1 - acp) / acp)}, indexed by training timestep (ascending). */
    public float[] trainSigmas() {
        return trainSigmas.clone();
    }

    /**
     * {@code set_timesteps(numInferenceSteps)}: the timesteps spread as the config says, their sigmas
     * interpolated linearly in the training sigmas (in float64 as {@code np.interp}, then rounded to
     * float32), and the final sigma appended.
     *
     * @throws IllegalArgumentException when the step count is not in 1 .. num_train_timesteps
     */
    public EulerSchedule setTimesteps(int numInferenceSteps) {
        int numTrain = config.numTrainTimesteps();
        if (numInferenceSteps < 1 || numInferenceSteps > numTrain) {
            throw new IllegalArgumentException("number of inference steps " + numInferenceSteps + " must be between 1 and " + numTrain);
        }
        float[] timesteps = timesteps(numInferenceSteps);
        double[] trainSigmas64 = new double[trainSigmas.length];
        for (int i = 0; i < trainSigmas.length; i++) trainSigmas64[i] = trainSigmas[i];
        int n = timesteps.length;
        float[] sigmas = new float[n + 1];
        for (int i = 0; i < n; i++) sigmas[i] = (float) NumpyFloat64.interp(timesteps[i], trainSigmas64);
        sigmas[n] = switch (config.finalSigma()) {
            case ZERO -> 0f;
            case SIGMA_MIN -> trainSigmas[0];
        };
        return new EulerSchedule(numInferenceSteps, timesteps, sigmas, config);
    }

    /**
     * The inference timesteps, descending. Under "trailing" spacing numpy's float {@code arange} yields
     * one timestep too many for some step counts (61, 103, 121, ...: its last value is a rounding
     * error below zero, giving timestep -1); the reference runs that extra step and so does this.
     */
    private float[] timesteps(int n) {
        int numTrain = config.numTrainTimesteps();
        float[] out = new float[n];
        switch (config.timestepSpacing()) {
            case LINSPACE -> {
                double[] t = NumpyFloat64.linspace(numTrain - 1, n);
                for (int i = 0; i < n; i++) out[i] = (float) t[n - 1 - i];
            }
            case LEADING -> {
                int ratio = numTrain / n;
                for (int i = 0; i < n; i++) out[i] = (float) ((long) (n - 1 - i) * ratio) + config.stepsOffset();
            }
            case TRAILING -> {
                double[] t = NumpyFloat64.arangeDown(numTrain, -((double) numTrain / n));
                out = new float[t.length];
                for (int i = 0; i < t.length; i++) out[i] = (float) Math.rint(t[i]) - 1f;
            }
        }
        return out;
    }

    private static float[] betas(EulerDiscreteConfig c) {
        if (c.trainedBetas() != null) return c.trainedBetas();
        return switch (c.betaSchedule()) {
            case LINEAR -> TorchFloat32.linspace(c.betaStart(), c.betaEnd(), c.numTrainTimesteps());
            case SCALED_LINEAR -> {
                float[] b = TorchFloat32.linspace(Math.sqrt(c.betaStart()), Math.sqrt(c.betaEnd()), c.numTrainTimesteps());
                for (int i = 0; i < b.length; i++) b[i] = b[i] * b[i];
                yield b;
            }
        };
    }
}
