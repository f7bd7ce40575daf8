package refiner.engine.schedule;

/**
 * An inference schedule of the Euler discrete scheduler (the state diffusers keeps after
 * {@code set_timesteps}): n timesteps, descending, and n + 1 sigmas, the last being the final
 * sigma. n is the requested step count, except for the "trailing" quirk described at
 * {@link EulerDiscreteScheduler#setTimesteps}. Steps are addressed by their index in this schedule; the sample arrays are float32
 * host arrays of any shape, never modified, and every operation is the reference's float32
 * arithmetic, operation for operation. Immutable.
 */
public final class EulerSchedule {
    private final int numInferenceSteps;
    private final float[] timesteps;
    private final float[] sigmas;
    private final EulerDiscreteConfig config;

    EulerSchedule(int numInferenceSteps, float[] timesteps, float[] sigmas, EulerDiscreteConfig config) {
        this.numInferenceSteps = numInferenceSteps;
        this.timesteps = timesteps;
        this.sigmas = sigmas;
        this.config = config;
    }

    /** Number of steps in the schedule (its timesteps). */
    public int numSteps() {
        return timesteps.length;
    }

    /** The step count the schedule was made for. */
    public int numInferenceSteps() {
        return numInferenceSteps;
    }

    /** A copy of the n timesteps, descending. */
    public float[] timesteps() {
        return timesteps.clone();
    }

    /** A copy of the n + 1 sigmas. */
    public float[] sigmas() {
        return sigmas.clone();
    }

    /** The timestep of step {@code stepIndex} (the value the UNet is given). */
    public float timestep(int stepIndex) {
        checkStep(stepIndex);
        return timesteps[stepIndex];
    }

    /** The sigma of step {@code stepIndex}. */
    public float sigma(int stepIndex) {
        checkStep(stepIndex);
        return sigmas[stepIndex];
    }

    /**
     * Standard deviation of pure initial noise: the largest sigma, or {@code sqrt(max^2 + 1)}
     * under "leading" spacing.
     */
    public float initNoiseSigma() {
        float max = 0f;
        for (float s : sigmas) max = Math.max(max, s);
        if (config.timestepSpacing() == EulerDiscreteConfig.TimestepSpacing.LEADING) {
            return TorchFloat32.sqrt(max * max + 1f);
        }
        return max;
    }

    /**
     * The steps of an img2img run at {@code strength} ({@code StableDiffusionXLImg2ImgPipeline.get_timesteps}):
     * {@code init = min((int) (n * strength), n)} computed in double with n the requested step count,
     * the run starts at index {@code max(n - init, 0)} and goes to the end of the timesteps.
     * Strength 0.3 of 50 steps starts at t = 281.
     *
     * @throws IllegalArgumentException when strength is outside [0, 1] or leaves no step to run
     */
    public StepRange img2img(double strength) {
        if (!(strength >= 0 && strength <= 1)) {
            throw new IllegalArgumentException("strength " + strength + " must be between 0 and 1");
        }
        int n = numInferenceSteps;
        int init = Math.min((int) (n * strength), n);
        int start = Math.max(n - init, 0);
        if (init == 0) {
            throw new IllegalArgumentException("strength " + strength + " with " + n + " steps leaves no step to run (" + n + " * " + strength + " < 1)");
        }
        return range(start);
    }

    /**
     * The steps of a run that continues a partly denoised latent ({@code denoising_start}):
     * the timesteps below {@code round(T - fraction * T)} (T = num_train_timesteps, Python's
     * round-half-even), no noise being added. Diffusers runs the whole schedule when no timestep
     * is below the cut-off; that case is rejected here instead.
     *
     * @throws IllegalArgumentException when the fraction is not strictly between 0 and 1 or leaves no step
     */
    public StepRange denoisingStart(double fraction) {
        if (!(fraction > 0 && fraction < 1)) {
            throw new IllegalArgumentException("denoising start " + fraction + " must be strictly between 0 and 1");
        }
        int numTrain = config.numTrainTimesteps();
        double cutoff = (int) Math.rint(numTrain - fraction * numTrain);
        int count = 0;
        for (float t : timesteps) {
            if (t < cutoff) count++;
        }
        if (count == 0) {
            throw new IllegalArgumentException("denoising start " + fraction + " leaves no timestep below " + (int) cutoff);
        }
        return range(indexForTimestep(timesteps[timesteps.length - count]));
    }

    /**
     * The schedule index of timestep {@code t}: its position, or the second position when it occurs
     * more than once ({@code index_for_timestep}).
     *
     * @throws IllegalArgumentException when {@code t} is not in the schedule
     */
    public int indexForTimestep(float t) {
        int first = -1;
        for (int i = 0; i < timesteps.length; i++) {
            if (timesteps[i] == t) {
                if (first >= 0) return i;
                first = i;
            }
        }
        if (first < 0) throw new IllegalArgumentException("timestep " + t + " is not in the schedule");
        return first;
    }

    /** The UNet input of step {@code stepIndex}: {@code sample / sqrt(sigma^2 + 1)}. */
    public float[] scaleModelInput(float[] sample, int stepIndex) {
        float sigma = sigma(stepIndex);
        float scale = TorchFloat32.sqrt(sigma * sigma + 1f);
        float[] out = new float[sample.length];
        for (int i = 0; i < out.length; i++) out[i] = sample[i] / scale;
        return out;
    }

    /**
     * One Euler step with an epsilon-predicting model: {@code pred = x - sigma * eps},
     * {@code d = (x - pred) / sigma}, {@code x' = x + d * (sigma_next - sigma)}, each in float32
     * as the reference computes it (so not simplified to {@code x + eps * dt}). The reference
     * also draws one noise tensor of the sample's shape from the generator at every step and
     * leaves it unused (no churn); the caller draws it to keep the generator in step.
     */
    public EulerStep step(float[] modelOutput, int stepIndex, float[] sample) {
        checkSameLength(modelOutput, sample);
        float sigma = sigma(stepIndex);
        float dt = sigmas[stepIndex + 1] - sigma;
        float[] pred = new float[sample.length];
        float[] prev = new float[sample.length];
        for (int i = 0; i < sample.length; i++) {
            float x = sample[i];
            pred[i] = x - sigma * modelOutput[i];
            float derivative = (x - pred[i]) / sigma;
            prev[i] = x + derivative * dt;
        }
        return new EulerStep(prev, pred);
    }

    /** img2img noising at step {@code stepIndex}: {@code original + noise * sigma} (no rescaling). */
    public float[] addNoise(float[] original, float[] noise, int stepIndex) {
        checkSameLength(noise, original);
        float sigma = sigma(stepIndex);
        float[] out = new float[original.length];
        for (int i = 0; i < out.length; i++) out[i] = original[i] + noise[i] * sigma;
        return out;
    }

    private StepRange range(int begin) {
        float[] run = new float[timesteps.length - begin];
        System.arraycopy(timesteps, begin, run, 0, run.length);
        return new StepRange(begin, run);
    }

    private void checkStep(int stepIndex) {
        if (stepIndex < 0 || stepIndex >= timesteps.length) {
            throw new IndexOutOfBoundsException("step index " + stepIndex + " outside the schedule of " + timesteps.length + " steps");
        }
    }

    private static void checkSameLength(float[] a, float[] sample) {
        if (a.length != sample.length) {
            throw new IllegalArgumentException("sample has " + sample.length + " elements, the other operand " + a.length);
        }
    }
}
