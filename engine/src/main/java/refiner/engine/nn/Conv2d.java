package refiner.engine.nn;

import refiner.engine.tensor.Tensor;

/** 2-D convolution with a square kernel, zero padding and a bias: {@code weight} [out, in, k, k]. */
public final class Conv2d {
    private final Tensor weight;
    private final Tensor bias;
    private final int stride;
    private final int padding;

    public Conv2d(Params p, int in, int out, int kernel, int stride, int padding) {
        this.weight = p.get("weight", out, in, kernel, kernel);
        this.bias = p.get("bias", out);
        this.stride = stride;
        this.padding = padding;
    }

    /** x[B, in, H, W] -> [B, out, (H + 2p - k) / s + 1, (W + 2p - k) / s + 1]. */
    public Tensor forward(Tensor x) {
        return x.backend().conv2d(x, weight, bias, stride, padding);
    }

    /** residual + {@link #forward}(x), residual of the output's shape. */
    public Tensor forward(Tensor x, Tensor residual) {
        return x.backend().conv2d(x, weight, bias, stride, padding, residual);
    }

    /** As {@link #forward} (of stride 1) over the nearest 2x upsampling of x. */
    public Tensor forwardUpsampled(Tensor x) {
        if (stride != 1) throw new IllegalStateException("an upsampling convolution of stride " + stride);
        return x.backend().conv2dUpsampled(x, weight, bias, padding);
    }

    /** As {@link #forward}, with the given zero borders on each side in place of the padding. */
    public Tensor forwardPadded(Tensor x, int top, int bottom, int left, int right) {
        return x.backend().conv2dPadded(x, weight, bias, stride, top, bottom, left, right);
    }
}
