package refiner.engine.synth;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/** The checkpoint keys and shapes of an AutoencoderKL, from its config.json. */
final class VaeLayout {
    private VaeLayout() {
    }

    static List<Param> of(JsonNode config) {
        long[] channels = Configs.integers(config, "block_out_channels");
        int layers = (int) Configs.integer(config, "layers_per_block");
        long latent = Configs.integer(config, "latent_channels");
        long top = channels[channels.length - 1];
        Params p = new Params();

        p.conv("encoder.conv_in", channels[0], Configs.integer(config, "in_channels"), 3);
        long out = channels[0];
        for (int i = 0; i < channels.length; i++) {
            long in = out;
            out = channels[i];
            for (int j = 0; j < layers; j++) resnet(p, "encoder.down_blocks." + i + ".resnets." + j, j == 0 ? in : out, out);
            if (i < channels.length - 1) p.conv("encoder.down_blocks." + i + ".downsamplers.0.conv", out, out, 3);
        }
        midBlock(p, "encoder.mid_block", top);
        p.norm("encoder.conv_norm_out", top).conv("encoder.conv_out", 2 * latent, top, 3);
        p.conv("quant_conv", 2 * latent, 2 * latent, 1).conv("post_quant_conv", latent, latent, 1);

        p.conv("decoder.conv_in", top, latent, 3);
        midBlock(p, "decoder.mid_block", top);
        out = top;
        for (int i = 0; i < channels.length; i++) {
            long in = out;
            out = channels[channels.length - 1 - i];
            for (int j = 0; j <= layers; j++) resnet(p, "decoder.up_blocks." + i + ".resnets." + j, j == 0 ? in : out, out);
            if (i < channels.length - 1) p.conv("decoder.up_blocks." + i + ".upsamplers.0.conv", out, out, 3);
        }
        return p.norm("decoder.conv_norm_out", channels[0])
                .conv("decoder.conv_out", Configs.integer(config, "out_channels"), channels[0], 3)
                .list();
    }

    private static void midBlock(Params p, String name, long c) {
        resnet(p, name + ".resnets.0", c, c);
        p.norm(name + ".attentions.0.group_norm", c)
                .linear(name + ".attentions.0.to_q", c, c, true)
                .linear(name + ".attentions.0.to_k", c, c, true)
                .linear(name + ".attentions.0.to_v", c, c, true)
                .linear(name + ".attentions.0.to_out.0", c, c, true);
        resnet(p, name + ".resnets.1", c, c);
    }

    private static void resnet(Params p, String name, long in, long out) {
        p.norm(name + ".norm1", in).conv(name + ".conv1", out, in, 3)
                .norm(name + ".norm2", out).conv(name + ".conv2", out, out, 3);
        if (in != out) p.conv(name + ".conv_shortcut", out, in, 1);
    }
}
