package refiner.engine.backend.cpu;

/**
 * The B side of a convolution as a product: B[(c, ky, kx), (b, oy, ox)] = x[b, c, oy*s - p + ky, ox*s - p + kx]
 * (zero outside the image), gathered strip by strip from x[B, C, H, W] while packing; column j is
 * output pixel j % (OH * OW) of image j / (OH * OW), counted from the image at {@code base}.
 */
final class Im2colPacker implements Gemm.Packer {
    private final float[] x;
    private final int base, c, h, w, ks, stride, pad, ow, pixels;

    Im2colPacker(float[] x, int base, int c, int h, int w, int ks, int stride, int pad, int oh, int ow) {
        this.x = x;
        this.base = base;
        this.c = c;
        this.pixels = oh * ow;
        this.h = h;
        this.w = w;
        this.ks = ks;
        this.stride = stride;
        this.pad = pad;
        this.ow = ow;
    }

    @Override
    public void pack(float[] dst, int off, int from, int count, int width, int k0, int kc) {
        int kk2 = ks * ks;
        for (int kk = 0; kk < kc; kk++) {
            int kIndex = k0 + kk, channel = kIndex / kk2, ky = kIndex % kk2 / ks, kx = kIndex % ks;
            int d = off + kk * width;
            for (int i = 0; i < count; ) {
                int col = from + i, image = col / pixels, p = col % pixels, oy = p / ow, ox = p % ow;
                int plane = base + (image * c + channel) * h * w;
                int run = Math.min(count - i, ow - ox);
                int iy = oy * stride - pad + ky;
                if (iy < 0 || iy >= h) {
                    for (int t = 0; t < run; t++) dst[d + i + t] = 0f;
                } else if (stride == 1) {
                    int ix0 = ox - pad + kx, row = plane + iy * w;
                    int lo = Math.clamp(-ix0, 0, run), hi = Math.clamp(w - ix0, lo, run);
                    for (int t = 0; t < lo; t++) dst[d + i + t] = 0f;
                    System.arraycopy(x, row + ix0 + lo, dst, d + i + lo, hi - lo);
                    for (int t = hi; t < run; t++) dst[d + i + t] = 0f;
                } else {
                    int row = plane + iy * w;
                    for (int t = 0; t < run; t++) {
                        int ix = (ox + t) * stride - pad + kx;
                        dst[d + i + t] = ix >= 0 && ix < w ? x[row + ix] : 0f;
                    }
                }
                i += run;
            }
            for (int i = count; i < width; i++) dst[d + i] = 0f;
        }
    }
}
