package refiner.engine.model;


import java.util.List;
import refiner.engine.nn.BasicTransformerBlock;
import refiner.engine.nn.CrossAttention;
import refiner.engine.nn.Params;
import refiner.engine.nn.ResnetBlock2D;
import refiner.engine.nn.Transformer2DModel;
import refiner.engine.nn.Upsample2D;
import refiner.engine.tensor.Tensor;

/**
 * {@code up_blocks.i}: {@code UpBlock2D} or {@code CrossAttnUpBlock2D}. Each resnet takes the
 * stream concatenated (stream first, along channels) with the latest unused skip; the
 * transformer follows it; an optional upsampler brings the stream to the size of the next skip.
 */
final class UNetUpBlock {
    private final ResnetBlock2D[] resnets;
    private final Transformer2DModel[] attentions;
    private final Upsample2D upsampler;

    /**
     * {@code prevOut}: channels of the incoming stream; {@code skipIn}: channels of this level's
     * first down input (the last skip consumed); {@code heads} 0 means no transformers.
     */
    UNetUpBlock(Params p, int prevOut, int out, int skipIn, int layers, int tembDim, int groups, float eps,
                int heads, int transformerLayers, int contextDim, boolean upsample) {
        this.resnets = new ResnetBlock2D[layers];
        this.attentions = new Transformer2DModel[heads > 0 ? layers : 0];
        for (int j = 0; j < layers; j++) {
            int skipChannels = j == layers - 1 ? skipIn : out;
            int streamChannels = j == 0 ? prevOut : out;
            resnets[j] = new ResnetBlock2D(p.child("resnets", j), streamChannels + skipChannels, out, tembDim, groups, eps);
            if (heads > 0) {
                attentions[j] = new Transformer2DModel(p.child("attentions", j), out, heads, transformerLayers, contextDim, groups);
            }
        }
        this.upsampler = upsample ? new Upsample2D(p.child("upsamplers.0"), out) : null;
    }

    int layers() {
        return resnets.length;
    }

    /**
     * x[B, prevOut, H, W] -> [B, out, H2, W2] (H2, W2 = the next skip's size with an upsampler).
     * Consumes (closes) {@code x} and the skips it takes from the end of {@code skips}.
     */
    Tensor forward(Tensor x, Tensor tembSilu, CrossAttention context, List<Tensor> skips) {
        var b = x.backend();
        Tensor h = x;
        for (int j = 0; j < resnets.length; j++) {
            Tensor r;
            try (Tensor stream = h;
                 Tensor skip = skips.removeLast();
                 Tensor joined = b.concat(1, stream, skip)) {           // [B, stream + skip, H, W]
                r = resnets[j].forward(joined, tembSilu);               // [B, out, H, W]
            }
            if (attentions.length > 0) {
                try (Tensor pre = r) {
                    r = attentions[j].forward(pre, context);            // [B, out, H, W]
                }
            }
            h = r;
        }
        if (upsampler != null) {
            Tensor next = skips.getLast();
            try (Tensor pre = h) {
                h = upsampler.forward(pre, next.dim(2), next.dim(3));   // [B, out, H2, W2]
            }
        }
        return h;
    }

    /** The transformer blocks of this block's attentions, in order. */
    List<BasicTransformerBlock> transformerBlocks() {
        return Transformer2DModel.blocksOf(attentions);
    }
}
