package refiner.engine.pipeline;

/**
 * What one refine run asks for, with the reference pipeline's defaults.
 *
 * @param prompt                 the prompt
 * @param negativePrompt         the negative prompt; null is encoded as "" (the refiner does not zero it)
 * @param steps                  inference steps of the whole schedule (the run covers a part of it)
 * @param strength               img2img strength in (0, 1]; ignored when {@code denoisingStart} is set
 * @param guidance               classifier-free guidance scale; no guidance when <= 1
 * @param guidanceRescale        the reference's {@code guidance_rescale} (0 = off)
 * @param aestheticScore         aesthetic score of the prompt row of the time ids
 * @param negativeAestheticScore aesthetic score of the negative row
 * @param originalSize           {height, width} of the original-size time ids; null = the image size
 * @param cropTopLeft            {top, left} of the crop time ids
 * @param denoisingStart         fraction of the schedule already done by the latents input; null = img2img
 * @param seed                   seed of the torch-compatible generator
 * @param numImages              images per prompt
 */
public record RefineOptions(
        String prompt,
        String negativePrompt,
        int steps,
        double strength,
        double guidance,
        double guidanceRescale,
        double aestheticScore,
        double negativeAestheticScore,
        int[] originalSize,
        int[] cropTopLeft,
        Double denoisingStart,
        long seed,
        int numImages) {

    public RefineOptions {
        if (prompt == null) throw new IllegalArgumentException("a prompt is required");
        if (steps < 1) throw new IllegalArgumentException("steps must be at least 1, got " + steps);
        if (denoisingStart == null && !(strength > 0 && strength <= 1)) {
            throw new IllegalArgumentException("strength must be in (0, 1], got " + strength);
        }
        if (denoisingStart != null && !(denoisingStart > 0 && denoisingStart < 1)) {
            throw new IllegalArgumentException("denoising start must be strictly between 0 and 1, got " + denoisingStart);
        }
        if (numImages < 1) throw new IllegalArgumentException("number of images must be at least 1, got " + numImages);
        if (originalSize != null && (originalSize.length != 2 || originalSize[0] < 1 || originalSize[1] < 1)) {
            throw new IllegalArgumentException("original size must be two positive numbers");
        }
        if (cropTopLeft == null) cropTopLeft = new int[] {0, 0};
        if (cropTopLeft.length != 2 || cropTopLeft[0] < 0 || cropTopLeft[1] < 0) {
            throw new IllegalArgumentException("crop must be two non-negative numbers");
        }
        if (!Double.isFinite(guidance) || !Double.isFinite(guidanceRescale) || guidanceRescale < 0 || guidanceRescale > 1) {
            throw new IllegalArgumentException("guidance must be finite and guidance rescale in [0, 1]");
        }
    }

    /** The reference's defaults for a prompt and seed: 50 steps, strength 0.3, guidance 5, scores 6 / 2.5. */
    public static RefineOptions defaults(String prompt, long seed) {
        return new RefineOptions(prompt, null, 50, 0.3, 5.0, 0.0, 6.0, 2.5, null, null, null, seed, 1);
    }

    /** Whether the UNet runs on the [negative, positive] batch. */
    public boolean classifierFree() {
        return guidance > 1;
    }
}
