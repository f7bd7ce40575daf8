package refiner.engine.synth;

import refiner.loader.safetensors.TensorSpec;

/**
 * The distribution each synthetic tensor is drawn from, chosen by its role (read from its name and
 * rank) so that activations stay finite and in a normal float range through a whole forward pass:
 * norm scales near 1, biases near 0, embedding tables small, and linear and convolution weights
 * with standard deviation 1/sqrt(fan_in), which keeps each layer's output variance near its input's.
 */
public record WeightInit(float mean, float std) {

    static final float SMALL = 0.02f;

    /** The distribution of tensor {@code t}. */
    public static WeightInit of(TensorSpec t) {
        long[] shape = t.shape();
        if (t.name().endsWith(".bias")) return new WeightInit(0f, SMALL);
        if (shape.length == 1) return new WeightInit(1f, SMALL);
        if (t.name().endsWith("_embedding.weight")) return new WeightInit(0f, SMALL);
        long fanIn = t.numel() / shape[0];
        return new WeightInit(0f, (float) (1.0 / Math.sqrt(fanIn)));
    }
}
