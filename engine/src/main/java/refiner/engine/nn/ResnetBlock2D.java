package refiner.engine.nn;

import refiner.engine.tensor.Tensor;

/**
 * The residual block of the UNet and the VAE: {@code norm1 -> SiLU -> conv1 (+ time_emb_proj) ->
 * norm2 -> SiLU -> conv2}, added to the input or to its 1x1 {@code conv_shortcut} when the channel
 * count changes. The VAE's blocks have no time embedding.
 */
public final class ResnetBlock2D {
    private final GroupNorm norm1;
    private final Conv2d conv1;
    private final Linear timeEmbProj;
    private final GroupNorm norm2;
    private final Conv2d conv2;
    private final Conv2d convShortcut;

    /** {@code tembChannels} 0 means no time embedding. */
    public ResnetBlock2D(Params p, int in, int out, int tembChannels, int groups, float eps) {
        this.norm1 = new GroupNorm(p.child("norm1"), groups, in, eps);
        this.conv1 = new Conv2d(p.child("conv1"), in, out, 3, 1, 1);
        this.timeEmbProj = tembChannels > 0 ? new Linear(p.child("time_emb_proj"), tembChannels, out, true) : null;
        this.norm2 = new GroupNorm(p.child("norm2"), groups, out, eps);
        this.conv2 = new Conv2d(p.child("conv2"), out, out, 3, 1, 1);
        this.convShortcut = in != out ? new Conv2d(p.child("conv_shortcut"), in, out, 1, 1, 0) : null;
    }

    /**
     * x[B, in, H, W] -> [B, out, H, W]. {@code tembSilu} is SiLU(time embedding) [B, T], computed
     * once per network call; null for blocks without a time embedding.
     */
    public Tensor forward(Tensor x, Tensor tembSilu) {
        var b = x.backend();
        Tensor h;
        try (Tensor n1 = norm1.forwardSilu(x)) {                // [B, in, H, W]
            h = conv1.forward(n1);                              // [B, out, H, W]
        }
        if (timeEmbProj != null) {
            try (Tensor t = timeEmbProj.forward(tembSilu);      // [B, out]
                 Tensor before = h) {
                h = b.addChannels(before, t);                   // [B, out, H, W]
            }
        }
        Tensor n2;
        try (Tensor hh = h) {
            n2 = norm2.forwardSilu(hh);                         // [B, out, H, W]
        }
        try (n2) {
            if (convShortcut == null) return conv2.forward(n2, x); // [B, out, H, W]
            try (Tensor shortcut = convShortcut.forward(x)) {   // [B, out, H, W]
                return conv2.forward(n2, shortcut);             // [B, out, H, W]
            }
        }
    }
}
