package refiner.engine.image;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The EXIF orientation tag (0x0112) of an image file, from a JPEG's APP1 "Exif" segment or a PNG's
 * eXIf chunk, and the transposition that shows the image upright, as PIL's
 * {@code ImageOps.exif_transpose} applies it. The file's bytes are scanned directly (javax.imageio's
 * JPEG metadata refuses files whose APP1 precedes the JFIF APP0). A missing or malformed EXIF
 * block means orientation 1 (as stored).
 */
final class ExifOrientation {
    private static final int TAG_ORIENTATION = 0x0112;
    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

    private ExifOrientation() {
    }

    /** The orientation (1..8) recorded in the image file {@code d}. */
    static int of(byte[] d) {
        if (d.length > 4 && (d[0] & 0xFF) == 0xFF && (d[1] & 0xFF) == 0xD8) return fromJpeg(d);
        if (d.length > 8 && Arrays.equals(d, 0, 8, PNG_SIGNATURE, 0, 8)) return fromPng(d);
        return 1;
    }

    /** Walks the JPEG segments up to the start of scan, looking for APP1 "Exif\0\0". */
    private static int fromJpeg(byte[] d) {
        int p = 2;
        while (p + 4 <= d.length && (d[p] & 0xFF) == 0xFF) {
            int marker = d[p + 1] & 0xFF;
            if (marker == 0xFF) {
                p++;
                continue;
            }
            if (marker == 0xDA || marker == 0xD9) return 1;
            int len = u16(d, p + 2, false);
            if (len < 2 || p + 2 + len > d.length) return 1;
            if (marker == 0xE1 && len >= 8 && new String(d, p + 4, 6, StandardCharsets.ISO_8859_1).equals("Exif\0\0")) {
                return fromTiff(Arrays.copyOfRange(d, p + 10, p + 2 + len), 0);
            }
            p += 2 + len;
        }
        return 1;
    }

    /** Walks the PNG chunks looking for eXIf. */
    private static int fromPng(byte[] d) {
        int p = 8;
        while (p + 12 <= d.length) {
            long len = u32(d, p, false);
            if (len > d.length - p - 12) return 1;
            String type = new String(d, p + 4, 4, StandardCharsets.ISO_8859_1);
            if (type.equals("eXIf")) return fromTiff(Arrays.copyOfRange(d, p + 8, p + 8 + (int) len), 0);
            if (type.equals("IEND")) return 1;
            p += 12 + (int) len;
        }
        return 1;
    }

    /** The orientation entry of IFD0 of the TIFF structure starting at {@code base}, or 1. */
    static int fromTiff(byte[] d, int base) {
        if (d.length < base + 8) return 1;
        boolean little;
        if (d[base] == 'I' && d[base + 1] == 'I') little = true;
        else if (d[base] == 'M' && d[base + 1] == 'M') little = false;
        else return 1;
        if (u16(d, base + 2, little) != 42) return 1;
        long ifd = base + u32(d, base + 4, little);
        if (ifd + 2 > d.length) return 1;
        int entries = u16(d, (int) ifd, little);
        for (int i = 0; i < entries; i++) {
            int e = (int) ifd + 2 + 12 * i;
            if (e + 12 > d.length) return 1;
            if (u16(d, e, little) == TAG_ORIENTATION && u16(d, e + 2, little) == 3) {
                int v = u16(d, e + 8, little);
                return v >= 1 && v <= 8 ? v : 1;
            }
        }
        return 1;
    }

    /** {@code image} turned upright for {@code orientation}: flips for 2 and 4, 180 degrees for 3, the rest swap the sides. */
    static RgbImage apply(RgbImage image, int orientation) {
        if (orientation <= 1 || orientation > 8) return image;
        int w = image.width();
        int h = image.height();
        boolean swap = orientation >= 5;
        int outW = swap ? h : w;
        int outH = swap ? w : h;
        byte[] src = image.rgb();
        byte[] out = new byte[src.length];
        for (int y = 0; y < outH; y++) {
            for (int x = 0; x < outW; x++) {
                int sx;
                int sy;
                switch (orientation) {
                    case 2 -> { sx = w - 1 - x; sy = y; }
                    case 3 -> { sx = w - 1 - x; sy = h - 1 - y; }
                    case 4 -> { sx = x; sy = h - 1 - y; }
                    case 5 -> { sx = y; sy = x; }
                    case 6 -> { sx = y; sy = h - 1 - x; }
                    case 7 -> { sx = w - 1 - y; sy = h - 1 - x; }
                    default -> { sx = w - 1 - y; sy = x; }
                }
                System.arraycopy(src, (sy * w + sx) * 3, out, (y * outW + x) * 3, 3);
            }
        }
        return new RgbImage(outW, outH, out);
    }

    private static int u16(byte[] d, int o, boolean little) {
        int a = d[o] & 0xFF;
        int b = d[o + 1] & 0xFF;
        return little ? a | b << 8 : a << 8 | b;
    }

    private static long u32(byte[] d, int o, boolean little) {
        long lo = u16(d, little ? o : o + 2, little);
        long hi = u16(d, little ? o + 2 : o, little);
        return hi << 16 | lo;
    }
}
