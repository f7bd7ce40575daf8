package refiner.engine.bench;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Analytic multiply-accumulate counts of the refiner's networks, computed from their
 * {@code config.json} alone: a convolution costs out.numel * in * kh * kw, a dense layer
 * out.numel * in, attention B * heads * Lq * Lk * head_dim for Q.K^T and again for P.V. Counts are
 * grouped by top-level block, named by checkpoint key prefix, in execution order.
 */
public final class MacCounter {
    private MacCounter() {
    }

    /** One UNet call on {@code batch} latents of {@code height x width} with {@code textTokens} of context. */
    public static MacCount unet(JsonNode cfg, int batch, int height, int width, int textTokens) {
        return unetWalk(cfg, batch, height, width, textTokens).count;
    }

    /**
     * The part of {@link #unet} that projects the text into every cross-attention's keys and values
     * ({@code attn2.to_k}, {@code attn2.to_v}): the same at any latent size, so a pipeline does it
     * once per text ({@code UNet2DConditionModel.crossAttention}).
     */
    public static long unetCrossAttention(JsonNode cfg, int batch, int textTokens) {
        return unetWalk(cfg, batch, 8, 8, textTokens).crossKeyValues;
    }

    private static Walk unetWalk(JsonNode cfg, int batch, int height, int width, int textTokens) {
        Walk w = new Walk(batch);
        int[] boc = ints(cfg.get("block_out_channels"));
        int levels = boc.length;
        int layers = cfg.path("layers_per_block").asInt(2);
        // SDXL configs give the head count under "attention_head_dim" (num_attention_heads is null)
        int[] heads = perLevel(cfg.hasNonNull("num_attention_heads") ? cfg.get("num_attention_heads") : cfg.get("attention_head_dim"), levels);
        int[] depth = perLevel(cfg.get("transformer_layers_per_block"), levels);
        int cross = cfg.get("cross_attention_dim").asInt();
        int temb = boc[0] * 4;

        w.block = "time_embedding";
        w.linear(batch, boc[0], temb);
        w.linear(batch, temb, temb);
        if (cfg.path("addition_embed_type").asText().equals("text_time")) {
            w.block = "add_embedding";
            w.linear(batch, cfg.get("projection_class_embeddings_input_dim").asInt(), temb);
            w.linear(batch, temb, temb);
        }

        w.block = "conv_in";
        int h = height, wd = width;
        w.conv(cfg.get("in_channels").asInt(), boc[0], cfg.path("conv_in_kernel").asInt(3), h, wd);

        int[] hs = new int[levels], ws = new int[levels];
        int channels = boc[0];
        for (int i = 0; i < levels; i++) {
            w.block = "down_blocks." + i;
            boolean attn = cfg.get("down_block_types").get(i).asText().startsWith("CrossAttn");
            hs[i] = h;
            ws[i] = wd;
            for (int j = 0; j < layers; j++) {
                w.resnet(j == 0 ? channels : boc[i], boc[i], temb, h, wd);
                if (attn) w.transformer(boc[i], heads[i], depth[i], h, wd, cross, textTokens);
            }
            channels = boc[i];
            if (i < levels - 1) {
                h = (h - 1) / 2 + 1;
                wd = (wd - 1) / 2 + 1;
                w.conv(channels, channels, 3, h, wd);
            }
        }

        w.block = "mid_block";
        int top = boc[levels - 1];
        w.resnet(top, top, temb, h, wd);
        w.transformer(top, heads[levels - 1], depth[levels - 1], h, wd, cross, textTokens);
        w.resnet(top, top, temb, h, wd);

        int prev = top;
        for (int i = 0; i < levels; i++) {
            w.block = "up_blocks." + i;
            int level = levels - 1 - i;
            int out = boc[level];
            int skipIn = boc[Math.max(level - 1, 0)];
            boolean attn = cfg.get("up_block_types").get(i).asText().startsWith("CrossAttn");
            for (int j = 0; j <= layers; j++) {
                int skip = j == layers ? skipIn : out;
                w.resnet((j == 0 ? prev : out) + skip, out, temb, h, wd);
                if (attn) w.transformer(out, heads[level], depth[level], h, wd, cross, textTokens);
            }
            prev = out;
            if (i < levels - 1) {
                h = hs[level - 1];
                wd = ws[level - 1];
                w.conv(out, out, 3, h, wd);
            }
        }

        w.block = "conv_out";
        w.conv(boc[0], cfg.get("out_channels").asInt(), cfg.path("conv_out_kernel").asInt(3), h, wd);
        return w;
    }

    /** The VAE encoder and quant_conv on {@code batch} images of {@code height x width} pixels. */
    public static MacCount vaeEncode(JsonNode cfg, int batch, int height, int width) {
        Walk w = new Walk(batch);
        int[] boc = ints(cfg.get("block_out_channels"));
        int layers = cfg.path("layers_per_block").asInt(2);
        int latent = cfg.get("latent_channels").asInt();
        int h = height, wd = width;

        w.block = "encoder.conv_in";
        w.conv(cfg.get("in_channels").asInt(), boc[0], 3, h, wd);
        int channels = boc[0];
        for (int i = 0; i < boc.length; i++) {
            w.block = "encoder.down_blocks." + i;
            for (int j = 0; j < layers; j++) w.resnet(j == 0 ? channels : boc[i], boc[i], 0, h, wd);
            channels = boc[i];
            if (i < boc.length - 1) {
                h = (h - 2) / 2 + 1;
                wd = (wd - 2) / 2 + 1;
                w.conv(channels, channels, 3, h, wd);
            }
        }
        w.block = "encoder.mid_block";
        w.vaeMid(channels, h, wd);
        w.block = "encoder.conv_out";
        w.conv(channels, 2 * latent, 3, h, wd);
        w.block = "quant_conv";
        w.conv(2 * latent, 2 * latent, 1, h, wd);
        return w.count;
    }

