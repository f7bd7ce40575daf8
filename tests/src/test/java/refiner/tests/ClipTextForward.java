package refiner.tests;

import java.util.stream.IntStream;
import refiner.engine.backend.Activation;
import refiner.engine.backend.Backend;
import refiner.engine.tensor.Tensor;
import refiner.loader.Weights;

/**
 * The CLIP text encoder (text_encoder_2 of the refiner) written out over {@link Backend} ops, so the
 * CUDA backend can be held against the text-encoder goldens end to end. It stands in for the
 * engine's network class until that exists; then the golden test should call that class instead.
 */
final class ClipTextForward {
    private final Backend b;
    private final Weights w;
    private final int layers;
    private final int heads;

    ClipTextForward(Backend b, Weights w, int layers, int heads) {
        this.b = b;
        this.w = w;
        this.layers = layers;
        this.heads = heads;
    }

    private Tensor p(String key) {
        return b.weight(w.get(key));
    }

    /** hidden_states[-2] [1, 77, D] and the pooled projection [1, D] for one row of 77 ids. */
    Tensor[] run(int[] ids) {
        String e = "text_model.embeddings.";
        Tensor tok = b.embedding(p(e + "token_embedding.weight"), ids);                               // [77, D]
        Tensor pos = b.embedding(p(e + "position_embedding.weight"), IntStream.range(0, ids.length).toArray());
        Tensor x = b.add(tok, pos);                                                                   // [77, D]
        int d = x.dim(1);
        x = x.reshape(1, ids.length, d);                                                              // [1, 77, D]
        Tensor penultimate = null;
        for (int i = 0; i < layers; i++) {
            x = layer("text_model.encoder.layers." + i + ".", x);
            if (i == layers - 2) penultimate = x;
        }
        Tensor last = b.layerNorm(x, p("text_model.final_layer_norm.weight"), p("text_model.final_layer_norm.bias"), 1e-5f);
        int eos = 0;
        for (int i = 0; i < ids.length; i++) if (ids[i] > ids[eos]) eos = i;                          // first max id
        Tensor row = b.slice(last.reshape(ids.length, d), 0, eos, eos + 1);                           // [1, D]
        Tensor pooled = b.linear(row, p("text_projection.weight"), null);                             // [1, D]
        return new Tensor[] {penultimate, pooled};
    }

    private Tensor layer(String k, Tensor x) {
        Tensor h = b.layerNorm(x, p(k + "layer_norm1.weight"), p(k + "layer_norm1.bias"), 1e-5f);
        String a = k + "self_attn.";
        Tensor q = b.linear(h, p(a + "q_proj.weight"), p(a + "q_proj.bias"));                         // [1, 77, D]
        Tensor kk = b.linear(h, p(a + "k_proj.weight"), p(a + "k_proj.bias"));
        Tensor v = b.linear(h, p(a + "v_proj.weight"), p(a + "v_proj.bias"));
        Tensor att = b.attention(q, kk, v, heads, true);                                              // [1, 77, D]
        x = b.add(x, b.linear(att, p(a + "out_proj.weight"), p(a + "out_proj.bias")));
        h = b.layerNorm(x, p(k + "layer_norm2.weight"), p(k + "layer_norm2.bias"), 1e-5f);
        h = b.activation(b.linear(h, p(k + "mlp.fc1.weight"), p(k + "mlp.fc1.bias")), Activation.GELU); // [1, 77, 4D]
        return b.add(x, b.linear(h, p(k + "mlp.fc2.weight"), p(k + "mlp.fc2.bias")));               // [1, 77, D]
    }
}
