package refiner.engine.nn;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import refiner.engine.tensor.Tensor;

/**
 * The keys and values that every transformer block's cross-attention takes from one text context:
 * projected once, then read by every denoising step with that context (the reference projects them
 * again at each step; the values are the same).
 */
public final class CrossAttention implements AutoCloseable {
    private final Map<BasicTransformerBlock, KeyValues> byBlock = new IdentityHashMap<>();
    private final int batch;

    /** Projects context[B, Lctx, Cctx] for each of {@code blocks}. */
    public CrossAttention(List<BasicTransformerBlock> blocks, Tensor context) {
        this.batch = context.dim(0);
        try {
            for (BasicTransformerBlock block : blocks) byBlock.put(block, block.crossKeyValues(context));
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The context's batch size. */
    public int batch() {
        return batch;
    }

    /** {@code block}'s keys and values. */
    KeyValues of(BasicTransformerBlock block) {
        KeyValues kv = byBlock.get(block);
        if (kv == null) throw new IllegalArgumentException("cross-attention: no keys and values for this transformer block");
        return kv;
    }

    @Override
    public void close() {
        byBlock.values().forEach(KeyValues::close);
        byBlock.clear();
    }
}