    /** post_quant_conv and the VAE decoder producing {@code batch} images of {@code height x width} pixels. */
    public static MacCount vaeDecode(JsonNode cfg, int batch, int height, int width) {
        Walk w = new Walk(batch);
        int[] boc = ints(cfg.get("block_out_channels"));
        int layers = cfg.path("layers_per_block").asInt(2);
        int latent = cfg.get("latent_channels").asInt();
        int factor = 1 << (boc.length - 1);
        int h = height / factor, wd = width / factor;

        w.block = "post_quant_conv";
        w.conv(latent, latent, 1, h, wd);
        int channels = boc[boc.length - 1];
        w.block = "decoder.conv_in";
        w.conv(latent, channels, 3, h, wd);
        w.block = "decoder.mid_block";
        w.vaeMid(channels, h, wd);
        for (int i = 0; i < boc.length; i++) {
            w.block = "decoder.up_blocks." + i;
            int out = boc[boc.length - 1 - i];
            for (int j = 0; j <= layers; j++) w.resnet(j == 0 ? channels : out, out, 0, h, wd);
            channels = out;
            if (i < boc.length - 1) {
                h *= 2;
                wd *= 2;
                w.conv(channels, channels, 3, h, wd);
            }
        }
        w.block = "decoder.conv_out";
        w.conv(channels, cfg.get("out_channels").asInt(), 3, h, wd);
        return w.count;
    }

    /** The CLIP text encoder with projection on {@code batch} sequences of {@code tokens} ids. */
    public static MacCount textEncoder(JsonNode cfg, int batch, int tokens) {
        Walk w = new Walk(batch);
        int hidden = cfg.get("hidden_size").asInt();
        int inner = cfg.get("intermediate_size").asInt();
        int heads = cfg.get("num_attention_heads").asInt();
        long rows = (long) batch * tokens;
        for (int i = 0; i < cfg.get("num_hidden_layers").asInt(); i++) {
            w.block = "text_model.encoder.layers." + i;
            for (int p = 0; p < 4; p++) w.linear(rows, hidden, hidden);
            w.attention((long) batch * heads, tokens, tokens, hidden / heads);
            w.linear(rows, hidden, inner);
            w.linear(rows, inner, hidden);
        }
        w.block = "text_projection";
        w.linear(batch, hidden, cfg.path("projection_dim").asInt(hidden));
        return w.count;
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
        return out;
    }

    /** A config value given either once for all levels or as one value per level. */
    private static int[] perLevel(JsonNode v, int levels) {
        if (v.isArray()) return ints(v);
        int[] out = new int[levels];
        java.util.Arrays.fill(out, v.asInt());
        return out;
    }

    /** Accumulates the counts of the layers it is told about into the current block. */
    private static final class Walk {
        final MacCount count = new MacCount();
        final long batch;
        String block;
        long crossKeyValues;

        Walk(long batch) {
            this.batch = batch;
        }

        void conv(int in, int out, int k, int outH, int outW) {
            count.add(block, new Macs(0, batch * out * outH * outW * in * k * k, 0, 0));
        }

        void linear(long rows, int in, int out) {
            count.add(block, new Macs(rows * out * in, 0, 0, 0));
        }

        void attention(long batchHeads, long lq, long lk, int headDim) {
            long m = batchHeads * lq * lk * headDim;
            count.add(block, new Macs(0, 0, m, m));
        }

        /** ResnetBlock2D: conv1, the time-embedding projection (when temb > 0), conv2, 1x1 shortcut. */
        void resnet(int in, int out, int temb, int h, int w) {
            conv(in, out, 3, h, w);
            if (temb > 0) linear(batch, temb, out);
            conv(out, out, 3, h, w);
            if (in != out) conv(in, out, 1, h, w);
        }

        /** Transformer2DModel with linear projections: self-attention, cross-attention, GEGLU feed-forward. */
        void transformer(int c, int heads, int depth, int h, int w, int cross, int tokens) {
            long rows = batch * h * w;
            long lq = (long) h * w;
            linear(rows, c, c);
            for (int d = 0; d < depth; d++) {
                for (int p = 0; p < 3; p++) linear(rows, c, c);
                attention(batch * heads, lq, lq, c / heads);
                linear(rows, c, c);
                linear(rows, c, c);
                linear(batch * tokens, cross, c);
                linear(batch * tokens, cross, c);
                crossKeyValues += 2 * batch * tokens * cross * c;
                attention(batch * heads, lq, tokens, c / heads);
                linear(rows, c, c);
                linear(rows, c, 8 * c);
                linear(rows, 4 * c, c);
            }
            linear(rows, c, c);
        }

        /** The VAE mid block: resnet, single-head attention over all pixels, resnet. */
        void vaeMid(int c, int h, int w) {
            resnet(c, c, 0, h, w);
            long rows = batch * h * w;
            for (int p = 0; p < 4; p++) linear(rows, c, c);
            attention(batch, (long) h * w, (long) h * w, c);
            resnet(c, c, 0, h, w);
        }
    }
}
