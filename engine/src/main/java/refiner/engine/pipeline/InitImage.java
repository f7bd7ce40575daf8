package refiner.engine.pipeline;

/**
 * The start of a run: either pixels {@code [1, 3, H, W]} in [-1, 1], which the VAE encodes,
 * or latents {@code [1, C, h, w]} (a base model's partly denoised output), used as they are.
 */
public record InitImage(float[] data, int channels, int height, int width, boolean latents) {

    public InitImage {
        if (data.length != (long) channels * height * width) {
            throw new IllegalArgumentException("init data has " + data.length + " values, expected " + channels + " x " + height + " x " + width);
        }
    }

    /** RGB pixels [1, 3, H, W] in [-1, 1]. */
    public static InitImage pixels(float[] chw, int height, int width) {
        return new InitImage(chw, 3, height, width, false);
    }

    /** Latents [1, C, h, w] as a base model hands them over (already scaled). */
    public static InitImage latents(float[] chw, int channels, int height, int width) {
        return new InitImage(chw, channels, height, width, true);
    }
}
