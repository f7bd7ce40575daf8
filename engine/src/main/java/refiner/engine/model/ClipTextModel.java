package refiner.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.function.BiConsumer;
import refiner.engine.backend.Activation;
import refiner.engine.backend.Backend;
import refiner.engine.nn.LayerNorm;
import refiner.engine.nn.Linear;
import refiner.engine.nn.Params;
import refiner.engine.tensor.Tensor;
import refiner.loader.Weights;

/**
 * The CLIP text encoder, {@code CLIPTextModelWithProjection} (OpenCLIP bigG, erf GELU, the refiner's
 * and the base's second encoder) or {@code CLIPTextModel} (CLIP-L, quick GELU, no projection),
 * chosen by config.json's {@code architectures}. Causal mask only.
 *
 * <p>Outputs: the conditioning sequence {@code hidden_states[-2]} (penultimate block, no final
 * LayerNorm; {@code hidden_states[-(clipSkip + 2)]} with a clip skip), and the pooled vector
 * {@code final_layer_norm(last)} at the end-of-text position, times {@code text_projection} (no
 * bias) when the model has one. The end-of-text position follows the reference: with config
 * {@code eos_token_id == 2} the first position of the largest id (the first 49407), else the
 * first position of {@code eos_token_id}.
 */
public final class ClipTextModel {
    private final Backend backend;
    private final int width;
    private final int vocabSize;
    private final int maxPositions;
    private final int eosTokenId;
    private final Tensor tokenEmbedding;
    private final Tensor positionEmbedding;
    private final ClipEncoderLayer[] layers;
    private final LayerNorm finalLayerNorm;
    private final Linear textProjection;

    /** What {@link #forward} returns; closing it frees both tensors. */
    public record Output(Tensor hiddenStates, Tensor pooled) implements AutoCloseable {
        @Override
        public void close() {
            hiddenStates.close();
            pooled.close();
        }
    }

    /**
     * Builds the encoder from its config.json and binds every tensor of {@code weights}; a
     * missing, misshapen or unused tensor is a one-line {@link IllegalArgumentException}.
     */
    public ClipTextModel(Backend backend, JsonNode config, Weights weights) {
        this.backend = backend;
        int dim = Configs.integer(config, "hidden_size");
        this.width = dim;
        int heads = Configs.integer(config, "num_attention_heads");
        int depth = Configs.integer(config, "num_hidden_layers");
        int intermediate = Configs.integer(config, "intermediate_size");
        float eps = Configs.number(config, "layer_norm_eps", 1e-5f);
        this.vocabSize = Configs.integer(config, "vocab_size");
        this.maxPositions = Configs.integer(config, "max_position_embeddings");
        this.eosTokenId = Configs.integer(config, "eos_token_id", 2);
        Activation act = switch (Configs.text(config, "hidden_act", "quick_gelu")) {
            case "gelu" -> Activation.GELU;
            case "quick_gelu" -> Activation.QUICK_GELU;
            default -> throw new IllegalArgumentException("config.json: hidden_act '" + config.get("hidden_act").asText()
                    + "' is not supported (gelu, quick_gelu)");
        };
        boolean projected = false;
        JsonNode architectures = config.path("architectures");
        for (JsonNode a : architectures) projected |= a.asText().equals("CLIPTextModelWithProjection");

        Params root = Params.of(backend, weights);
        Params text = root.child("text_model");
        Params embeddings = text.child("embeddings");
        this.tokenEmbedding = embeddings.get("token_embedding.weight", vocabSize, dim);
        this.positionEmbedding = embeddings.get("position_embedding.weight", maxPositions, dim);
        embeddings.skip("position_ids");
        this.layers = new ClipEncoderLayer[depth];
        for (int i = 0; i < depth; i++) {
            layers[i] = new ClipEncoderLayer(text.child("encoder.layers", i), dim, heads, intermediate, eps, act);
        }
        this.finalLayerNorm = new LayerNorm(text.child("final_layer_norm"), dim, eps);
        this.textProjection = projected
                ? new Linear(root.child("text_projection"), dim, Configs.integer(config, "projection_dim"), false)
                : null;
        root.requireAllUsed();
    }

    /** Width D of the hidden states ({@code hidden_size}). */
    public int width() {
        return width;
    }

    /** Number of transformer blocks. */
    public int depth() {
        return layers.length;
    }

    /** {@link #forward(int[][], int, BiConsumer)} with no clip skip and no debug hook. */
    public Output forward(int[][] inputIds) {
        return forward(inputIds, 0, null);
    }

