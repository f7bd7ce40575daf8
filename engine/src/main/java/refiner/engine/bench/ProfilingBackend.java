package refiner.engine.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import refiner.engine.backend.Activation;
import refiner.engine.backend.Backend;
import refiner.engine.backend.cuda.CudaBackend;
import refiner.engine.tensor.Tensor;
import refiner.loader.safetensors.TensorInfo;

/**
 * A backend that forwards every op to another one and accumulates, per op name, the calls, the
 * wall time and the multiply-accumulates (counted as in {@link MacCounter}), and for the ops that
 * count multiply-accumulates (products, convolutions, attention) the same per shape too. Layers
 * dispatch on their input's backend, so the tensors handed out are this backend's: each shares
 * the storage of the delegate's tensor it stands for, and is turned back into one on the way in. Times are taken
 * around each call; on the CUDA backend, whose launches return before the work is done, each op
 * waits for the stream before the clock stops, so the profile serialises what would overlap.
 */
public final class ProfilingBackend implements Backend {
    private final Backend delegate;
    private final Map<String, OpStats> stats;
    private final Map<String, OpStats> shapes;
    private final Runnable barrier;

    public ProfilingBackend(Backend delegate) {
        this(delegate, new LinkedHashMap<>(), new LinkedHashMap<>());
    }

    private ProfilingBackend(Backend delegate, Map<String, OpStats> stats, Map<String, OpStats> shapes) {
        this.delegate = delegate;
        this.stats = stats;
        this.shapes = shapes;
        this.barrier = delegate instanceof CudaBackend cuda ? cuda::synchronize : () -> { };
    }

    /** A profiler of {@code other} that adds to this one's table (a second backend of the same run). */
    public ProfilingBackend sharing(Backend other) {
        return new ProfilingBackend(other, stats, shapes);
    }

    /** The ops seen so far, slowest first. */
    public List<OpStats> byTime() {
        return slowestFirst(stats);
    }

    /** The products, convolutions and attentions seen so far, one entry per op and shape, slowest first. */
    public List<OpStats> byShape() {
        return slowestFirst(shapes);
    }

    private static List<OpStats> slowestFirst(Map<String, OpStats> table) {
        List<OpStats> out = new ArrayList<>(table.values());
        out.sort(Comparator.comparingDouble(OpStats::seconds).reversed());
        return out;
    }

    /** Forgets what was measured so far. */
    public void reset() {
        stats.clear();
        shapes.clear();
    }

    /** Times one call of {@code op}, also under its {@code shape} unless that is null. */
    private <T> T timed(String op, String shape, long macs, Supplier<T> call) {
        long t0 = System.nanoTime();
        T r = call.get();
        barrier.run();
        long dt = System.nanoTime() - t0;
        stats.computeIfAbsent(op, o -> new OpStats(o, "")).add(dt, macs);
        if (shape != null) shapes.computeIfAbsent(op + " " + shape, key -> new OpStats(op, shape)).add(dt, macs);
        return r;
    }

    private <T> T timed(String op, long macs, Supplier<T> call) {
        return timed(op, null, macs, call);
    }

    private Tensor timed(String op, Supplier<Tensor> call) {
        return timedTensor(op, null, 0, call);
    }

    private Tensor timedTensor(String op, String shape, long macs, Supplier<Tensor> call) {
        return wrap(timed(op, shape, macs, call));
    }

    /** The delegate's tensor {@code t} as one of this backend's, same storage and ownership. */
    private Tensor wrap(Tensor t) {
        return new Tensor(this, t.dtype(), t.shape(), t.storage(), t.isOwner());
    }

