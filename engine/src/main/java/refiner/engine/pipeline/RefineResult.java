package refiner.engine.pipeline;

import java.util.List;

/**
 * The outcome of a run: the decoded images as [3, H, W] floats in the VAE's output range
 * (roughly [-1, 1], not clamped), the final latents [n, C, h, w], and the time per stage.
 */
public record RefineResult(List<float[]> images, int height, int width, float[] latents, int[] latentShape,
                           int stepsRun, StageTimes times) {
}
