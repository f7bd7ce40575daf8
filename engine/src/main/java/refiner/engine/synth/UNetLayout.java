package refiner.engine.synth;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * The checkpoint keys and shapes of a UNet2DConditionModel with the SDXL "text_time" additional
 * embedding, from its config.json.
 */
final class UNetLayout {
    private UNetLayout() {
    }

    static List<Param> of(JsonNode config) {
        long[] channels = Configs.integers(config, "block_out_channels");
        int n = channels.length;
        int layers = (int) Configs.integer(config, "layers_per_block");
        long[] depth = Configs.perBlock(config, "transformer_layers_per_block", n);
        long context = Configs.integer(config, "cross_attention_dim");
        boolean linearProjection = config.path("use_linear_projection").asBoolean(false);
        long time = config.path("time_embedding_dim").isNull() || config.path("time_embedding_dim").isMissingNode()
                ? 4 * channels[0] : Configs.integer(config, "time_embedding_dim");
        Transformer transformer = new Transformer(context, linearProjection);
        Params p = new Params();

        p.conv("conv_in", channels[0], Configs.integer(config, "in_channels"), Configs.integer(config, "conv_in_kernel"));
        p.linear("time_embedding.linear_1", time, channels[0], true).linear("time_embedding.linear_2", time, time, true);
        p.linear("add_embedding.linear_1", time, Configs.integer(config, "projection_class_embeddings_input_dim"), true)
                .linear("add_embedding.linear_2", time, time, true);

        JsonNode downTypes = config.get("down_block_types");
        long out = channels[0];
        for (int i = 0; i < n; i++) {
            long in = out;
            out = channels[i];
            String block = "down_blocks." + i;
            boolean cross = downTypes.get(i).asText().startsWith("CrossAttn");
            for (int j = 0; j < layers; j++) {
                resnet(p, block + ".resnets." + j, j == 0 ? in : out, out, time);
                if (cross) transformer.add(p, block + ".attentions." + j, out, depth[i]);
            }
            if (i < n - 1) p.conv(block + ".downsamplers.0.conv", out, out, 3);
        }

        long top = channels[n - 1];
        resnet(p, "mid_block.resnets.0", top, top, time);
        transformer.add(p, "mid_block.attentions.0", top, depth[n - 1]);
        resnet(p, "mid_block.resnets.1", top, top, time);

        JsonNode upTypes = config.get("up_block_types");
        out = top;
        for (int i = 0; i < n; i++) {
            long previous = out;
            out = channels[n - 1 - i];
            long skipIn = channels[Math.max(n - 2 - i, 0)];
            String block = "up_blocks." + i;
            boolean cross = upTypes.get(i).asText().startsWith("CrossAttn");
            for (int j = 0; j <= layers; j++) {
                long skip = j == layers ? skipIn : out;
                resnet(p, block + ".resnets." + j, (j == 0 ? previous : out) + skip, out, time);
                if (cross) transformer.add(p, block + ".attentions." + j, out, depth[n - 1 - i]);
            }
            if (i < n - 1) p.conv(block + ".upsamplers.0.conv", out, out, 3);
        }

        return p.norm("conv_norm_out", channels[0])
                .conv("conv_out", Configs.integer(config, "out_channels"), channels[0], Configs.integer(config, "conv_out_kernel"))
                .list();
    }

    private static void resnet(Params p, String name, long in, long out, long time) {
        p.norm(name + ".norm1", in).conv(name + ".conv1", out, in, 3)
                .linear(name + ".time_emb_proj", out, time, true)
                .norm(name + ".norm2", out).conv(name + ".conv2", out, out, 3);
        if (in != out) p.conv(name + ".conv_shortcut", out, in, 1);
    }

    /** A Transformer2DModel of {@code depth} BasicTransformerBlocks with self and cross attention. */
    private record Transformer(long context, boolean linearProjection) {

        void add(Params p, String name, long c, long depth) {
            p.norm(name + ".norm", c);
            projection(p, name + ".proj_in", c);
            for (int b = 0; b < depth; b++) {
                String block = name + ".transformer_blocks." + b;
                p.norm(block + ".norm1", c);
                attention(p, block + ".attn1", c, c);
                p.norm(block + ".norm2", c);
                attention(p, block + ".attn2", c, context);
                p.norm(block + ".norm3", c)
                        .linear(block + ".ff.net.0.proj", 2 * 4 * c, c, true)
                        .linear(block + ".ff.net.2", c, 4 * c, true);
            }
            projection(p, name + ".proj_out", c);
        }

        private void projection(Params p, String name, long c) {
            if (linearProjection) p.linear(name, c, c, true);
            else p.conv(name, c, c, 1);
        }

        private static void attention(Params p, String name, long c, long keys) {
            p.linear(name + ".to_q", c, c, false)
                    .linear(name + ".to_k", c, keys, false)
                    .linear(name + ".to_v", c, keys, false)
                    .linear(name + ".to_out.0", c, c, true);
        }
    }
}
