package refiner.engine.backend;

/** Pointwise activations: erf GELU, CLIP-L's x * sigmoid(1.702 x), and x * sigmoid(x). */
public enum Activation {
    GELU, QUICK_GELU, SILU
}
