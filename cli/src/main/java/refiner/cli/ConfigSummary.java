package refiner.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/** The config.json fields worth showing for each known component class, in a fixed order. */
final class ConfigSummary {
    private static final Map<String, List<String>> FIELDS = Map.of(
            "UNet2DConditionModel", List.of("block_out_channels", "layers_per_block", "transformer_layers_per_block",
                    "attention_head_dim", "cross_attention_dim", "addition_time_embed_dim",
                    "projection_class_embeddings_input_dim", "in_channels", "out_channels", "sample_size"),
            "CLIPTextModelWithProjection", List.of("hidden_size", "num_hidden_layers", "num_attention_heads",
                    "intermediate_size", "projection_dim", "hidden_act", "vocab_size", "max_position_embeddings"),
            "CLIPTextModel", List.of("hidden_size", "num_hidden_layers", "num_attention_heads",
                    "intermediate_size", "hidden_act", "vocab_size", "max_position_embeddings"),
            "AutoencoderKL", List.of("block_out_channels", "layers_per_block", "latent_channels",
                    "scaling_factor", "force_upcast", "sample_size"),
            "CLIPTokenizer", List.of("model_max_length", "pad_token", "do_lower_case"),
            "EulerDiscreteScheduler", List.of("num_train_timesteps", "beta_schedule", "beta_start", "beta_end",
                    "prediction_type", "timestep_spacing", "steps_offset", "use_karras_sigmas"));

    private ConfigSummary() {
    }

    /**
     * {@code key=value} pairs of the known fields of {@code config}, or "" for an unknown class; a
     * token given as an object shows its {@code content}.
     */
    static String of(String className, JsonNode config) {
        StringBuilder s = new StringBuilder();
        for (String key : FIELDS.getOrDefault(className, List.of())) {
            JsonNode v = config.get(key);
            if (v == null) continue;
            if (!s.isEmpty()) s.append(' ');
            JsonNode shown = v.isObject() && v.has("content") ? v.get("content") : v;
            s.append(key).append('=').append(shown.isTextual() ? shown.asText() : shown.toString());
        }
        return s.toString();
    }
}
