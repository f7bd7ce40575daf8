package refiner.engine.backend;

import refiner.engine.tensor.Tensor;
import refiner.loader.safetensors.TensorInfo;

/**
 * The ops the networks need, on one device. Tensors are dense and row-major. Activations are
 * float (F32 on the CPU; the CUDA backend may hold them in F16); weights keep the dtype of the
 * file on the CPU and are widened inside the kernels. Every op returns a new owned tensor and
 * leaves its inputs untouched; callers close what they no longer need so buffers are reused.
 */
public interface Backend extends AutoCloseable {

    /** Short name: "cpu", "cuda". */
    String name();

    // ---- memory -----------------------------------------------------------------------------

    /** An owned activation tensor of the given shape; contents undefined. */
    Tensor allocate(int... shape);

    /** An owned activation tensor holding a copy of {@code data}. */
    Tensor upload(float[] data, int... shape);

    /** The elements of {@code t} as floats, in row-major order. */
    float[] download(Tensor t);

    /** A weight bound from a checkpoint tensor: zero-copy on the CPU, uploaded once elsewhere. */
    Tensor weight(TensorInfo w);

    /** Returns an owned tensor's buffer to the pool; called by {@link Tensor#close()}. */
    void release(Tensor t);

    // ---- dense layers -----------------------------------------------------------------------

    /** y[..., N] = x[..., K] * w[N, K]^T + bias[N] ({@code bias} may be null). */
    Tensor linear(Tensor x, Tensor w, Tensor bias);

    /**
     * residual[..., N] + (x[..., K] * w[N, K]^T + bias[N]): a layer's output added back to the
     * stream. As {@code add(residual, linear(x, w, bias))}, which a backend may fuse into the
     * product's epilogue with the same result; this default does not fuse.
     */
    default Tensor linear(Tensor x, Tensor w, Tensor bias, Tensor residual) {
        try (Tensor y = linear(x, w, bias)) {
            return add(residual, y);
        }
    }

    /**
     * GEGLU of a projection: {@code geglu(linear(x, w, bias))}, w[2F, K], -> [..., F]; a backend
     * may fuse the gating into the product's epilogue with the same result; this default does not.
     */
    default Tensor linearGeglu(Tensor x, Tensor w, Tensor bias) {
        try (Tensor h = linear(x, w, bias)) {
            return geglu(h);
        }
    }

    /**
     * 2-D convolution, square kernel, zero padding: x[B, C, H, W], w[O, C, k, k], bias[O] (or null)
     * -> [B, O, (H + 2p - k) / s + 1, (W + 2p - k) / s + 1].
     */
    Tensor conv2d(Tensor x, Tensor w, Tensor bias, int stride, int padding);

    /**
     * residual[B, O, H', W'] + conv2d(x, w, bias, stride, padding): a residual block's last
     * convolution added to its input. As {@code add(residual, conv2d(...))}, which a backend may
     * fuse into the convolution's output with the same result; this default does not fuse.
     */
    default Tensor conv2d(Tensor x, Tensor w, Tensor bias, int stride, int padding, Tensor residual) {
        try (Tensor y = conv2d(x, w, bias, stride, padding)) {
            return add(residual, y);
        }
    }

    /**
     * conv2d over x with {@code top}, {@code bottom}, {@code left} and {@code right} zero rows and
     * columns on its sides instead of a symmetric padding (the VAE encoder's downsampling pads only
     * the bottom and the right). This default pads a copy with {@link #pad2d} and convolves it; a
     * backend may read the borders as zeros instead.
     */
    default Tensor conv2dPadded(Tensor x, Tensor w, Tensor bias, int stride, int top, int bottom, int left, int right) {
        try (Tensor padded = pad2d(x, top, bottom, left, right)) {
            return conv2d(padded, w, bias, stride, 0);
        }
    }

    // ---- normalisation ----------------------------------------------------------------------

    /** GroupNorm over x[B, C, ...] with per-channel affine; SiLU applied after when {@code silu}. */
    Tensor groupNorm(Tensor x, int groups, Tensor gamma, Tensor beta, float eps, boolean silu);

