package refiner.engine.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Pixel conversions to and from the VAE's [-1, 1] tensors. */
class VaeImageProcessorTest {

    @Test
    void preprocessMapsBytesToMinusOneToOneChannelsFirst() {
        byte[] rgb = new byte[8 * 8 * 3];
        rgb[0] = 0;
        rgb[1] = (byte) 128;
        rgb[2] = (byte) 255;
        PixelTensor t = VaeImageProcessor.preprocess(new RgbImage(8, 8, rgb));
        assertArrayEquals(new int[] {1, 3, 8, 8}, t.shape());
        assertEquals(-1f, t.data()[0]);
        assertEquals(2f * (128 / 255f) - 1f, t.data()[64]);
        assertEquals(1f, t.data()[128]);
    }

    @Test
    void sidesAreFlooredToMultiplesOf8ByResizing() {
        RgbImage in = LanczosResamplerTest.squares(21, 17, 0xC0);
        PixelTensor t = VaeImageProcessor.preprocess(in);
        assertEquals(16, t.height());
        assertEquals(16, t.width());
        RgbImage resized = LanczosResampler.resize(in, 16, 16);
        assertEquals(2f * (resized.get(5, 9, 2) / 255f) - 1f, t.data()[(2 * 16 + 9) * 16 + 5]);
        assertArrayEquals(new int[] {1016, 760}, VaeImageProcessor.processedSize(1023, 767));
    }

    @Test
    void imagesBelow8PixelsAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> VaeImageProcessor.preprocess(new RgbImage(7, 64, new byte[7 * 64 * 3])));
        assertTrue(e.getMessage().contains("7x64"), e.getMessage());
    }

    @Test
    void postprocessRoundsHalvesToEven() {
        int even = 0;
        int odd = 0;
        for (int k = 0; k < 255; k++) {
            Float x = decodedValueGivingExactly(k + 0.5f);
            if (x == null) continue;
            RgbImage img = VaeImageProcessor.postprocess(new PixelTensor(1, 1, new float[] {x, x, x}));
            assertEquals(k % 2 == 0 ? k : k + 1, img.get(0, 0, 0), "x * 255 = " + k + ".5");
            if (k % 2 == 0) even++;
            else odd++;
        }
        assertTrue(even > 3 && odd > 3, "exact halves found: " + even + " even, " + odd + " odd");
    }

    @Test
    void postprocessClampsAndInvertsPreprocess() {
        RgbImage img = VaeImageProcessor.postprocess(new PixelTensor(1, 1, new float[] {-3f, 7f, Float.POSITIVE_INFINITY}));
        assertEquals(0, img.get(0, 0, 0));
        assertEquals(255, img.get(0, 0, 1));
        assertEquals(255, img.get(0, 0, 2));
        byte[] rgb = new byte[8 * 8 * 3];
        for (int i = 0; i < rgb.length; i++) rgb[i] = (byte) (i * 7);
        RgbImage in = new RgbImage(8, 8, rgb);
        assertArrayEquals(rgb, VaeImageProcessor.postprocess(VaeImageProcessor.preprocess(in)).rgb());
    }

    @Test
    void nanIsReportedWithItsPosition() {
        float[] data = new float[3 * 2 * 4];
        data[8 + 5] = Float.NaN;
        data[20] = Float.NaN;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> VaeImageProcessor.postprocess(new PixelTensor(2, 4, data)));
        assertTrue(e.getMessage().contains("2 NaN values (first at channel 1, row 1, column 1)"), e.getMessage());
    }

    /** A decoded value x with {@code fl(fl(x / 2 + 0.5) * 255)} exactly {@code target}, or null when none exists. */
    private static Float decodedValueGivingExactly(float target) {
        float center = target / 255f;
        for (float u = center - 1e-6f; u < center + 1e-6f; u = Math.nextUp(u)) {
            float x = (u - 0.5f) * 2f;
            if ((x / 2f + 0.5f) * 255f == target) return x;
        }
        return null;
    }
}
