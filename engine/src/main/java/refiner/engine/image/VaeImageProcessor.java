package refiner.engine.image;

/**
 * Conversions between 8-bit images and the VAE's pixel tensors, as diffusers 0.30.3's
 * {@code VaeImageProcessor} (default settings) does them for PIL images.
 *
 * <p>{@link #preprocess}: the size is floored to multiples of 8 ({@code get_default_height_width});
 * when that changes it, the image is <em>resized</em> (not cropped) to the floored size with
 * Pillow's Lanczos filter ({@code resample="lanczos"}, {@code resize_mode="default"}), which
 * squeezes the content slightly; an image whose sides are already multiples of 8 is used as is.
 * Then {@code u8 / 255} in float32 and {@code 2 x - 1}, channels first.
 *
 * <p>{@link #postprocess}: {@code clamp(x / 2 + 0.5, 0, 1)}, then {@code round(x * 255)} in float32
 * with numpy's rounding of halves to even. A NaN anywhere is reported instead of being written
 * as a black pixel.
 */
public final class VaeImageProcessor {
    /** The VAE's spatial downscale factor: image sides must be multiples of it. */
    public static final int SCALE_FACTOR = 8;

    private VaeImageProcessor() {
    }

    /** The size the reference processes an image of {@code width x height} at: each side floored to a multiple of 8. */
    public static int[] processedSize(int width, int height) {
        return new int[] {width - width % SCALE_FACTOR, height - height % SCALE_FACTOR};
    }

    /**
     * The VAE input {@code [1, 3, H, W]} in [-1, 1] for {@code image}.
     *
     * @throws IllegalArgumentException when a side is shorter than 8 pixels
     */
    public static PixelTensor preprocess(RgbImage image) {
        if (image.width() < SCALE_FACTOR || image.height() < SCALE_FACTOR) {
            throw new IllegalArgumentException("image of " + image.width() + "x" + image.height()
                    + " pixels is too small: both sides must be at least " + SCALE_FACTOR + " pixels");
        }
        int[] size = processedSize(image.width(), image.height());
        RgbImage sized = LanczosResampler.resize(image, size[0], size[1]);
        int w = sized.width();
        int h = sized.height();
        float[] data = new float[3 * h * w];
        byte[] rgb = sized.rgb();
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < h * w; i++) {
                float unit = (rgb[i * 3 + c] & 0xFF) / 255f;
                data[c * h * w + i] = 2f * unit - 1f;
            }
        }
        return new PixelTensor(h, w, data);
    }

    /**
     * The 8-bit image of a decoded tensor {@code [1, 3, H, W]} in [-1, 1].
     *
     * @throws IllegalArgumentException naming the first NaN value and how many there are
     */
    public static RgbImage postprocess(PixelTensor decoded) {
        int h = decoded.height();
        int w = decoded.width();
        float[] data = decoded.data();
        checkNoNaN(decoded);
        byte[] rgb = new byte[h * w * 3];
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < h * w; i++) {
                float unit = Math.min(Math.max(data[c * h * w + i] / 2f + 0.5f, 0f), 1f);
                rgb[i * 3 + c] = (byte) Math.rint(unit * 255f);
            }
        }
        return new RgbImage(w, h, rgb);
    }

    private static void checkNoNaN(PixelTensor t) {
        float[] data = t.data();
        int count = 0;
        int first = -1;
        for (int i = 0; i < data.length; i++) {
            if (Float.isNaN(data[i])) {
                if (first < 0) first = i;
                count++;
            }
        }
        if (count == 0) return;
        int plane = t.height() * t.width();
        throw new IllegalArgumentException("decoded image has " + count + " NaN values (first at channel " + first / plane
                + ", row " + first % plane / t.width() + ", column " + first % t.width()
                + "): the VAE overflowed; decode in float32 instead of writing a black image");
    }
}