    /** LayerNorm over the last dimension with affine gamma, beta. */
    Tensor layerNorm(Tensor x, Tensor gamma, Tensor beta, float eps);

    // ---- attention --------------------------------------------------------------------------

    /**
     * Multi-head scaled dot-product attention, softmax in fp32, scale 1/sqrt(D):
     * q[B, Lq, H*D], k[B, Lk, H*D], v[B, Lk, H*D] -> [B, Lq, H*D]. With {@code causal}, query i
     * sees keys 0..i only. Implementations tile it: no Lq x Lk score matrix is materialised.
     */
    Tensor attention(Tensor q, Tensor k, Tensor v, int heads, boolean causal);

    // ---- pointwise --------------------------------------------------------------------------

    Tensor activation(Tensor x, Activation a);

    /** GEGLU: x[..., 2F] split into [h, g] halves -> h * gelu(g), [..., F]. */
    Tensor geglu(Tensor x);

    /** a + b, same shape. */
    Tensor add(Tensor a, Tensor b);

    /** x[B, C, ...] + b[B, C] broadcast over the trailing dimensions. */
    Tensor addChannels(Tensor x, Tensor b);

    /** x * s. */
    Tensor scale(Tensor x, float s);

    // ---- layout -----------------------------------------------------------------------------

    /** Concatenation of {@code a} and {@code b} along {@code axis}; other dimensions equal. */
    Tensor concat(int axis, Tensor a, Tensor b);

    /** x[..., start:end, ...] along {@code axis}. */
    Tensor slice(Tensor x, int axis, int start, int end);

    /** [B, C, H, W] -> [B, H*W, C]. */
    Tensor toTokens(Tensor x);

    /** [B, H*W, C] -> [B, C, H, W]. */
    Tensor toImage(Tensor x, int height, int width);

    /** Nearest-neighbour 2x upsampling of x[B, C, H, W] -> [B, C, 2H, 2W]. */
    Tensor upsampleNearest2x(Tensor x);

    /**
     * conv2d of stride 1 over the nearest-neighbour 2x upsampling of x[B, C, H, W], as the UNet's
     * and the VAE decoder's upsamplers do -> [B, O, 2H + 2p - k + 1, 2W + 2p - k + 1]. This default
     * upsamples a copy and convolves it; a backend may read the source pixels twice instead.
     */
    default Tensor conv2dUpsampled(Tensor x, Tensor w, Tensor bias, int padding) {
        try (Tensor up = upsampleNearest2x(x)) {
            return conv2d(up, w, bias, 1, padding);
        }
    }

    /**
     * Zero padding of x[B, C, H, W] -> [B, C, top + H + bottom, left + W + right] (the VAE
     * encoder's asymmetric downsampling pad). This default concatenates zero borders; a backend
     * may override it with a single copy.
     */
    default Tensor pad2d(Tensor x, int top, int bottom, int left, int right) {
        int[][] borders = {{2, top, 0}, {2, bottom, 1}, {3, left, 0}, {3, right, 1}};
        Tensor cur = x;
        for (int[] border : borders) {
            int axis = border[0], size = border[1];
            if (size == 0) continue;
            int[] shape = cur.shape();
            shape[axis] = size;
            Tensor next;
            try (Tensor zeros = upload(new float[(int) Tensor.numel(shape)], shape)) {
                next = border[2] == 0 ? concat(axis, zeros, cur) : concat(axis, cur, zeros);
            }
            if (cur != x) cur.close();
            cur = next;
        }
        return cur == x ? scale(x, 1f) : cur;
    }

    /** Rows of table[V, D] at {@code ids} -> [ids.length, D]. */
    Tensor embedding(Tensor table, int[] ids);

    /**
     * Gives back the memory kept for reuse (pooled buffers), for a caller that moves on to work of
     * other shapes; tensors still open stay valid. The default keeps nothing, so has nothing to give.
     */
    default void trim() {
    }

    /** Frees pools and device resources. */
    @Override
    void close();
}
