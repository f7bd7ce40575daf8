package refiner.tests;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import refiner.engine.backend.Activation;
import refiner.engine.backend.Backend;
import refiner.engine.tensor.Tensor;
import refiner.loader.safetensors.TensorInfo;

/**
 * A backend in front of another that tracks the buffers it hands out: which are live, the peak
 * count, and any op that reads a buffer already closed (which a pooling backend would silently
 * have reused). For checking that networks close every intermediate.
 */
final class LeakCheckBackend implements Backend {
    private final Backend inner;
    private final Set<Object> live = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Set<Object> weights = Collections.newSetFromMap(new IdentityHashMap<>());
    private int peak;

    LeakCheckBackend(Backend inner) {
        this.inner = inner;
    }

    /** Buffers handed out and not yet closed. */
    int live() {
        return live.size();
    }

    /** Most buffers live at once since the last {@link #resetPeak()}. */
    int peak() {
        return peak;
    }

    void resetPeak() {
        peak = live.size();
    }

    private Tensor in(Tensor t) {
        if (t == null) return null;
        Object s = t.storage();
        if (!live.contains(s) && !weights.contains(s)) throw new IllegalStateException("op reads a closed tensor " + t);
        return new Tensor(inner, t.dtype(), t.shape(), s, false);
    }

    private Tensor out(Tensor r) {
        live.add(r.storage());
        peak = Math.max(peak, live.size());
        return new Tensor(this, r.dtype(), r.shape(), r.storage(), true);
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public Tensor allocate(int... shape) {
        return out(inner.allocate(shape));
    }

    @Override
    public Tensor upload(float[] data, int... shape) {
        return out(inner.upload(data, shape));
    }

    @Override
    public float[] download(Tensor t) {
        return inner.download(in(t));
    }

    @Override
    public Tensor weight(TensorInfo w) {
        Tensor t = inner.weight(w);
        weights.add(t.storage());
        return new Tensor(this, t.dtype(), t.shape(), t.storage(), false);
    }

    @Override
    public void release(Tensor t) {
        if (!live.remove(t.storage())) throw new IllegalStateException("tensor released twice: " + t);
        inner.release(new Tensor(inner, t.dtype(), t.shape(), t.storage(), true));
    }

    @Override
    public Tensor linear(Tensor x, Tensor w, Tensor bias) {
        return out(inner.linear(in(x), in(w), in(bias)));
    }

    @Override
    public Tensor conv2d(Tensor x, Tensor w, Tensor bias, int stride, int padding) {
        return out(inner.conv2d(in(x), in(w), in(bias), stride, padding));
    }

    @Override
    public Tensor groupNorm(Tensor x, int groups, Tensor gamma, Tensor beta, float eps, boolean silu) {
        return out(inner.groupNorm(in(x), groups, in(gamma), in(beta), eps, silu));
    }

    @Override
    public Tensor layerNorm(Tensor x, Tensor gamma, Tensor beta, float eps) {
        return out(inner.layerNorm(in(x), in(gamma), in(beta), eps));
    }

    @Override
    public Tensor attention(Tensor q, Tensor k, Tensor v, int heads, boolean causal) {
        return out(inner.attention(in(q), in(k), in(v), heads, causal));
    }

    @Override
    public Tensor activation(Tensor x, Activation a) {
        return out(inner.activation(in(x), a));
    }

    @Override
    public Tensor geglu(Tensor x) {
        return out(inner.geglu(in(x)));
    }

    @Override
    public Tensor add(Tensor a, Tensor b) {
        return out(inner.add(in(a), in(b)));
    }

    @Override
    public Tensor addChannels(Tensor x, Tensor b) {
        return out(inner.addChannels(in(x), in(b)));
    }

    @Override
    public Tensor scale(Tensor x, float s) {
        return out(inner.scale(in(x), s));
    }

    @Override
    public Tensor concat(int axis, Tensor a, Tensor b) {
        return out(inner.concat(axis, in(a), in(b)));
    }

    @Override
    public Tensor slice(Tensor x, int axis, int start, int end) {
        return out(inner.slice(in(x), axis, start, end));
    }

    @Override
    public Tensor toTokens(Tensor x) {
        return out(inner.toTokens(in(x)));
    }

    @Override
    public Tensor toImage(Tensor x, int height, int width) {
        return out(inner.toImage(in(x), height, width));
    }

    @Override
    public Tensor upsampleNearest2x(Tensor x) {
        return out(inner.upsampleNearest2x(in(x)));
    }

    @Override
    public Tensor embedding(Tensor table, int[] ids) {
        return out(inner.embedding(in(table), ids));
    }

    @Override
    public void close() {
        inner.close();
    }
}
