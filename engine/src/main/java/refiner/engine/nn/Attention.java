package refiner.engine.nn;

import refiner.engine.tensor.Tensor;

/**
 * Multi-head attention: query, key, value and output projections around the backend's fused
 * attention (scale 1/sqrt(head dim), softmax in fp32). The projections carry the checkpoint's
 * spelling: diffusers' {@code to_q/to_k/to_v/to_out.0}, the older VAE's
 * {@code query/key/value/proj_attn}, or CLIP's {@code q_proj/k_proj/v_proj/out_proj}.
 */
public final class Attention {
    private final Linear q;
    private final Linear k;
    private final Linear v;
    private final Linear out;
    private final int heads;

    private Attention(Linear q, Linear k, Linear v, Linear out, int heads) {
        this.q = q;
        this.k = k;
        this.v = v;
        this.out = out;
        this.heads = heads;
    }

    /** A UNet transformer attention: bias-free to_q/to_k/to_v, to_out.0 with bias. */
    public static Attention transformer(Params p, int queryDim, int contextDim, int heads) {
        requireHeads(p, queryDim, heads);
        return new Attention(
                new Linear(p.child("to_q"), queryDim, queryDim, false),
                new Linear(p.child("to_k"), contextDim, queryDim, false),
                new Linear(p.child("to_v"), contextDim, queryDim, false),
                new Linear(p.child("to_out.0"), queryDim, queryDim, true),
                heads);
    }

    /** The VAE's single-head self-attention over pixels, in either spelling, all with bias. */
    public static Attention vae(Params p, int channels) {
        boolean legacy = !p.has("to_q.weight") && p.has("query.weight");
        return new Attention(
                new Linear(p.child(legacy ? "query" : "to_q"), channels, channels, true),
                new Linear(p.child(legacy ? "key" : "to_k"), channels, channels, true),
                new Linear(p.child(legacy ? "value" : "to_v"), channels, channels, true),
                new Linear(p.child(legacy ? "proj_attn" : "to_out.0"), channels, channels, true),
                1);
    }

    /** CLIP's self-attention: q_proj/k_proj/v_proj/out_proj, all with bias. */
    public static Attention clip(Params p, int dim, int heads) {
        requireHeads(p, dim, heads);
        return new Attention(
                new Linear(p.child("q_proj"), dim, dim, true),
                new Linear(p.child("k_proj"), dim, dim, true),
                new Linear(p.child("v_proj"), dim, dim, true),
                new Linear(p.child("out_proj"), dim, dim, true),
                heads);
    }

    private static void requireHeads(Params p, int dim, int heads) {
        if (heads <= 0 || dim % heads != 0) {
            throw new IllegalArgumentException(p.key("") + ": width " + dim + " does not split into " + heads + " heads");
        }
    }

    /**
     * x[B, Lq, C] attending to {@code context}[B, Lk, Cctx] (x itself when null) -> [B, Lq, C],
     * added to {@code residual}[B, Lq, C] where not null; with {@code causal}, position i sees
     * positions 0..i only.
     */
    public Tensor forward(Tensor x, Tensor context, boolean causal, Tensor residual) {
        try (KeyValues kv = keyValues(context == null ? x : context)) {
            return attend(x, kv, causal, residual);
        }
    }

    /** The keys and values of context[B, Lk, Cctx]: [B, Lk, C] each. */
    public KeyValues keyValues(Tensor context) {
        Tensor key = k.forward(context);            // [B, Lk, C]
        try {
            return new KeyValues(key, v.forward(context)); // [B, Lk, C]
        } catch (RuntimeException e) {
            key.close();
            throw e;
        }
    }

    /** x[B, Lq, C] attending to keys and values projected before -> residual[B, Lq, C] + [B, Lq, C]. */
    public Tensor forward(Tensor x, KeyValues context, Tensor residual) {
        return attend(x, context, false, residual);
    }

    private Tensor attend(Tensor x, KeyValues kv, boolean causal, Tensor residual) {
        try (Tensor query = q.forward(x);           // [B, Lq, C]
             Tensor mixed = x.backend().attention(query, kv.key(), kv.value(), heads, causal)) { // [B, Lq, C]
            return out.forward(mixed, residual);    // [B, Lq, C]
        }
    }
}