    /**
     * inputIds[B][L] -> hidden states [B, L, D] = {@code hidden_states[-(clipSkip + 2)]} and pooled
     * [B, P] ({@code text_embeds}; [B, D] {@code pooled_output} without a projection).
     * {@code debug}, when not null, sees {@code hidden_states.i}, {@code last_hidden_state},
     * {@code pooled_output} and {@code text_embeds}; it must not keep or close them.
     */
    public Output forward(int[][] inputIds, int clipSkip, BiConsumer<String, Tensor> debug) {
        int batch = inputIds.length;
        int length = batch == 0 ? 0 : inputIds[0].length;
        int selected = layers.length - 1 - clipSkip;
        if (clipSkip < 0 || selected < 0) {
            throw new IllegalArgumentException("clip skip " + clipSkip + " out of range 0.." + (layers.length - 1));
        }
        int[] ids = flatIds(inputIds, length);
        int[] positions = new int[batch * length];
        for (int i = 0; i < positions.length; i++) positions[i] = i % length;

        Tensor hidden;
        try (Tensor tok = backend.embedding(tokenEmbedding, ids);          // [B*L, D]
             Tensor pos = backend.embedding(positionEmbedding, positions)) { // [B*L, D]
            hidden = backend.add(tok.reshape(batch, length, -1), pos.reshape(batch, length, -1)); // [B, L, D]
        }
        Tensor kept = null;
        try {
            for (int i = 0; i <= layers.length; i++) {
                Debug.report(debug, "hidden_states." + i, hidden);
                if (i == selected) kept = hidden;
                if (i == layers.length) break;
                Tensor next = layers[i].forward(hidden);                    // [B, L, D]
                if (hidden != kept) hidden.close();
                hidden = next;
            }
            Tensor pooled;
            try (Tensor last = finalLayerNorm.forward(hidden)) {            // [B, L, D]
                if (hidden != kept) hidden.close();
                Debug.report(debug, "last_hidden_state", last);
                pooled = gatherRows(last, eosPositions(inputIds));          // [B, D]
            }
            Debug.report(debug, "pooled_output", pooled);
            if (textProjection != null) {
                try (Tensor unprojected = pooled) {
                    pooled = textProjection.forward(unprojected);           // [B, P]
                }
                Debug.report(debug, "text_embeds", pooled);
            }
            Output out = new Output(kept, pooled);
            kept = null;
            return out;
        } finally {
            if (kept != null) kept.close();
        }
    }

    private int[] flatIds(int[][] inputIds, int length) {
        if (length == 0 || length > maxPositions) {
            throw new IllegalArgumentException("text encoder: sequence length " + length + " not in 1.." + maxPositions);
        }
        int[] ids = new int[inputIds.length * length];
        for (int b = 0; b < inputIds.length; b++) {
            if (inputIds[b].length != length) {
                throw new IllegalArgumentException("text encoder: row " + b + " has " + inputIds[b].length + " ids, row 0 has " + length);
            }
            for (int i = 0; i < length; i++) {
                int id = inputIds[b][i];
                if (id < 0 || id >= vocabSize) {
                    throw new IllegalArgumentException("text encoder: token id " + id + " at row " + b + ", position " + i
                            + " is outside the vocabulary of " + vocabSize);
                }
                ids[b * length + i] = id;
            }
        }
        return ids;
    }

    /** Per row, the end-of-text position the reference pools at. */
    private int[] eosPositions(int[][] inputIds) {
        int[] pos = new int[inputIds.length];
        for (int b = 0; b < inputIds.length; b++) {
            int[] row = inputIds[b];
            int best = 0;
            for (int i = 1; i < row.length; i++) {
                if (eosTokenId == 2 ? row[i] > row[best] : row[i] == eosTokenId && row[best] != eosTokenId) best = i;
            }
            pos[b] = best;
        }
        return pos;
    }

    /** Row positions[b] of x[b] for each b: x[B, L, D] -> [B, D]. */
    private Tensor gatherRows(Tensor x, int[] positions) {
        int length = x.dim(1);
        Tensor flat = x.reshape(-1, x.dim(2));                                  // [B*L, D]
        Tensor out = backend.slice(flat, 0, positions[0], positions[0] + 1);   // [1, D]
        for (int b = 1; b < positions.length; b++) {
            int row = b * length + positions[b];
            try (Tensor head = out; Tensor next = backend.slice(flat, 0, row, row + 1)) {
                out = backend.concat(0, head, next);                            // [b + 1, D]
            }
        }
        return out;
    }
}
