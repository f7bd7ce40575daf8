package refiner.engine.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import refiner.engine.backend.Activation;
import refiner.engine.backend.Backend;
import refiner.engine.tensor.Tensor;
import refiner.loader.safetensors.TensorInfo;

/**
 * A backend that forwards every op to another one and accumulates, per op name, the calls, the
 * wall time and the multiply-accumulates (counted as in {@link MacCounter}). Tensors stay the
 * delegate's own. Times are taken around each call, so they are exact for a synchronous backend
 * (the CPU); for an asynchronous one they include only what the call itself waits for.
 */
public final class ProfilingBackend implements Backend {
    private final Backend delegate;
    private final Map<String, OpStats> stats = new LinkedHashMap<>();

    public ProfilingBackend(Backend delegate) {
        this.delegate = delegate;
    }

    /** The ops seen so far, slowest first. */
    public List<OpStats> byTime() {
        List<OpStats> out = new ArrayList<>(stats.values());
        out.sort(Comparator.comparingDouble(OpStats::seconds).reversed());
        return out;
    }

    /** Forgets what was measured so far. */
    public void reset() {
        stats.clear();
    }

    private <T> T timed(String op, long macs, Supplier<T> call) {
        long t0 = System.nanoTime();
        T r = call.get();
        long dt = System.nanoTime() - t0;
        stats.computeIfAbsent(op, OpStats::new).add(dt, macs);
        return r;
    }

    private Tensor timed(String op, Supplier<Tensor> call) {
        return timed(op, 0, call);
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public Tensor allocate(int... shape) {
        return delegate.allocate(shape);
    }

    @Override
    public Tensor upload(float[] data, int... shape) {
        return timed("upload", 0, () -> delegate.upload(data, shape));
    }

    @Override
    public float[] download(Tensor t) {
        return timed("download", 0, () -> delegate.download(t));
    }

    @Override
    public Tensor weight(TensorInfo w) {
        return delegate.weight(w);
    }

    @Override
    public void release(Tensor t) {
        delegate.release(t);
    }

    @Override
    public Tensor linear(Tensor x, Tensor w, Tensor bias) {
        long macs = x.numel() * w.dim(0);
        return timed("linear", macs, () -> delegate.linear(x, w, bias));
    }

    @Override
    public Tensor conv2d(Tensor x, Tensor w, Tensor bias, int stride, int padding) {
        long outH = (x.dim(2) + 2L * padding - w.dim(2)) / stride + 1;
        long outW = (x.dim(3) + 2L * padding - w.dim(3)) / stride + 1;
        long macs = (long) x.dim(0) * w.dim(0) * outH * outW * w.dim(1) * w.dim(2) * w.dim(3);
        return timed("conv2d " + w.dim(2) + "x" + w.dim(3), macs, () -> delegate.conv2d(x, w, bias, stride, padding));
    }

    @Override
    public Tensor groupNorm(Tensor x, int groups, Tensor gamma, Tensor beta, float eps, boolean silu) {
        return timed(silu ? "groupNorm+silu" : "groupNorm", () -> delegate.groupNorm(x, groups, gamma, beta, eps, silu));
    }

    @Override
    public Tensor layerNorm(Tensor x, Tensor gamma, Tensor beta, float eps) {
        return timed("layerNorm", () -> delegate.layerNorm(x, gamma, beta, eps));
    }

    @Override
    public Tensor attention(Tensor q, Tensor k, Tensor v, int heads, boolean causal) {
        long macs = 2L * q.dim(0) * q.dim(1) * k.dim(1) * q.dim(2);
        return timed(causal ? "attention causal" : "attention", macs, () -> delegate.attention(q, k, v, heads, causal));
    }

    @Override
    public Tensor activation(Tensor x, Activation a) {
        return timed("activation " + a, () -> delegate.activation(x, a));
    }

    @Override
    public Tensor geglu(Tensor x) {
        return timed("geglu", () -> delegate.geglu(x));
    }

    @Override
    public Tensor add(Tensor a, Tensor b) {
        return timed("add", () -> delegate.add(a, b));
    }

    @Override
    public Tensor addChannels(Tensor x, Tensor b) {
        return timed("addChannels", () -> delegate.addChannels(x, b));
    }

    @Override
    public Tensor scale(Tensor x, float s) {
        return timed("scale", () -> delegate.scale(x, s));
    }

    @Override
    public Tensor concat(int axis, Tensor a, Tensor b) {
        return timed("concat", () -> delegate.concat(axis, a, b));
    }

    @Override
    public Tensor slice(Tensor x, int axis, int start, int end) {
        return timed("slice", () -> delegate.slice(x, axis, start, end));
    }

    @Override
    public Tensor toTokens(Tensor x) {
        return timed("toTokens", () -> delegate.toTokens(x));
    }

    @Override
    public Tensor toImage(Tensor x, int height, int width) {
        return timed("toImage", () -> delegate.toImage(x, height, width));
    }

    @Override
    public Tensor upsampleNearest2x(Tensor x) {
        return timed("upsampleNearest2x", () -> delegate.upsampleNearest2x(x));
    }

    @Override
    public Tensor embedding(Tensor table, int[] ids) {
        return timed("embedding", () -> delegate.embedding(table, ids));
    }

    @Override
    public void close() {
        delegate.close();
    }
}
