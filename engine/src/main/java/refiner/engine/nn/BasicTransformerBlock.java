package refiner.engine.nn;

import refiner.engine.tensor.Tensor;

/**
 * One pre-norm transformer block of the UNet: {@code norm1 -> attn1} (self-attention),
 * {@code norm2 -> attn2} (cross-attention to the text), {@code norm3 -> ff} (GEGLU, 4x wide),
 * each added back to the stream. LayerNorm eps 1e-5.
 */
public final class BasicTransformerBlock {
    private static final float EPS = 1e-5f;

    private final LayerNorm norm1;
    private final Attention attn1;
    private final LayerNorm norm2;
    private final Attention attn2;
    private final LayerNorm norm3;
    private final FeedForward ff;

    public BasicTransformerBlock(Params p, int dim, int contextDim, int heads) {
        this.norm1 = new LayerNorm(p.child("norm1"), dim, EPS);
        this.attn1 = Attention.transformer(p.child("attn1"), dim, dim, heads);
        this.norm2 = new LayerNorm(p.child("norm2"), dim, EPS);
        this.attn2 = Attention.transformer(p.child("attn2"), dim, contextDim, heads);
        this.norm3 = new LayerNorm(p.child("norm3"), dim, EPS);
        this.ff = new FeedForward(p.child("ff"), dim, 4 * dim, true);
    }

    /** The cross-attention's keys and values of context[B, Lctx, Cctx]. */
    KeyValues crossKeyValues(Tensor context) {
        return attn2.keyValues(context);
    }

    /** x[B, L, C], with the text's keys and values for the cross-attention -> [B, L, C]. */
    public Tensor forward(Tensor x, KeyValues context) {
        Tensor h1;
        try (Tensor n = norm1.forward(x)) {
            h1 = attn1.forward(n, null, false, x);          // [B, L, C]
        }
        Tensor h2;
        try (h1; Tensor n = norm2.forward(h1)) {
            h2 = attn2.forward(n, context, h1);             // [B, L, C]
        }
        try (h2; Tensor n = norm3.forward(h2)) {
            return ff.forward(n, h2);                       // [B, L, C]
        }
    }
}
