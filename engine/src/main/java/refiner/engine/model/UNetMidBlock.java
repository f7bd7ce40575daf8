package refiner.engine.model;

import java.util.List;

import refiner.engine.nn.BasicTransformerBlock;
import refiner.engine.nn.CrossAttention;
import refiner.engine.nn.Params;
import refiner.engine.nn.ResnetBlock2D;
import refiner.engine.nn.Transformer2DModel;
import refiner.engine.tensor.Tensor;

/** {@code mid_block} ({@code UNetMidBlock2DCrossAttn}): resnet, then (transformer, resnet) pairs. */
final class UNetMidBlock {
    private final ResnetBlock2D[] resnets;
    private final Transformer2DModel[] attentions;

    UNetMidBlock(Params p, int channels, int tembDim, int groups, float eps, int heads, int transformerLayers, int contextDim) {
        this.resnets = new ResnetBlock2D[2];
        this.attentions = new Transformer2DModel[1];
        resnets[0] = new ResnetBlock2D(p.child("resnets", 0), channels, channels, tembDim, groups, eps);
        attentions[0] = new Transformer2DModel(p.child("attentions", 0), channels, heads, transformerLayers, contextDim, groups);
        resnets[1] = new ResnetBlock2D(p.child("resnets", 1), channels, channels, tembDim, groups, eps);
    }

    /** x[B, C, H, W] -> [B, C, H, W]; {@code x} is left open. */
    Tensor forward(Tensor x, Tensor tembSilu, CrossAttention context) {
        Tensor h = resnets[0].forward(x, tembSilu);                     // [B, C, H, W]
        for (int i = 0; i < attentions.length; i++) {
            try (Tensor pre = h; Tensor a = attentions[i].forward(pre, context)) { // [B, C, H, W]
                h = resnets[i + 1].forward(a, tembSilu);                // [B, C, H, W]
            }
        }
        return h;
    }

    /** The transformer blocks of this block's attentions, in order. */
    List<BasicTransformerBlock> transformerBlocks() {
        return Transformer2DModel.blocksOf(attentions);
    }
}
