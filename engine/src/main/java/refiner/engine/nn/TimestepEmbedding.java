package refiner.engine.nn;

import refiner.engine.backend.Activation;
import refiner.engine.tensor.Tensor;

/** The embedding MLP {@code linear_1 -> SiLU -> linear_2} behind a sinusoidal projection. */
public final class TimestepEmbedding {
    private final Linear linear1;
    private final Linear linear2;

    public TimestepEmbedding(Params p, int in, int out) {
        this.linear1 = new Linear(p.child("linear_1"), in, out, true);
        this.linear2 = new Linear(p.child("linear_2"), out, out, true);
    }

    /** x[B, in] -> [B, out]. */
    public Tensor forward(Tensor x) {
        try (Tensor h = linear1.forward(x);                                 // [B, out]
             Tensor a = x.backend().activation(h, Activation.SILU)) {       // [B, out]
            return linear2.forward(a);                                      // [B, out]
        }
    }
}
