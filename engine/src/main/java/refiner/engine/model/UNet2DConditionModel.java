package refiner.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiConsumer;
import refiner.engine.backend.Activation;
import refiner.engine.backend.Backend;
import refiner.engine.nn.BasicTransformerBlock;
import refiner.engine.nn.Conv2d;
import refiner.engine.nn.CrossAttention;
import refiner.engine.nn.GroupNorm;
import refiner.engine.nn.Params;
import refiner.engine.nn.TimestepEmbedding;
import refiner.engine.nn.Timesteps;
import refiner.engine.tensor.Tensor;
import refiner.loader.Weights;

/**
 * The SDXL UNet (refiner and base), built from its config.json. The time embedding is
 * {@code time_embedding(time_proj(t)) + add_embedding(cat(text_embeds, flatten(add_time_proj(time_ids))))};
 * the down path stores skips, the mid block transforms the bottom, the up path consumes the skips
 * last first. {@code attention_head_dim} (or {@code num_attention_heads} when set) is the number of
 * heads per level, as in the reference's SDXL configs.
 */
public final class UNet2DConditionModel {
    private final Backend backend;
    private final int inChannels;
    private final int contextDim;
    private final int addTimeDim;
    private final int addEmbeddingInput;
    private final List<BasicTransformerBlock> transformerBlocks = new ArrayList<>();
    private final Timesteps timeProj;
    private final TimestepEmbedding timeEmbedding;
    private final Timesteps addTimeProj;
    private final TimestepEmbedding addEmbedding;
    private final Conv2d convIn;
    private final UNetDownBlock[] downBlocks;
    private final UNetMidBlock midBlock;
    private final UNetUpBlock[] upBlocks;
    private final GroupNorm convNormOut;
    private final Conv2d convOut;

