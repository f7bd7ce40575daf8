package refiner.engine.model;

import java.util.function.BiConsumer;
import refiner.engine.nn.Conv2d;
import refiner.engine.nn.Downsample2D;
import refiner.engine.nn.GroupNorm;
import refiner.engine.nn.Params;
import refiner.engine.nn.ResnetBlock2D;
import refiner.engine.tensor.Tensor;

/**
 * {@code encoder}: conv_in, {@code down_blocks.i} (DownEncoderBlock2D: resnets, then a downsampler
 * padded (0, 1, 0, 1) except at the last level), mid block, GroupNorm + SiLU, conv_out to twice the
 * latent channels (mean and log-variance).
 */
final class VaeEncoder {
    private final Conv2d convIn;
    private final ResnetBlock2D[][] resnets;
    private final Downsample2D[] downsamplers;
    private final VaeMidBlock midBlock;
    private final GroupNorm convNormOut;
    private final Conv2d convOut;

    VaeEncoder(Params p, int inChannels, int[] channels, int layers, int latentChannels, int groups, float eps) {
        int levels = channels.length;
        this.convIn = new Conv2d(p.child("conv_in"), inChannels, channels[0], 3, 1, 1);
        this.resnets = new ResnetBlock2D[levels][layers];
        this.downsamplers = new Downsample2D[levels];
        for (int i = 0; i < levels; i++) {
            Params block = p.child("down_blocks", i);
            int in = i == 0 ? channels[0] : channels[i - 1];
            for (int j = 0; j < layers; j++) {
                resnets[i][j] = new ResnetBlock2D(block.child("resnets", j), j == 0 ? in : channels[i], channels[i], 0, groups, eps);
            }
            if (i < levels - 1) downsamplers[i] = new Downsample2D(block.child("downsamplers.0"), channels[i], 0);
        }
        this.midBlock = new VaeMidBlock(p.child("mid_block"), channels[levels - 1], groups, eps);
        this.convNormOut = new GroupNorm(p.child("conv_norm_out"), groups, channels[levels - 1], eps);
        this.convOut = new Conv2d(p.child("conv_out"), channels[levels - 1], 2 * latentChannels, 3, 1, 1);
    }

    /** image[B, 3, H, W] -> moments [B, 2 * latent, H / 2^(levels-1), W / 2^(levels-1)]. */
    Tensor forward(Tensor image, BiConsumer<String, Tensor> debug) {
        Tensor h = convIn.forward(image);                               // [B, C0, H, W]
        Debug.report(debug, "encoder.conv_in", h);
        for (int i = 0; i < resnets.length; i++) {
            for (ResnetBlock2D resnet : resnets[i]) {
                try (Tensor pre = h) {
                    h = resnet.forward(pre, null);                      // [B, C_i, H_i, W_i]
                }
            }
            if (downsamplers[i] != null) {
                try (Tensor pre = h) {
                    h = downsamplers[i].forward(pre);                   // [B, C_i, H_i / 2, W_i / 2]
                }
            }
            Debug.report(debug, "encoder.down_blocks." + i, h);
        }
        try (Tensor pre = h) {
            h = midBlock.forward(pre);                                  // [B, C_last, h, w]
        }
        Debug.report(debug, "encoder.mid_block", h);
        try (Tensor pre = h; Tensor n = convNormOut.forwardSilu(pre)) { // [B, C_last, h, w]
            Tensor moments = convOut.forward(n);                        // [B, 2 * latent, h, w]
            Debug.report(debug, "encoder.conv_out", moments);
            return moments;
        }
    }
}
