package refiner.engine.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

/**
 * The resampler against the results Pillow's own test suite expects of {@code resize(..., LANCZOS)}
 * (Tests/test_image_resample.py): two bright and two dark squares, given as the hex values of the
 * top-left quarter of the result, the other quarters following by symmetry.
 */
class LanczosResamplerTest {

    @Test
    void reduces16To8LikePillow() {
        assertMatchesSample(LanczosResampler.resize(squares(16, 16, 0xE1), 8, 8),
                "e1 e0 e4 d7 e0 df e3 d6 e4 e3 e7 da d7 d6 d9 ce");
    }

    @Test
    void enlarges6To12LikePillow() {
        assertMatchesSample(LanczosResampler.resize(squares(6, 6, 0xE1), 12, 12),
                "e1 e0 db ed f5 b8 e0 df da ec f3 b7 db db d6 e7 ee b5 ed ec e6 fb ff bf f5 f4 ee ff ff c4 b8 b7 b4 bf c4 a0");
    }

    @Test
    void keepsAFlatColourThroughExtremeReshaping() {
        byte[] rgb = new byte[512 * 9 * 3];
        for (int i = 0; i < rgb.length; i += 3) {
            rgb[i + 1] = 64;
            rgb[i + 2] = (byte) 255;
        }
        RgbImage out = LanczosResampler.resize(new RgbImage(512, 9, rgb), 9, 512);
        for (int y = 0; y < 512; y++) {
            for (int x = 0; x < 9; x++) {
                assertEquals(0, out.get(x, y, 0));
                assertEquals(64, out.get(x, y, 1));
                assertEquals(255, out.get(x, y, 2));
            }
        }
    }

    @Test
    void aPassIsSkippedWhenItsSideKeepsItsSize() {
        RgbImage in = squares(20, 12, 0x40);
        assertSame(in, LanczosResampler.resize(in, 20, 12));
        RgbImage stripes = stripes(20, 12);
        RgbImage narrower = LanczosResampler.resize(stripes, 16, 12);
        RgbImage shorter = LanczosResampler.resize(stripes, 20, 8);
        assertEquals(16, narrower.width());
        assertEquals(12, narrower.height());
        assertEquals(20, shorter.width());
        assertEquals(8, shorter.height());
        for (int y = 0; y < 12; y++) assertEquals(stripes.get(0, y, 0), narrower.get(7, y, 0), "rows pass through a horizontal-only resize");
        for (int x = 0; x < 20; x++) assertEquals(shorter.get(0, 3, 1), shorter.get(x, 3, 1), "every column is resampled alike");
    }

    /** Rows of one value each, changing from row to row. */
    private static RgbImage stripes(int w, int h) {
        byte[] rgb = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int i = 0; i < w * 3; i++) rgb[y * w * 3 + i] = (byte) (y * 37 % 256);
        }
        return new RgbImage(w, h, rgb);
    }

    /** Pillow's test image: dark (255 - color) with the top-left and bottom-right quarters at {@code color}. */
    static RgbImage squares(int w, int h, int color) {
        byte[] rgb = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                boolean bright = (x < w / 2 && y < h / 2) || (x >= w / 2 && y >= h / 2);
                int v = bright ? color : 255 - color;
                for (int c = 0; c < 3; c++) rgb[(y * w + x) * 3 + c] = (byte) v;
            }
        }
        return new RgbImage(w, h, rgb);
    }

    private static void assertMatchesSample(RgbImage out, String quarter) {
        String[] hex = quarter.split(" ");
        int w = out.width();
        int h = out.height();
        int qw = w / 2;
        for (int y = 0; y < h / 2; y++) {
            for (int x = 0; x < qw; x++) {
                int v = Integer.parseInt(hex[y * qw + x], 16);
                for (int c = 0; c < 3; c++) {
                    assertEquals(v, out.get(x, y, c), "(" + x + ", " + y + ")");
                    assertEquals(v, out.get(w - x - 1, h - y - 1, c));
                    assertEquals(255 - v, out.get(x, h - y - 1, c));
                    assertEquals(255 - v, out.get(w - x - 1, y, c));
                }
            }
        }
    }
}
