package refiner.engine.nn;

import refiner.engine.tensor.Tensor;

/**
 * The VAE's attention block: {@code group_norm} (eps 1e-6), pixels to tokens, single-head
 * self-attention over all pixels (through the backend's tiled attention, never an HW x HW matrix),
 * tokens back to pixels, plus the input.
 */
public final class SpatialSelfAttention {
    private static final float EPS = 1e-6f;

    private final GroupNorm groupNorm;
    private final Attention attention;

    public SpatialSelfAttention(Params p, int channels, int groups) {
        this.groupNorm = new GroupNorm(p.child("group_norm"), groups, channels, EPS);
        this.attention = Attention.vae(p, channels);
    }

    /** x[B, C, H, W] -> [B, C, H, W]. */
    public Tensor forward(Tensor x) {
        var b = x.backend();
        try (Tensor n = groupNorm.forward(x);                   // [B, C, H, W]
             Tensor tokens = b.toTokens(n);                     // [B, HW, C]
             Tensor mixed = attention.forward(tokens, null, false, null); // [B, HW, C]
             Tensor image = b.toImage(mixed, x.dim(2), x.dim(3))) { // [B, C, H, W]
            return b.add(image, x);
        }
    }
}
