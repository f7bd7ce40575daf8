package refiner.engine.image;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Reads an image file (PNG, JPEG, or another format javax.imageio decodes) into an {@link RgbImage},
 * as diffusers' {@code load_image} does with PIL: the EXIF orientation of a JPEG is applied
 * ({@code exif_transpose}) and the image converted to RGB ({@code convert("RGB")}): alpha is
 * dropped without compositing, grey is replicated into the three channels, palette entries are
 * looked up. The stored sample values are used as they are: embedded colour profiles and gamma are
 * ignored, as PIL ignores them. 16-bit samples keep their high byte (PIL does so for 16-bit RGB;
 * for 16-bit grey PIL clips every value above 255 to 255, which is not reproduced). JPEG decoding
 * is javax.imageio's (IJG libjpeg); on baseline and progressive files with 4:2:0, 4:2:2 and 4:4:4
 * chroma it gave the same bytes as Pillow 9.4 with libjpeg-turbo (see the test fixtures).
 */
public final class ImageLoader {
    private ImageLoader() {
    }

    /**
     * Reads {@code path}.
     *
     * @throws IOException with a one-line message naming the file when it is missing, not an image,
     *     damaged, in an unsupported colour format, or smaller than 8 pixels on a side
     */
    public static RgbImage read(Path path) throws IOException {
        if (!Files.isRegularFile(path)) throw new IOException(path + ": no such image file");
        byte[] bytes = Files.readAllBytes(path);
        BufferedImage image;
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) throw new IOException(path + ": not an image in a supported format (PNG or JPEG)");
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                image = reader.read(0);
            } catch (IOException | RuntimeException e) {
                throw new IOException(path + ": cannot decode the image (" + oneLine(e) + ")");
            } finally {
                reader.dispose();
            }
        }
        int orientation = ExifOrientation.of(bytes);
        RgbImage rgb = ExifOrientation.apply(toRgb(image, path), orientation);
        if (rgb.width() < VaeImageProcessor.SCALE_FACTOR || rgb.height() < VaeImageProcessor.SCALE_FACTOR) {
            throw new IOException(path + ": image is " + rgb.width() + "x" + rgb.height()
                    + " pixels, both sides must be at least " + VaeImageProcessor.SCALE_FACTOR);
        }
        return rgb;
    }

    /** The decoded samples as 8-bit RGB, following PIL's {@code convert("RGB")}. */
    static RgbImage toRgb(BufferedImage image, Path path) throws IOException {
        int w = image.getWidth();
        int h = image.getHeight();
        byte[] out = new byte[w * h * 3];
        ColorModel cm = image.getColorModel();
        Raster raster = image.getRaster();
        if (cm instanceof IndexColorModel icm) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int i = raster.getSample(x, y, 0);
                    int o = (y * w + x) * 3;
                    out[o] = (byte) icm.getRed(i);
                    out[o + 1] = (byte) icm.getGreen(i);
                    out[o + 2] = (byte) icm.getBlue(i);
                }
            }
            return new RgbImage(w, h, out);
        }
        int space = cm.getColorSpace().getType();
        int[] bands;
        if (space == ColorSpace.TYPE_RGB && raster.getNumBands() >= 3) {
            bands = new int[] {0, 1, 2};
        } else if (space == ColorSpace.TYPE_GRAY && raster.getNumBands() >= 1) {
            bands = new int[] {0, 0, 0};
        } else {
            String name = space == ColorSpace.TYPE_CMYK ? "CMYK" : "colour space type " + space;
            throw new IOException(path + ": colour format not supported (" + name + " with " + raster.getNumBands()
                    + " channels); save the image as 8-bit RGB");
        }
        for (int c = 0; c < 3; c++) {
            int bits = raster.getSampleModel().getSampleSize(bands[c]);
            boolean wide = raster.getDataBuffer().getDataType() == DataBuffer.TYPE_USHORT && bits == 16;
            int max = (1 << bits) - 1;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int s = raster.getSample(x, y, bands[c]);
                    int v = bits == 8 ? s : wide ? s >> 8 : Math.round(s * 255f / max);
                    out[(y * w + x) * 3 + c] = (byte) v;
                }
            }
        }
        return new RgbImage(w, h, out);
    }

    private static String oneLine(Throwable e) {
        String m = e.getMessage();
        return (m == null ? e.getClass().getSimpleName() : m).replaceAll("\\s+", " ").trim();
    }
}
