package refiner.engine.image;

/**
 * Pillow's {@code Image.resize(size, Image.LANCZOS)} for 8-bit RGB images (Pillow 9.4, the
 * reference's), result for result: a separable Lanczos-3 filter widened by the downscale factor,
 * weights computed in double, normalised to sum 1, then turned into fixed-point integers with 22
 * fractional bits; each pass sums {@code pixel * weight} in integers from a start of one half and
 * clips the result to 0..255. The horizontal pass runs first (only over the source rows the
 * vertical pass will read); a pass whose size does not change is skipped.
 */
final class LanczosResampler {
    private static final double SUPPORT = 3.0;
    private static final int PRECISION_BITS = 32 - 8 - 2;

    private LanczosResampler() {
    }

    /** {@code image} resized to {@code width x height}; the same image when the size is unchanged. */
    static RgbImage resize(RgbImage image, int width, int height) {
        boolean horizontal = width != image.width();
        boolean vertical = height != image.height();
        if (!horizontal && !vertical) return image;
        Weights rows = Weights.of(image.height(), height);
        int firstRow = rows.start[0];
        int lastRow = rows.start[height - 1] + rows.count[height - 1];
        RgbImage current = image;
        int rowOffset = 0;
        if (horizontal) {
            current = horizontalPass(image, Weights.of(image.width(), width), firstRow, lastRow - firstRow);
            rowOffset = firstRow;
        }
        if (vertical) current = verticalPass(current, rows, rowOffset, height);
        return current;
    }

    /** Rows {@code firstRow .. firstRow + rowCount - 1} of {@code in}, resampled to {@code w.outSize} columns. */
    private static RgbImage horizontalPass(RgbImage in, Weights w, int firstRow, int rowCount) {
        int outW = w.outSize;
        byte[] src = in.rgb();
        byte[] out = new byte[outW * rowCount * 3];
        for (int y = 0; y < rowCount; y++) {
            int srcRow = (firstRow + y) * in.width();
            for (int xx = 0; xx < outW; xx++) {
                int[] k = w.fixed[xx];
                int xmin = w.start[xx];
                for (int c = 0; c < 3; c++) {
                    int ss = 1 << (PRECISION_BITS - 1);
                    for (int x = 0; x < w.count[xx]; x++) ss += (src[(srcRow + xmin + x) * 3 + c] & 0xFF) * k[x];
                    out[(y * outW + xx) * 3 + c] = clip8(ss);
                }
            }
        }
        return new RgbImage(outW, rowCount, out);
    }

    /** {@code in} resampled to {@code outH} rows; the weights' row numbers are shifted down by {@code rowOffset}. */
    private static RgbImage verticalPass(RgbImage in, Weights w, int rowOffset, int outH) {
        int width = in.width();
        byte[] src = in.rgb();
        byte[] out = new byte[width * outH * 3];
        for (int yy = 0; yy < outH; yy++) {
            int[] k = w.fixed[yy];
            int ymin = w.start[yy] - rowOffset;
            for (int x = 0; x < width; x++) {
                for (int c = 0; c < 3; c++) {
                    int ss = 1 << (PRECISION_BITS - 1);
                    for (int y = 0; y < w.count[yy]; y++) ss += (src[((ymin + y) * width + x) * 3 + c] & 0xFF) * k[y];
                    out[(yy * width + x) * 3 + c] = clip8(ss);
                }
            }
        }
        return new RgbImage(width, outH, out);
    }

    private static byte clip8(int ss) {
        int v = ss >> PRECISION_BITS;
        return (byte) (v < 0 ? 0 : Math.min(v, 255));
    }

    /** For each output position: the first source index, the number of taps and their fixed-point weights. */
    private record Weights(int outSize, int[] start, int[] count, int[][] fixed) {
        static Weights of(int inSize, int outSize) {
            double scale = (double) ((float) inSize - 0f) / outSize;
            double filterScale = Math.max(scale, 1.0);
            double support = SUPPORT * filterScale;
            int[] start = new int[outSize];
            int[] count = new int[outSize];
            int[][] fixed = new int[outSize][];
            for (int xx = 0; xx < outSize; xx++) {
                double center = 0f + (xx + 0.5) * scale;
                double ss = 1.0 / filterScale;
                int xmin = Math.max((int) (center - support + 0.5), 0);
                int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
                double[] k = new double[xmax];
                double ww = 0.0;
                for (int x = 0; x < xmax; x++) {
                    k[x] = lanczos((x + xmin - center + 0.5) * ss);
                    ww += k[x];
                }
                fixed[xx] = new int[xmax];
                for (int x = 0; x < xmax; x++) {
                    double v = ww != 0.0 ? k[x] / ww : k[x];
                    fixed[xx][x] = v < 0 ? (int) (-0.5 + v * (1 << PRECISION_BITS)) : (int) (0.5 + v * (1 << PRECISION_BITS));
                }
                start[xx] = xmin;
                count[xx] = xmax;
            }
            return new Weights(outSize, start, count, fixed);
        }

        /** Truncated sinc: {@code sinc(x) * sinc(x / 3)} on [-3, 3). */
        private static double lanczos(double x) {
            if (-SUPPORT <= x && x < SUPPORT) return sinc(x) * sinc(x / 3);
            return 0.0;
        }

        private static double sinc(double x) {
            if (x == 0.0) return 1.0;
            double px = x * Math.PI;
            return Math.sin(px) / px;
        }
    }
}
