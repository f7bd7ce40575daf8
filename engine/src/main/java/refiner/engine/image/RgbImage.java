package refiner.engine.image;

/**
 * An 8-bit RGB image: {@code height} rows of {@code width} pixels, each pixel three bytes R, G, B,
 * rows top to bottom ({@code rgb[(y * width + x) * 3 + c]}, as a numpy {@code [H, W, 3]} uint8 array).
 * The array is owned by the image and must not be changed after construction.
 */
public record RgbImage(int width, int height, byte[] rgb) {
    public RgbImage {
        if (width < 1 || height < 1) throw new IllegalArgumentException("image size " + width + "x" + height + " is empty");
        if (rgb.length != (long) width * height * 3) {
            throw new IllegalArgumentException("image of " + width + "x" + height + " needs " + (long) width * height * 3 + " bytes, got " + rgb.length);
        }
    }

    /** Channel {@code c} (0 = R, 1 = G, 2 = B) of pixel (x, y), in 0..255. */
    public int get(int x, int y, int c) {
        return rgb[(y * width + x) * 3 + c] & 0xFF;
    }
}
