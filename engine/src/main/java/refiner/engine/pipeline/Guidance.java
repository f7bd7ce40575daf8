package refiner.engine.pipeline;

/**
 * Classifier-free guidance on the UNet's [negative, positive] output, in the reference's float32
 * arithmetic, with the optional {@code rescale_noise_cfg} of "Common Diffusion Noise Schedules and
 * Sample Steps are Flawed" (section 3.4).
 */
final class Guidance {
    private Guidance() {
    }

    /**
     * eps = uncond + g * (text - uncond) for output[2n, ...] laid out as n negative rows then n
     * positive rows -> [n, ...]; then, when {@code rescale > 0}, each row is blended with itself
     * rescaled to the standard deviation of its text row.
     */
    static float[] combine(float[] output, int rows, float scale, double rescale) {
        int half = output.length / 2;
        int row = half / rows;
        float[] eps = new float[half];
        for (int i = 0; i < half; i++) {
            float uncond = output[i];
            eps[i] = uncond + scale * (output[half + i] - uncond);
        }
        if (rescale > 0) {
            for (int r = 0; r < rows; r++) {
                int off = r * row;
                float ratio = (float) (std(output, half + off, row) / std(eps, off, row));
                float keep = (float) (1 - rescale);
                float mix = (float) rescale;
                for (int i = off; i < off + row; i++) {
                    float e = eps[i];
                    eps[i] = mix * (e * ratio) + keep * e;
                }
            }
        }
        return eps;
    }

    /** Sample standard deviation (Bessel's correction, as torch.std) of a[off, off + n). */
    private static double std(float[] a, int off, int n) {
        double mean = 0;
        for (int i = off; i < off + n; i++) mean += a[i];
        mean /= n;
        double ss = 0;
        for (int i = off; i < off + n; i++) {
            double d = a[i] - mean;
            ss += d * d;
        }
        return Math.sqrt(ss / Math.max(1, n - 1));
    }
}
