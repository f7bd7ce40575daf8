package refiner.engine.model;

import refiner.engine.backend.Activation;
import refiner.engine.nn.Attention;
import refiner.engine.nn.LayerNorm;
import refiner.engine.nn.Linear;
import refiner.engine.nn.Params;
import refiner.engine.tensor.Tensor;

/** One pre-norm CLIP block: {@code layer_norm1 -> self_attn} (causal), {@code layer_norm2 -> mlp.fc1 -> act -> mlp.fc2}. */
final class ClipEncoderLayer {
    private final LayerNorm layerNorm1;
    private final Attention selfAttn;
    private final LayerNorm layerNorm2;
    private final Linear fc1;
    private final Linear fc2;
    private final Activation act;

    ClipEncoderLayer(Params p, int dim, int heads, int intermediate, float eps, Activation act) {
        this.layerNorm1 = new LayerNorm(p.child("layer_norm1"), dim, eps);
        this.selfAttn = Attention.clip(p.child("self_attn"), dim, heads);
        this.layerNorm2 = new LayerNorm(p.child("layer_norm2"), dim, eps);
        this.fc1 = new Linear(p.child("mlp.fc1"), dim, intermediate, true);
        this.fc2 = new Linear(p.child("mlp.fc2"), intermediate, dim, true);
        this.act = act;
    }

    /** x[B, L, D] -> [B, L, D]. */
    Tensor forward(Tensor x) {
        Tensor h;
        try (Tensor n = layerNorm1.forward(x)) {                // [B, L, D]
            h = selfAttn.forward(n, null, true, x);             // [B, L, D]
        }
        try (h;
             Tensor n = layerNorm2.forward(h);                  // [B, L, D]
             Tensor up = fc1.forward(n);                        // [B, L, I]
             Tensor a = x.backend().activation(up, act)) {      // [B, L, I]
            return fc2.forward(a, h);                           // [B, L, D]
        }
    }
}
