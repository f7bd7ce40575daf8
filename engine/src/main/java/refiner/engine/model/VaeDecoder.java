package refiner.engine.model;

import java.util.function.BiConsumer;
import refiner.engine.nn.Conv2d;
import refiner.engine.nn.GroupNorm;
import refiner.engine.nn.Params;
import refiner.engine.nn.ResnetBlock2D;
import refiner.engine.nn.Upsample2D;
import refiner.engine.tensor.Tensor;

/**
 * {@code decoder}: conv_in, mid block, {@code up_blocks.i} (UpDecoderBlock2D over the reversed
 * widths: one resnet more than the encoder per level, then a 2x upsampler except at the last),
 * GroupNorm + SiLU, conv_out to the image channels.
 */
final class VaeDecoder {
    private final Conv2d convIn;
    private final VaeMidBlock midBlock;
    private final ResnetBlock2D[][] resnets;
    private final Upsample2D[] upsamplers;
    private final GroupNorm convNormOut;
    private final Conv2d convOut;

    VaeDecoder(Params p, int latentChannels, int[] channels, int layers, int outChannels, int groups, float eps) {
        int levels = channels.length;
        this.convIn = new Conv2d(p.child("conv_in"), latentChannels, channels[levels - 1], 3, 1, 1);
        this.midBlock = new VaeMidBlock(p.child("mid_block"), channels[levels - 1], groups, eps);
        this.resnets = new ResnetBlock2D[levels][layers + 1];
        this.upsamplers = new Upsample2D[levels];
        for (int i = 0; i < levels; i++) {
            Params block = p.child("up_blocks", i);
            int out = channels[levels - 1 - i];
            int in = channels[Math.min(levels - i, levels - 1)];
            for (int j = 0; j <= layers; j++) {
                resnets[i][j] = new ResnetBlock2D(block.child("resnets", j), j == 0 ? in : out, out, 0, groups, eps);
            }
            if (i < levels - 1) upsamplers[i] = new Upsample2D(block.child("upsamplers.0"), out);
        }
        this.convNormOut = new GroupNorm(p.child("conv_norm_out"), groups, channels[0], eps);
        this.convOut = new Conv2d(p.child("conv_out"), channels[0], outChannels, 3, 1, 1);
    }

    /** z[B, latent, h, w] (after post_quant_conv) -> image [B, out, h * 2^(levels-1), w * 2^(levels-1)]. */
    Tensor forward(Tensor z, BiConsumer<String, Tensor> debug) {
        Tensor h;
        try (Tensor in = convIn.forward(z)) {                           // [B, C_last, h, w]
            Debug.report(debug, "decoder.conv_in", in);
            h = midBlock.forward(in);                                   // [B, C_last, h, w]
        }
        Debug.report(debug, "decoder.mid_block", h);
        for (int i = 0; i < resnets.length; i++) {
            for (ResnetBlock2D resnet : resnets[i]) {
                try (Tensor pre = h) {
                    h = resnet.forward(pre, null);                      // [B, C, H_i, W_i]
                }
            }
            if (upsamplers[i] != null) {
                try (Tensor pre = h) {
                    h = upsamplers[i].forward(pre);                     // [B, C, 2 H_i, 2 W_i]
                }
            }
            Debug.report(debug, "decoder.up_blocks." + i, h);
        }
        try (Tensor pre = h; Tensor n = convNormOut.forwardSilu(pre)) { // [B, C0, H, W]
            Tensor image = convOut.forward(n);                          // [B, out, H, W]
            Debug.report(debug, "decoder.conv_out", image);
            return image;
        }
    }
}