    /** This backend's tensor {@code t} as a non-owning view of the delegate's. */
    private Tensor in(Tensor t) {
        return t == null ? null : new Tensor(delegate, t.dtype(), t.shape(), t.storage(), false);
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public Tensor allocate(int... shape) {
        return wrap(delegate.allocate(shape));
    }

    @Override
    public Tensor upload(float[] data, int... shape) {
        return timedTensor("upload", null, 0, () -> delegate.upload(data, shape));
    }

    @Override
    public float[] download(Tensor t) {
        return timed("download", 0, () -> delegate.download(in(t)));
    }

    @Override
    public Tensor weight(TensorInfo w) {
        return wrap(delegate.weight(w));
    }

    @Override
    public void release(Tensor t) {
        delegate.release(new Tensor(delegate, t.dtype(), t.shape(), t.storage(), t.isOwner()));
    }

    @Override
    public Tensor linear(Tensor x, Tensor w, Tensor bias) {
        return timedProduct(x, w, "", () -> delegate.linear(in(x), in(w), in(bias)));
    }

    @Override
    public Tensor linear(Tensor x, Tensor w, Tensor bias, Tensor residual) {
        return timedProduct(x, w, ", + residual", () -> delegate.linear(in(x), in(w), in(bias), in(residual)));
    }

    @Override
    public Tensor linearGeglu(Tensor x, Tensor w, Tensor bias) {
        return timedProduct(x, w, ", GEGLU", () -> delegate.linearGeglu(in(x), in(w), in(bias)));
    }

    /** A dense layer's call as a "linear" op: shape rows x K -> N (and what it fuses), x w^T's MACs. */
    private Tensor timedProduct(Tensor x, Tensor w, String fused, Supplier<Tensor> call) {
        String shape = x.numel() / w.dim(1) + "x" + w.dim(1) + " -> " + w.dim(0) + fused;
        return timedTensor("linear", shape, x.numel() * w.dim(0), call);
    }

    @Override
    public Tensor conv2d(Tensor x, Tensor w, Tensor bias, int stride, int padding) {
        return timedConv(x, w, stride, padding, "", () -> delegate.conv2d(in(x), in(w), in(bias), stride, padding));
    }

    @Override
    public Tensor conv2d(Tensor x, Tensor w, Tensor bias, int stride, int padding, Tensor residual) {
        return timedConv(x, w, stride, padding, ", + residual", () -> delegate.conv2d(in(x), in(w), in(bias), stride, padding, in(residual)));
    }

    /** A convolution of x with symmetric padding, listed with its stride (other than 1) and {@code fused}. */
    private Tensor timedConv(Tensor x, Tensor w, int stride, int padding, String fused, Supplier<Tensor> call) {
        long outH = (x.dim(2) + 2L * padding - w.dim(2)) / stride + 1, outW = (x.dim(3) + 2L * padding - w.dim(3)) / stride + 1;
        return timedConv(w, x.dim(0), x.dim(2), x.dim(3), outH, outW, (stride == 1 ? "" : ", stride " + stride) + fused, call);
    }

    @Override
    public Tensor conv2dPadded(Tensor x, Tensor w, Tensor bias, int stride, int top, int bottom, int left, int right) {
        long outH = (x.dim(2) + top + bottom - w.dim(2)) / stride + 1, outW = (x.dim(3) + left + right - w.dim(3)) / stride + 1;
        return timedConv(w, x.dim(0), x.dim(2), x.dim(3), outH, outW,
                (stride == 1 ? "" : ", stride " + stride) + ", padded " + top + " " + bottom + " " + left + " " + right,
                () -> delegate.conv2dPadded(in(x), in(w), in(bias), stride, top, bottom, left, right));
    }

    @Override
    public Tensor conv2dUpsampled(Tensor x, Tensor w, Tensor bias, int padding) {
        long h = 2L * x.dim(2), wd = 2L * x.dim(3);
        return timedConv(w, x.dim(0), h, wd, h + 2L * padding - w.dim(2) + 1, wd + 2L * padding - w.dim(3) + 1, ", upsampled",
                () -> delegate.conv2dUpsampled(in(x), in(w), in(bias), padding));
    }

    /** A convolution by w of a batch of h x wd images to outH x outW, listed by its channels, input size and {@code note}. */
    private Tensor timedConv(Tensor w, int batch, long h, long wd, long outH, long outW, String note, Supplier<Tensor> call) {
        long macs = (long) batch * w.dim(0) * outH * outW * w.dim(1) * w.dim(2) * w.dim(3);
        String shape = w.dim(1) + " -> " + w.dim(0) + " over " + batch + "x" + h + "x" + wd + note;
        return timedTensor("conv2d " + w.dim(2) + "x" + w.dim(3), shape, macs, call);
    }

    @Override
    public Tensor groupNorm(Tensor x, int groups, Tensor gamma, Tensor beta, float eps, boolean silu) {
        return timed(silu ? "groupNorm+silu" : "groupNorm", () -> delegate.groupNorm(in(x), groups, in(gamma), in(beta), eps, silu));
    }

    @Override
    public Tensor layerNorm(Tensor x, Tensor gamma, Tensor beta, float eps) {
        return timed("layerNorm", () -> delegate.layerNorm(in(x), in(gamma), in(beta), eps));
    }

    @Override
    public Tensor attention(Tensor q, Tensor k, Tensor v, int heads, boolean causal) {
        long macs = 2L * q.dim(0) * q.dim(1) * k.dim(1) * q.dim(2);
        String shape = q.dim(0) + "x" + q.dim(1) + " over " + k.dim(1) + " keys, " + heads + (heads == 1 ? " head of " : " heads of ")
                + q.dim(2) / heads;
        return timedTensor(causal ? "attention causal" : "attention", shape, macs, () -> delegate.attention(in(q), in(k), in(v), heads, causal));
    }

    @Override
    public Tensor activation(Tensor x, Activation a) {
        return timed("activation " + a, () -> delegate.activation(in(x), a));
    }

    @Override
    public Tensor geglu(Tensor x) {
        return timed("geglu", () -> delegate.geglu(in(x)));
    }

    @Override
    public Tensor add(Tensor a, Tensor b) {
        return timed("add", () -> delegate.add(in(a), in(b)));
    }

    @Override
    public Tensor addChannels(Tensor x, Tensor b) {
        return timed("addChannels", () -> delegate.addChannels(in(x), in(b)));
    }

    @Override
    public Tensor scale(Tensor x, float s) {
        return timed("scale", () -> delegate.scale(in(x), s));
    }

    @Override
    public Tensor concat(int axis, Tensor a, Tensor b) {
        return timed("concat", () -> delegate.concat(axis, in(a), in(b)));
    }

    @Override
    public Tensor slice(Tensor x, int axis, int start, int end) {
        return timed("slice", () -> delegate.slice(in(x), axis, start, end));
    }

    @Override
    public Tensor toTokens(Tensor x) {
        return timed("toTokens", () -> delegate.toTokens(in(x)));
    }

    @Override
    public Tensor toImage(Tensor x, int height, int width) {
        return timed("toImage", () -> delegate.toImage(in(x), height, width));
    }

    @Override
    public Tensor upsampleNearest2x(Tensor x) {
        return timed("upsampleNearest2x", () -> delegate.upsampleNearest2x(in(x)));
    }

    @Override
    public Tensor pad2d(Tensor x, int top, int bottom, int left, int right) {
        return timed("pad2d", () -> delegate.pad2d(in(x), top, bottom, left, right));
    }

    @Override
    public Tensor embedding(Tensor table, int[] ids) {
        return timed("embedding", () -> delegate.embedding(in(table), ids));
    }

    @Override
    public void trim() {
        delegate.trim();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
