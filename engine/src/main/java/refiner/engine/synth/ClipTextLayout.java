package refiner.engine.synth;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/** The checkpoint keys and shapes of a CLIPTextModelWithProjection, from its config.json. */
final class ClipTextLayout {
    private ClipTextLayout() {
    }

    static List<Param> of(JsonNode config) {
        long width = Configs.integer(config, "hidden_size");
        long inner = Configs.integer(config, "intermediate_size");
        Params p = new Params()
                .embedding("text_model.embeddings.token_embedding", Configs.integer(config, "vocab_size"), width)
                .embedding("text_model.embeddings.position_embedding", Configs.integer(config, "max_position_embeddings"), width);
        for (int i = 0; i < Configs.integer(config, "num_hidden_layers"); i++) {
            String layer = "text_model.encoder.layers." + i;
            p.linear(layer + ".self_attn.q_proj", width, width, true)
                    .linear(layer + ".self_attn.k_proj", width, width, true)
                    .linear(layer + ".self_attn.v_proj", width, width, true)
                    .linear(layer + ".self_attn.out_proj", width, width, true)
                    .norm(layer + ".layer_norm1", width)
                    .linear(layer + ".mlp.fc1", inner, width, true)
                    .linear(layer + ".mlp.fc2", width, inner, true)
                    .norm(layer + ".layer_norm2", width);
        }
        return p.norm("text_model.final_layer_norm", width)
                .linear("text_projection", Configs.integer(config, "projection_dim"), width, false)
                .list();
    }
}
