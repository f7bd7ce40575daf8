package refiner.engine.model;


import java.util.List;
import refiner.engine.nn.BasicTransformerBlock;
import refiner.engine.nn.CrossAttention;
import refiner.engine.nn.Downsample2D;
import refiner.engine.nn.Params;
import refiner.engine.nn.ResnetBlock2D;
import refiner.engine.nn.Transformer2DModel;
import refiner.engine.tensor.Tensor;

/**
 * {@code down_blocks.i}: {@code DownBlock2D} (resnets) or {@code CrossAttnDownBlock2D} (each
 * resnet followed by a spatial transformer), then an optional stride-2 downsampler. Every
 * resnet(+transformer) output and the downsampler's output become skips for the up path.
 */
final class UNetDownBlock {
    private final ResnetBlock2D[] resnets;
    private final Transformer2DModel[] attentions;
    private final Downsample2D downsampler;

    /** {@code heads} 0 means no transformers (DownBlock2D). */
    UNetDownBlock(Params p, int in, int out, int layers, int tembDim, int groups, float eps,
                  int heads, int transformerLayers, int contextDim, boolean downsample, int downsamplePadding) {
        this.resnets = new ResnetBlock2D[layers];
        this.attentions = new Transformer2DModel[heads > 0 ? layers : 0];
        for (int j = 0; j < layers; j++) {
            resnets[j] = new ResnetBlock2D(p.child("resnets", j), j == 0 ? in : out, out, tembDim, groups, eps);
            if (heads > 0) {
                attentions[j] = new Transformer2DModel(p.child("attentions", j), out, heads, transformerLayers, contextDim, groups);
            }
        }
        this.downsampler = downsample ? new Downsample2D(p.child("downsamplers.0"), out, downsamplePadding) : null;
    }

    /**
     * x[B, in, H, W] -> [B, out, H', W'] (H' = ceil(H / 2) with a downsampler). Each output is
     * appended to {@code skips}, which owns it; the returned tensor is the last of them. {@code x}
     * is left open (it is itself a skip).
     */
    Tensor forward(Tensor x, Tensor tembSilu, CrossAttention context, List<Tensor> skips) {
        Tensor h = x;
        for (int j = 0; j < resnets.length; j++) {
            Tensor r = resnets[j].forward(h, tembSilu);                 // [B, out, H, W]
            if (attentions.length > 0) {
                try (Tensor pre = r) {
                    r = attentions[j].forward(pre, context);            // [B, out, H, W]
                }
            }
            skips.add(r);
            h = r;
        }
        if (downsampler != null) {
            h = downsampler.forward(h);                                 // [B, out, H / 2, W / 2]
            skips.add(h);
        }
        return h;
    }

    /** The transformer blocks of this block's attentions, in order. */
    List<BasicTransformerBlock> transformerBlocks() {
        return Transformer2DModel.blocksOf(attentions);
    }
}
