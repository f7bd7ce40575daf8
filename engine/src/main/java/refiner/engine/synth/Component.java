package refiner.engine.synth;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.function.Function;

/**
 * One weighted component of a synthetic model: its folder, the weights file written there, and the
 * layout that lists its keys and shapes from the folder's config.json.
 */
public enum Component {
    TEXT_ENCODER_2("text_encoder_2", "model.fp16.safetensors", ClipTextLayout::of),
    UNET("unet", "diffusion_pytorch_model.fp16.safetensors", UNetLayout::of),
    VAE("vae", "diffusion_pytorch_model.fp16.safetensors", VaeLayout::of);

    private final String folder;
    private final String weightsFile;
    private final Function<JsonNode, List<Param>> layout;

    Component(String folder, String weightsFile, Function<JsonNode, List<Param>> layout) {
        this.folder = folder;
        this.weightsFile = weightsFile;
        this.layout = layout;
    }

    /** The folder of the component in a model folder, e.g. {@code unet}. */
    public String folder() {
        return folder;
    }

    /** The fp16 weights file inside {@link #folder()}. */
    public String weightsFile() {
        return weightsFile;
    }

    /** Every checkpoint tensor of the component described by {@code config}. */
    public List<Param> params(JsonNode config) {
        return layout.apply(config);
    }
}
