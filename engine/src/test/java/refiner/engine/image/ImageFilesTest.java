package refiner.engine.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PNG writing with text chunks, reading of PNG and JPEG files, and the one-line errors of both. */
class ImageFilesTest {
    @TempDir
    Path dir;

    private static RgbImage noise(int w, int h, long seed) {
        byte[] rgb = new byte[w * h * 3];
        new Random(seed).nextBytes(rgb);
        return new RgbImage(w, h, rgb);
    }

    @Test
    void pngRoundTripKeepsPixelsAndText() throws IOException {
        RgbImage img = noise(24, 16, 1);
        Map<String, String> text = new LinkedHashMap<>();
        text.put("parameters", "a lighthouse at dusk\nNegative prompt: blur\nSteps: 20, Seed: 42");
        text.put("prompt-unicode", "koi \u9326\u9bc9 \uD83D\uDC1F");
        Path out = dir.resolve("out.png");
        PngFiles.write(out, img, text);
        RgbImage back = ImageLoader.read(out);
        assertEquals(24, back.width());
        assertEquals(16, back.height());
        assertArrayEquals(img.rgb(), back.rgb());
        assertEquals(text, PngFiles.readText(out));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(out), files.toList(), "no temporary file left behind");
        }
    }

    @Test
    void overwritesAnExistingFileWhole() throws IOException {
        Path out = dir.resolve("same.png");
        PngFiles.write(out, noise(64, 64, 2), Map.of("parameters", "first"));
        PngFiles.write(out, noise(8, 8, 3), Map.of("parameters", "second"));
        assertArrayEquals(noise(8, 8, 3).rgb(), ImageLoader.read(out).rgb());
        assertEquals(Map.of("parameters", "second"), PngFiles.readText(out));
    }

    @Test
    void writeErrorsNameTheFile() {
        Path missing = dir.resolve("no-such-folder").resolve("x.png");
        IOException e = assertThrows(IOException.class, () -> PngFiles.write(missing, noise(8, 8, 4), Map.of()));
        assertTrue(e.getMessage().startsWith(missing.toString()), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PngFiles.write(dir.resolve("k.png"), noise(8, 8, 4), Map.of(" bad", "v")));
        assertThrows(IllegalArgumentException.class, () -> PngFiles.write(dir.resolve("k.png"), noise(8, 8, 4), Map.of("k", "a\0b")));
    }

    @Test
    void readErrorsAreOneLineAndNameTheFile() throws IOException {
        Path missing = dir.resolve("missing.png");
        assertOneLineError(missing, "no such image file");
        Path text = dir.resolve("notes.png");
        Files.writeString(text, "not an image at all");
        assertOneLineError(text, "not an image");
        Path good = dir.resolve("good.png");
        PngFiles.write(good, noise(32, 32, 5), Map.of());
        byte[] bytes = Files.readAllBytes(good);
        Path truncated = dir.resolve("truncated.png");
        Files.write(truncated, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        assertOneLineError(truncated, "cannot decode");
        Path tiny = dir.resolve("tiny.png");
        PngFiles.write(tiny, noise(7, 30, 6), Map.of());
        assertOneLineError(tiny, "7x30");
    }

    @Test
    void greyAlphaAndPaletteImagesBecomeRgbLikePilConvert() throws IOException {
        BufferedImage grey = new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_GRAY);
        grey.getRaster().setSample(3, 2, 0, 77);
        assertPixel(grey, 3, 2, 77, 77, 77);

        BufferedImage rgba = new BufferedImage(8, 8, BufferedImage.TYPE_4BYTE_ABGR);
        rgba.getRaster().setPixel(1, 1, new int[] {200, 100, 50, 0});
        assertPixel(rgba, 1, 1, 200, 100, 50);

        byte[] r = {0, (byte) 250};
        byte[] g = {0, 20};
        byte[] b = {0, (byte) 130};
        BufferedImage palette = new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_INDEXED, new IndexColorModel(1, 2, r, g, b));
        palette.getRaster().setSample(5, 6, 0, 1);
        assertPixel(palette, 5, 6, 250, 20, 130);
    }

    @Test
    void jpegIsDecodedAndItsExifOrientationApplied() throws IOException {
        BufferedImage src = new BufferedImage(16, 8, BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < 8; y++) for (int x = 0; x < 16; x++) src.setRGB(x, y, x < 8 ? 0xF0F0F0 : 0x101010);
        ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
        ImageIO.write(src, "jpeg", jpeg);
        Path plain = dir.resolve("plain.jpg");
        Files.write(plain, jpeg.toByteArray());
        RgbImage upright = ImageLoader.read(plain);
        assertEquals(16, upright.width());
        assertTrue(upright.get(1, 4, 0) > 200 && upright.get(14, 4, 0) < 50, "left bright, right dark");

        Path rotated = dir.resolve("rotated.jpg");
        Files.write(rotated, withExifOrientation(jpeg.toByteArray(), 6));
        RgbImage turned = ImageLoader.read(rotated);
        assertEquals(8, turned.width());
        assertEquals(16, turned.height());
        assertTrue(turned.get(4, 1, 0) > 200 && turned.get(4, 14, 0) < 50, "turned clockwise: the left side is now on top");
    }

    @Test
    void pngExifChunkOrientationIsApplied() throws IOException {
        Path plain = dir.resolve("plain.png");
        PngFiles.write(plain, noise(16, 8, 7), Map.of());
        byte[] png = Files.readAllBytes(plain);
        byte[] tiff = {'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0};
        byte[] chunk = new byte[12 + tiff.length];
        chunk[3] = (byte) tiff.length;
        System.arraycopy("eXIf".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1), 0, chunk, 4, 4);
        System.arraycopy(tiff, 0, chunk, 8, tiff.length);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(chunk, 4, 4 + tiff.length);
        long v = crc.getValue();
        for (int i = 0; i < 4; i++) chunk[8 + tiff.length + i] = (byte) (v >> (24 - 8 * i));
        int afterHeader = 8 + 25;
        byte[] withExif = new byte[png.length + chunk.length];
        System.arraycopy(png, 0, withExif, 0, afterHeader);
        System.arraycopy(chunk, 0, withExif, afterHeader, chunk.length);
        System.arraycopy(png, afterHeader, withExif, afterHeader + chunk.length, png.length - afterHeader);
        Path rotated = dir.resolve("rotated.png");
        Files.write(rotated, withExif);
        RgbImage turned = ImageLoader.read(rotated);
        assertArrayEquals(ExifOrientation.apply(noise(16, 8, 7), 8).rgb(), turned.rgb(), "orientation 8: turned counter-clockwise");
    }

    @Test
    void orientationsMapLikePilTranspose() {
        RgbImage img = new RgbImage(3, 2, new byte[] {0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5});
        assertGrid(img, 1, 3, "0 1 2 3 4 5");
        assertGrid(img, 2, 3, "2 1 0 5 4 3");
        assertGrid(img, 3, 3, "5 4 3 2 1 0");
        assertGrid(img, 4, 3, "3 4 5 0 1 2");
        assertGrid(img, 5, 2, "0 3 1 4 2 5");
        assertGrid(img, 6, 2, "3 0 4 1 5 2");
        assertGrid(img, 7, 2, "5 2 4 1 3 0");
        assertGrid(img, 8, 2, "2 5 1 4 0 3");
    }

    private static void assertGrid(RgbImage img, int orientation, int width, String values) {
        RgbImage out = ExifOrientation.apply(img, orientation);
        assertEquals(width, out.width(), "width for orientation " + orientation);
        StringBuilder sb = new StringBuilder();
        for (int y = 0; y < out.height(); y++) for (int x = 0; x < out.width(); x++) sb.append(sb.isEmpty() ? "" : " ").append(out.get(x, y, 0));
        assertEquals(values, sb.toString(), "orientation " + orientation);
    }

    private void assertPixel(BufferedImage image, int x, int y, int r, int g, int b) throws IOException {
        Path p = dir.resolve("t.png");
        ImageIO.write(image, "png", p.toFile());
        RgbImage rgb = ImageLoader.read(p);
        assertEquals(r, rgb.get(x, y, 0));
        assertEquals(g, rgb.get(x, y, 1));
        assertEquals(b, rgb.get(x, y, 2));
    }

    private static void assertOneLineError(Path p, String fragment) {
        IOException e = assertThrows(IOException.class, () -> ImageLoader.read(p));
        assertTrue(e.getMessage().startsWith(p.toString()) && e.getMessage().contains(fragment) && !e.getMessage().contains("\n"), e.getMessage());
    }

    /** The JPEG with an APP1 Exif segment (big-endian TIFF, IFD0 holding only the orientation) after SOI. */
    private static byte[] withExifOrientation(byte[] jpeg, int orientation) {
        byte[] tiff = {'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, (byte) orientation, 0, 0, 0, 0, 0, 0, 0, 0};
        byte[] payload = new byte[6 + tiff.length];
        System.arraycopy("Exif\0\0".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1), 0, payload, 0, 6);
        System.arraycopy(tiff, 0, payload, 6, tiff.length);
        int len = payload.length + 2;
        byte[] out = new byte[jpeg.length + 4 + payload.length];
        out[0] = jpeg[0];
        out[1] = jpeg[1];
        out[2] = (byte) 0xFF;
        out[3] = (byte) 0xE1;
        out[4] = (byte) (len >> 8);
        out[5] = (byte) len;
        System.arraycopy(payload, 0, out, 6, payload.length);
        System.arraycopy(jpeg, 2, out, 6 + payload.length, jpeg.length - 2);
        return out;
    }
}
