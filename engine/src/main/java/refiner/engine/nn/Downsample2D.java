package refiner.engine.nn;

import refiner.engine.tensor.Tensor;

/**
 * Stride-2 3x3 convolution {@code conv}. With padding 1 (the UNet) the borders are padded
 * symmetrically; with padding 0 (the VAE encoder) the input gets one zero row at the bottom and
 * one zero column at the right only.
 */
public final class Downsample2D {
    private final Conv2d conv;
    private final boolean padBottomRight;

    public Downsample2D(Params p, int channels, int padding) {
        this.conv = new Conv2d(p.child("conv"), channels, channels, 3, 2, padding);
        this.padBottomRight = padding == 0;
    }

    /** x[B, C, H, W] -> [B, C, ceil(H / 2), ceil(W / 2)] (padding 1) or [B, C, H / 2, W / 2] (padding 0). */
    public Tensor forward(Tensor x) {
        if (!padBottomRight) return conv.forward(x);
        return conv.forwardPadded(x, 0, 1, 0, 1);                // over [B, C, H + 1, W + 1]
    }
}
