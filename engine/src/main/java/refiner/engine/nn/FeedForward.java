package refiner.engine.nn;

import refiner.engine.backend.Activation;
import refiner.engine.tensor.Tensor;

/**
 * The transformer feed-forward {@code net.0.proj -> GEGLU or GELU -> net.2}: with GEGLU the
 * projection is [2F, D] and its output halves [h, g] give h * gelu(g); with GELU it is [F, D].
 */
public final class FeedForward {
    private final Linear proj;
    private final Linear down;
    private final boolean geglu;

    public FeedForward(Params p, int dim, int inner, boolean geglu) {
        this.proj = new Linear(p.child("net.0.proj"), dim, geglu ? 2 * inner : inner, true);
        this.down = new Linear(p.child("net.2"), inner, dim, true);
        this.geglu = geglu;
    }

    /** x[..., D] -> residual[..., D] + the feed-forward of x. */
    public Tensor forward(Tensor x, Tensor residual) {
        if (geglu) {
            try (Tensor a = proj.forwardGeglu(x)) {             // [..., 2F] -> [..., F]
                return down.forward(a, residual);               // [..., D]
            }
        }
        try (Tensor h = proj.forward(x);                        // [..., F]
             Tensor a = x.backend().activation(h, Activation.GELU)) {
            return down.forward(a, residual);                   // [..., D]
        }
    }
}
