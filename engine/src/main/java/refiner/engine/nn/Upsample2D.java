package refiner.engine.nn;

import refiner.engine.tensor.Tensor;

/** Nearest-neighbour upsampling to a target size (2x, or 2x - 1 for odd skips), then a 3x3 {@code conv}. */
public final class Upsample2D {
    private final Conv2d conv;

    public Upsample2D(Params p, int channels) {
        this.conv = new Conv2d(p.child("conv"), channels, channels, 3, 1, 1);
    }

    /** x[B, C, H, W] -> [B, C, 2H, 2W]. */
    public Tensor forward(Tensor x) {
        return forward(x, 2 * x.dim(2), 2 * x.dim(3));
    }

    /**
     * x[B, C, H, W] -> [B, C, outH, outW] with outH in {2H - 1, 2H} (likewise outW): the size of the
     * skip it meets next. Nearest interpolation to 2H - 1 picks the same source rows as 2x
     * upsampling cut to its first 2H - 1 rows.
     */
    public Tensor forward(Tensor x, int outH, int outW) {
        var b = x.backend();
        int h = x.dim(2), w = x.dim(3);
        if ((outH != 2 * h && outH != 2 * h - 1) || (outW != 2 * w && outW != 2 * w - 1)) {
            throw new IllegalArgumentException("upsample from " + h + "x" + w + " to " + outH + "x" + outW + " is not 2x");
        }
        if (outH == 2 * h && outW == 2 * w) return conv.forwardUpsampled(x);  // [B, C, 2H, 2W]
        Tensor up = b.upsampleNearest2x(x);                     // [B, C, 2H, 2W]
        if (outH != 2 * h) {
            try (Tensor full = up) {
                up = b.slice(full, 2, 0, outH);                 // [B, C, outH, 2W]
            }
        }
        if (outW != 2 * w) {
            try (Tensor full = up) {
                up = b.slice(full, 3, 0, outW);                 // [B, C, outH, outW]
            }
        }
        try (Tensor upsampled = up) {
            return conv.forward(upsampled);                     // [B, C, outH, outW]
        }
    }
}
