package refiner.engine.synth;

import java.util.List;
import refiner.loader.safetensors.TensorSpec;

/**
 * One component folder of a synthetic model: its name in the model folder ({@code unet}), the
 * file name of its fp16 weights, its {@code config.json} text, and its tensors in file order.
 */
public record SynthComponent(String folder, String weightsFile, String config, List<TensorSpec> tensors) {

    public SynthComponent {
        tensors = List.copyOf(tensors);
    }

    /** Bytes of all tensor data of the component. */
    public long dataBytes() {
        long n = 0;
        for (TensorSpec t : tensors) n += t.byteSize();
        return n;
    }
}
