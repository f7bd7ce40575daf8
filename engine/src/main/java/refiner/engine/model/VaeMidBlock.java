package refiner.engine.model;

import refiner.engine.nn.Params;
import refiner.engine.nn.ResnetBlock2D;
import refiner.engine.nn.SpatialSelfAttention;
import refiner.engine.tensor.Tensor;

/** {@code encoder.mid_block} / {@code decoder.mid_block}: resnet, single-head attention, resnet (eps 1e-6). */
final class VaeMidBlock {
    private final ResnetBlock2D resnet0;
    private final SpatialSelfAttention attention;
    private final ResnetBlock2D resnet1;

    VaeMidBlock(Params p, int channels, int groups, float eps) {
        this.resnet0 = new ResnetBlock2D(p.child("resnets", 0), channels, channels, 0, groups, eps);
        this.attention = new SpatialSelfAttention(p.child("attentions", 0), channels, groups);
        this.resnet1 = new ResnetBlock2D(p.child("resnets", 1), channels, channels, 0, groups, eps);
    }

    /** x[B, C, H, W] -> [B, C, H, W]; {@code x} is left open. */
    Tensor forward(Tensor x) {
        try (Tensor h = resnet0.forward(x, null);               // [B, C, H, W]
             Tensor a = attention.forward(h)) {                 // [B, C, H, W]
            return resnet1.forward(a, null);                    // [B, C, H, W]
        }
    }
}