    /**
     * Builds the UNet from its config.json and binds every tensor of {@code weights}; an
     * unsupported config value or a missing, misshapen or unused tensor is a one-line
     * {@link IllegalArgumentException}.
     */
    public UNet2DConditionModel(Backend backend, JsonNode config, Weights weights) {
        this.backend = backend;
        if (!"text_time".equals(Configs.text(config, "addition_embed_type", null))) {
            throw new IllegalArgumentException("config.json: addition_embed_type " + config.get("addition_embed_type")
                    + " is not supported (only \"text_time\", the SDXL conditioning)");
        }
        Configs.expect(config, "time_embedding_type", "positional");
        Configs.expect(config, "resnet_time_scale_shift", "default");
        Configs.expect(config, "mid_block_type", "UNetMidBlock2DCrossAttn");
        Configs.expect(config, "use_linear_projection", true);
        Configs.expect(config, "center_input_sample", false);
        Configs.expect(config, "only_cross_attention", false);
        Configs.expect(config, "dual_cross_attention", false);
        Configs.expectAbsent(config, "class_embed_type");
        Configs.expectAbsent(config, "time_cond_proj_dim");
        Configs.expectAbsent(config, "encoder_hid_dim");
        Configs.expectAbsent(config, "time_embedding_act_fn");
        Configs.expectAbsent(config, "timestep_post_act");
        Configs.expectAbsent(config, "encoder_hid_dim_type");
        Configs.expectAbsent(config, "cross_attention_norm");
        Configs.expectAbsent(config, "num_class_embeds");
        Configs.expectAbsent(config, "reverse_transformer_layers_per_block");
        Configs.expect(config, "class_embeddings_concat", false);
        Configs.expect(config, "attention_type", "default");
        Configs.expect(config, "mid_block_scale_factor", 1);
        Configs.expect(config, "resnet_out_scale_factor", 1);
        Configs.expect(config, "act_fn", "silu");

        int[] channels = Configs.intList(config, "block_out_channels");
        int levels = channels.length;
        String[] downTypes = Configs.strings(config, "down_block_types");
        String[] upTypes = Configs.strings(config, "up_block_types");
        if (downTypes.length != levels || upTypes.length != levels) {
            throw new IllegalArgumentException("config.json: " + downTypes.length + " down and " + upTypes.length
                    + " up block types for " + levels + " levels");
        }
        int[] layersPerBlock = Configs.perBlock(config, "layers_per_block", levels);
        JsonNode headsField = config.hasNonNull("num_attention_heads") ? config.get("num_attention_heads") : config.get("attention_head_dim");
        int[] heads = Configs.listOrRepeat(headsField, "attention_head_dim", levels);
        int[] transformerLayers = Configs.perBlock(config, "transformer_layers_per_block", levels);
        int[] contextDims = Configs.perBlock(config, "cross_attention_dim", levels);
        int groups = Configs.integer(config, "norm_num_groups", 32);
        float eps = Configs.number(config, "norm_eps", 1e-5f);
        int inKernel = Configs.integer(config, "conv_in_kernel", 3);
        int outKernel = Configs.integer(config, "conv_out_kernel", 3);
        int downsamplePadding = Configs.integer(config, "downsample_padding", 1);
        boolean flip = Configs.bool(config, "flip_sin_to_cos", true);
        float freqShift = Configs.number(config, "freq_shift", 0f);
        int tembDim = Configs.integer(config, "time_embedding_dim", 4 * channels[0]);
        for (int d : contextDims) {
            if (d != contextDims[0]) throw new IllegalArgumentException("config.json: cross_attention_dim must be the same for every level");
        }
        this.inChannels = Configs.integer(config, "in_channels");
        this.contextDim = contextDims[0];
        this.addTimeDim = Configs.integer(config, "addition_time_embed_dim");
        this.addEmbeddingInput = Configs.integer(config, "projection_class_embeddings_input_dim");

        Params p = Params.of(backend, weights);
        this.timeProj = new Timesteps(channels[0], flip, freqShift);
        this.timeEmbedding = new TimestepEmbedding(p.child("time_embedding"), channels[0], tembDim);
        this.addTimeProj = new Timesteps(addTimeDim, flip, freqShift);
        this.addEmbedding = new TimestepEmbedding(p.child("add_embedding"), addEmbeddingInput, tembDim);
        this.convIn = new Conv2d(p.child("conv_in"), inChannels, channels[0], inKernel, 1, (inKernel - 1) / 2);

        this.downBlocks = new UNetDownBlock[levels];
        for (int i = 0; i < levels; i++) {
            boolean cross = blockType(downTypes[i], "CrossAttnDownBlock2D", "DownBlock2D");
            downBlocks[i] = new UNetDownBlock(p.child("down_blocks", i), i == 0 ? channels[0] : channels[i - 1], channels[i],
                    layersPerBlock[i], tembDim, groups, eps, cross ? heads[i] : 0, transformerLayers[i], contextDim,
                    i < levels - 1, downsamplePadding);
        }
        this.midBlock = new UNetMidBlock(p.child("mid_block"), channels[levels - 1], tembDim, groups, eps,
                heads[levels - 1], transformerLayers[levels - 1], contextDim);
        this.upBlocks = new UNetUpBlock[levels];
        for (int i = 0; i < levels; i++) {
            int level = levels - 1 - i;                  // the down level this up block mirrors
            boolean cross = blockType(upTypes[i], "CrossAttnUpBlock2D", "UpBlock2D");
            int prevOut = channels[Math.min(level + 1, levels - 1)];
            int skipIn = channels[Math.max(level - 1, 0)];
            upBlocks[i] = new UNetUpBlock(p.child("up_blocks", i), prevOut, channels[level], skipIn,
                    layersPerBlock[level] + 1, tembDim, groups, eps, cross ? heads[level] : 0, transformerLayers[level],
                    contextDim, i < levels - 1);
        }
        for (UNetDownBlock d : downBlocks) transformerBlocks.addAll(d.transformerBlocks());
        transformerBlocks.addAll(midBlock.transformerBlocks());
        for (UNetUpBlock u : upBlocks) transformerBlocks.addAll(u.transformerBlocks());
        this.convNormOut = new GroupNorm(p.child("conv_norm_out"), groups, channels[0], eps);
        this.convOut = new Conv2d(p.child("conv_out"), channels[0], Configs.integer(config, "out_channels"), outKernel, 1, (outKernel - 1) / 2);
        p.requireAllUsed();
    }

