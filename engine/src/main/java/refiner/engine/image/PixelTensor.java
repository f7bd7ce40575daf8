package refiner.engine.image;

/**
 * Image data as the VAE sees it: a float32 tensor {@code [1, 3, height, width]}, channels R, G, B,
 * row-major ({@code data[(c * height + y) * width + x]}), values nominally in [-1, 1].
 */
public record PixelTensor(int height, int width, float[] data) {
    public PixelTensor {
        if (height < 1 || width < 1) throw new IllegalArgumentException("pixel tensor size " + width + "x" + height + " is empty");
        if (data.length != 3L * height * width) {
            throw new IllegalArgumentException("pixel tensor [1, 3, " + height + ", " + width + "] needs " + 3L * height * width + " values, got " + data.length);
        }
    }

    /** The shape {@code [1, 3, height, width]}. */
    public int[] shape() {
        return new int[] {1, 3, height, width};
    }
}
