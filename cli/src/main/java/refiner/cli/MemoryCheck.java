package refiner.cli;

import java.io.IOException;
import java.util.Locale;

/** Refuses images whose VAE pass cannot fit in the Java heap, before any heavy work. */
final class MemoryCheck {
    /**
     * Bytes per image pixel at the VAE's widest stages: a few live [128 x H x W] and
     * [256 x H/2 x W/2] float activations, measured as about five full-resolution 128-channel maps.
     */
    private static final long BYTES_PER_PIXEL = 5L * 128 * Float.BYTES;

    private MemoryCheck() {
    }

    static void image(int height, int width) throws IOException {
        long need = BYTES_PER_PIXEL * height * width;
        long heap = Runtime.getRuntime().maxMemory();
        if (need > heap * 9 / 10) {
            throw new IOException(String.format(Locale.ROOT,
                    "an image of %dx%d needs about %.1f GB for the VAE, more than the %.1f GB Java heap; "
                            + "use a smaller image or raise -Xmx", width, height, need / 1e9, heap / 1e9));
        }
    }
}
