package refiner.engine.nn;

import java.util.ArrayList;
import java.util.List;
import refiner.engine.tensor.Tensor;

/**
 * The UNet's spatial transformer: GroupNorm (eps 1e-6), pixels to tokens, linear {@code proj_in},
 * {@code transformer_blocks.N}, linear {@code proj_out}, tokens back to pixels, plus the input.
 */
public final class Transformer2DModel {
    private static final float EPS = 1e-6f;

    private final GroupNorm norm;
    private final Linear projIn;
    private final BasicTransformerBlock[] blocks;
    private final Linear projOut;

    public Transformer2DModel(Params p, int channels, int heads, int layers, int contextDim, int groups) {
        this.norm = new GroupNorm(p.child("norm"), groups, channels, EPS);
        this.projIn = new Linear(p.child("proj_in"), channels, channels, true);
        this.blocks = new BasicTransformerBlock[layers];
        for (int i = 0; i < layers; i++) {
            blocks[i] = new BasicTransformerBlock(p.child("transformer_blocks", i), channels, contextDim, heads);
        }
        this.projOut = new Linear(p.child("proj_out"), channels, channels, true);
    }

    /** The transformer blocks of {@code models}, in order. */
    public static List<BasicTransformerBlock> blocksOf(Transformer2DModel... models) {
        List<BasicTransformerBlock> out = new ArrayList<>();
        for (Transformer2DModel t : models) out.addAll(List.of(t.blocks));
        return out;
    }

    /** x[B, C, H, W], with the text's keys and values for each block's cross-attention -> [B, C, H, W]. */
    public Tensor forward(Tensor x, CrossAttention context) {
        var b = x.backend();
        int height = x.dim(2), width = x.dim(3);
        Tensor h;
        try (Tensor n = norm.forward(x);                    // [B, C, H, W]
             Tensor tokens = b.toTokens(n)) {               // [B, HW, C]
            h = projIn.forward(tokens);                     // [B, HW, C]
        }
        for (BasicTransformerBlock block : blocks) {
            try (Tensor before = h) {
                h = block.forward(before, context.of(block)); // [B, HW, C]
            }
        }
        try (Tensor tokens = h;
             Tensor projected = projOut.forward(tokens);    // [B, HW, C]
             Tensor image = b.toImage(projected, height, width)) { // [B, C, H, W]
            return b.add(image, x);
        }
    }
}