    /** Width of the text states the cross-attentions read ({@code cross_attention_dim}). */
    public int contextDim() {
        return contextDim;
    }

    /** {@code projection_class_embeddings_input_dim} = pooled width + time ids x {@code addition_time_embed_dim}. */
    public int addEmbeddingInput() {
        return addEmbeddingInput;
    }

    /** {@code addition_time_embed_dim}: the sinusoid width of each time id. */
    public int addTimeDim() {
        return addTimeDim;
    }

    /**
     * The keys and values of every cross-attention for encoderHiddenStates[B, L, cross_attention_dim]:
     * computed once for a prompt batch and passed to each step's {@link #forward(Tensor, float,
     * CrossAttention, Tensor, float[][], BiConsumer)}; the caller closes it.
     */
    public CrossAttention crossAttention(Tensor encoderHiddenStates) {
        if (encoderHiddenStates.rank() != 3 || encoderHiddenStates.dim(2) != contextDim) {
            throw new IllegalArgumentException("unet: encoder_hidden_states " + Arrays.toString(encoderHiddenStates.shape())
                    + " is not [B, L, " + contextDim + "]");
        }
        return new CrossAttention(transformerBlocks, encoderHiddenStates);
    }

    /** {@link #forward(Tensor, float, CrossAttention, Tensor, float[][], BiConsumer)} without a debug hook. */
    public Tensor forward(Tensor sample, float timestep, CrossAttention text, Tensor textEmbeds, float[][] timeIds) {
        return forward(sample, timestep, text, textEmbeds, timeIds, null);
    }

    /** One step on encoderHiddenStates[B, 77, cross_attention_dim], its keys and values projected for this call alone. */
    public Tensor forward(Tensor sample, float timestep, Tensor encoderHiddenStates, Tensor textEmbeds, float[][] timeIds) {
        return forward(sample, timestep, encoderHiddenStates, textEmbeds, timeIds, null);
    }

    /** As {@link #forward(Tensor, float, CrossAttention, Tensor, float[][], BiConsumer)}, projecting the text for this call alone. */
    public Tensor forward(Tensor sample, float timestep, Tensor encoderHiddenStates, Tensor textEmbeds, float[][] timeIds,
                          BiConsumer<String, Tensor> debug) {
        try (CrossAttention context = crossAttention(encoderHiddenStates)) {
            return forward(sample, timestep, context, textEmbeds, timeIds, debug);
        }
    }

