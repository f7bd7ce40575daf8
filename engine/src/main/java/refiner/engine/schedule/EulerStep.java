package refiner.engine.schedule;

/**
 * The result of one Euler step.
 *
 * @param prevSample the sample at the next (lower) noise level
 * @param predOriginalSample the denoised sample the step aimed at, {@code x - sigma * eps}
 */
public record EulerStep(float[] prevSample, float[] predOriginalSample) {
}