    /**
     * The noise prediction for sample[B, 4, h, w] at {@code timestep} (the same for every row),
     * conditioned on the text's cross-attention keys and values ({@link #crossAttention}),
     * textEmbeds[B, pooled] and timeIds[B][n] (5 for the refiner, 6 for the base) -> [B,
     * out_channels, h, w]. Inputs are left untouched and open. {@code debug}, when not null, sees the output of each top-level block
     * by its checkpoint name ({@code time_proj}, {@code time_embedding}, {@code add_time_proj},
     * {@code add_embedding}, {@code conv_in}, {@code down_blocks.i}, {@code mid_block},
     * {@code up_blocks.i}, {@code conv_norm_out}, {@code conv_out}); it must not keep or close them.
     */
    public Tensor forward(Tensor sample, float timestep, CrossAttention text, Tensor textEmbeds, float[][] timeIds,
                          BiConsumer<String, Tensor> debug) {
        int batch = checkInputs(sample, text, textEmbeds, timeIds);

        // ---- time and condition embedding --------------------------------------------------
        float[] steps = new float[batch];
        Arrays.fill(steps, timestep);
        Tensor emb;
        try (Tensor tProj = timeProj.forward(backend, steps)) {                     // [B, C0]
            Debug.report(debug, "time_proj", tProj);
            emb = timeEmbedding.forward(tProj);                                     // [B, T]
        }
        Debug.report(debug, "time_embedding", emb);
        float[] flatIds = new float[batch * timeIds[0].length];
        for (int r = 0; r < batch; r++) System.arraycopy(timeIds[r], 0, flatIds, r * timeIds[r].length, timeIds[r].length);
        Tensor tembSilu;
        try (Tensor timeEmb = emb;
             Tensor addProj = addTimeProj.forward(backend, flatIds);                // [B*n, A]
             Tensor addIn = backend.concat(1, textEmbeds, addProj.reshape(batch, -1)); // [B, pooled + n*A]
             Tensor aug = addEmbedding.forward(addIn)) {                            // [B, T]
            Debug.report(debug, "add_time_proj", addProj);
            Debug.report(debug, "add_embedding", aug);
            try (Tensor total = backend.add(timeEmb, aug)) {                        // [B, T]
                tembSilu = backend.activation(total, Activation.SILU);              // [B, T]
            }
        }

        // ---- down, mid, up -----------------------------------------------------------------
        List<Tensor> skips = new ArrayList<>();
        try (tembSilu) {
            Tensor h = convIn.forward(sample);                                      // [B, C0, h, w]
            skips.add(h);
            Debug.report(debug, "conv_in", h);
            for (int i = 0; i < downBlocks.length; i++) {
                h = downBlocks[i].forward(h, tembSilu, text, skips);                // [B, C_i, h / 2^i', w / 2^i']
                Debug.report(debug, "down_blocks." + i, h);
            }
            h = midBlock.forward(h, tembSilu, text);                                // [B, C_last, h', w']
            Debug.report(debug, "mid_block", h);
            for (int i = 0; i < upBlocks.length; i++) {
                h = upBlocks[i].forward(h, tembSilu, text, skips);                  // [B, C_(n-1-i), ...]
                Debug.report(debug, "up_blocks." + i, h);
            }

            // ---- output head -------------------------------------------------------------------
            try (Tensor top = h; Tensor normed = convNormOut.forward(top)) {        // [B, C0, h, w]
                Debug.report(debug, "conv_norm_out", normed);
                try (Tensor act = backend.activation(normed, Activation.SILU)) {    // [B, C0, h, w]
                    Tensor out = convOut.forward(act);                              // [B, out, h, w]
                    Debug.report(debug, "conv_out", out);
                    return out;
                }
            }
        } finally {
            for (Tensor s : skips) s.close();
        }
    }

    private int checkInputs(Tensor sample, CrossAttention text, Tensor textEmbeds, float[][] timeIds) {
        if (sample.rank() != 4 || sample.dim(0) < 1 || sample.dim(1) != inChannels) {
            throw new IllegalArgumentException("unet: sample " + Arrays.toString(sample.shape()) + " is not [B, " + inChannels + ", h, w]");
        }
        int batch = sample.dim(0);
        if (text.batch() != batch) {
            throw new IllegalArgumentException("unet: encoder_hidden_states of batch " + text.batch() + " for a sample of batch " + batch);
        }
        if (textEmbeds.rank() != 2 || textEmbeds.dim(0) != batch) {
            throw new IllegalArgumentException("unet: text_embeds " + Arrays.toString(textEmbeds.shape()) + " is not [" + batch + ", P]");
        }
        if (timeIds.length != batch) {
            throw new IllegalArgumentException("unet: " + timeIds.length + " rows of time ids for a batch of " + batch);
        }
        for (float[] row : timeIds) {
            if (textEmbeds.dim(1) + row.length * addTimeDim != addEmbeddingInput) {
                throw new IllegalArgumentException("unet: text_embeds width " + textEmbeds.dim(1) + " + " + row.length + " time ids x "
                        + addTimeDim + " != projection_class_embeddings_input_dim " + addEmbeddingInput);
            }
        }
        return batch;
    }

    private static boolean blockType(String type, String cross, String plain) {
        if (type.equals(cross)) return true;
        if (type.equals(plain)) return false;
        throw new IllegalArgumentException("config.json: block type '" + type + "' is not supported (" + cross + ", " + plain + ")");
    }
}
