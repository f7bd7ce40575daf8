package refiner.engine.backend.cpu;

import java.util.Arrays;
import refiner.engine.backend.Activation;
import refiner.engine.backend.Backend;
import refiner.engine.backend.reference.ReferenceBackend;
import refiner.engine.tensor.Tensor;
import refiner.loader.DType;
import refiner.loader.safetensors.TensorInfo;

/**
 * The CPU backend: F32 activations in pooled {@code float[]} buffers, weights read in place from
 * the mapped checkpoint and widened inside the kernels.
 */
public final class CpuBackend implements Backend {
    private final BufferPool buffers = new BufferPool(Runtime.getRuntime().maxMemory() / 4 / Float.BYTES);
    private final ReferenceBackend loops = new ReferenceBackend();
    private final WorkerPool pool;
    private final Gemm gemm;

    /** A backend using every available processor. */
    public CpuBackend() {
        this(Runtime.getRuntime().availableProcessors());
    }

    /** A backend running its kernels on {@code threads} worker threads. */
    public CpuBackend(int threads) {
        if (threads < 1) throw new IllegalArgumentException("CpuBackend: thread count " + threads + " must be at least 1");
        this.pool = new WorkerPool(threads);
        this.gemm = new Gemm(pool);
    }

    @Override
    public String name() {
        return "cpu";
    }

    // ---- memory -------------------------------------------------------------------------------

    @Override
    public Tensor allocate(int... shape) {
        for (int d : shape) if (d < 0) throw new IllegalArgumentException("allocate: negative dimension in " + Arrays.toString(shape));
        int n = HostTensors.prod(shape, 0, shape.length);
        float[] a = buffers.take(n);
        return new Tensor(this, DType.F32, shape, a != null ? a : new float[n], true);
    }

    @Override
    public Tensor upload(float[] data, int... shape) {
        if (Tensor.numel(shape) != data.length) {
            throw new IllegalArgumentException("upload: " + data.length + " values for shape " + Arrays.toString(shape));
        }
        Tensor t = allocate(shape);
        System.arraycopy(data, 0, t.storage(), 0, data.length);
        return t;
    }

    @Override
    public float[] download(Tensor t) {
        HostTensors.check(this, t, "download");
        return HostTensors.toArray(t);
    }

    @Override
    public Tensor weight(TensorInfo w) {
        return HostTensors.weight(this, w);
    }

    @Override
    public void release(Tensor t) {
        if (t.backend() == this && t.isOwner() && t.storage() instanceof float[] a) buffers.give(a);
    }

    @Override
    public void close() {
        pool.close();
        buffers.clear();
    }

    /** The float[] behind an activation; a widened copy when {@code t} is a weight. */
    private static float[] data(Tensor t) {
        float[] a = HostTensors.array(t);
        return a != null ? a : HostTensors.toArray(t);
    }

    /** A per-channel vector of length {@code n} widened to floats, or null when {@code t} is null. */
    private float[] vector(String what, Tensor t, int n) {
        if (t == null) return null;
        HostTensors.check(this, t, what);
        if (t.numel() != n) throw new IllegalArgumentException(what + " " + t + " does not have " + n + " elements");
        return data(t);
    }

    private Tensor own(Tensor r) {
        return new Tensor(this, DType.F32, r.shape(), r.storage(), true);
    }

    // ---- ops ----------------------------------------------------------------------------------

    @Override
    public Tensor linear(Tensor x, Tensor w, Tensor bias) {
        HostTensors.check(this, x, "linear x");
        HostTensors.check(this, w, "linear w");
        HostTensors.rank("linear", w, 2);
        int k = x.dim(-1), n = w.dim(0);
        if (w.dim(1) != k) throw new IllegalArgumentException("linear: x " + x + " does not match w " + w);
        float[] b = vector("linear bias", bias, n);
        int m = (int) (x.numel() / k);
        int[] shape = x.shape();
        shape[shape.length - 1] = n;
        Tensor y = allocate(shape);
        gemm.multiply(m, n, k, new RowPacker(x, 0, k), new RowPacker(w, 0, k), data(y), 0, n, null, b);
        return y;
    }

    @Override
    public Tensor conv2d(Tensor x, Tensor w, Tensor bias, int stride, int padding) {
        HostTensors.check(this, x, "conv2d x");
        HostTensors.check(this, w, "conv2d w");
        HostTensors.rank("conv2d", x, 4);
        HostTensors.rank("conv2d", w, 4);
        int b = x.dim(0), c = x.dim(1), h = x.dim(2), wd = x.dim(3);
        int o = w.dim(0), ks = w.dim(2);
        if (w.dim(1) != c || w.dim(3) != ks) throw new IllegalArgumentException("conv2d: x " + x + " does not match w " + w);
        if (stride < 1 || padding < 0) throw new IllegalArgumentException("conv2d: stride " + stride + ", padding " + padding);
        int oh = (h + 2 * padding - ks) / stride + 1, ow = (wd + 2 * padding - ks) / stride + 1;
        if (oh < 1 || ow < 1) throw new IllegalArgumentException("conv2d: kernel " + ks + " larger than padded input " + x);
        float[] bv = vector("conv2d bias", bias, o);
        float[] xs = data(x);
        Tensor y = allocate(b, o, oh, ow);
        float[] ys = data(y);
        int p = oh * ow, kk = c * ks * ks;
        RowPacker weights = new RowPacker(w, 0, kk);
        for (int n = 0; n < b; n++) {
            Im2colPacker patches = new Im2colPacker(xs, n * c * h * wd, h, wd, ks, stride, padding, ow);
            gemm.multiply(o, p, kk, weights, patches, ys, n * o * p, p, bv, null);
        }
        return y;
    }

    @Override
    public Tensor groupNorm(Tensor x, int groups, Tensor gamma, Tensor beta, float eps, boolean silu) {
        return own(loops.groupNorm(x, groups, gamma, beta, eps, silu));
    }

    @Override
    public Tensor layerNorm(Tensor x, Tensor gamma, Tensor beta, float eps) {
        return own(loops.layerNorm(x, gamma, beta, eps));
    }

    @Override
    public Tensor attention(Tensor q, Tensor k, Tensor v, int heads, boolean causal) {
        return own(loops.attention(q, k, v, heads, causal));
    }

    @Override
    public Tensor activation(Tensor x, Activation a) {
        return own(loops.activation(x, a));
    }

    @Override
    public Tensor geglu(Tensor x) {
        return own(loops.geglu(x));
    }

    @Override
    public Tensor add(Tensor a, Tensor b) {
        return own(loops.add(a, b));
    }

    @Override
    public Tensor addChannels(Tensor x, Tensor b) {
        return own(loops.addChannels(x, b));
    }

    @Override
    public Tensor scale(Tensor x, float s) {
        return own(loops.scale(x, s));
    }

    @Override
    public Tensor concat(int axis, Tensor a, Tensor b) {
        return own(loops.concat(axis, a, b));
    }

    @Override
    public Tensor slice(Tensor x, int axis, int start, int end) {
        return own(loops.slice(x, axis, start, end));
    }

    @Override
    public Tensor toTokens(Tensor x) {
        return own(loops.toTokens(x));
    }

    @Override
    public Tensor toImage(Tensor x, int height, int width) {
        return own(loops.toImage(x, height, width));
    }

    @Override
    public Tensor upsampleNearest2x(Tensor x) {
        return own(loops.upsampleNearest2x(x));
    }

    @Override
    public Tensor embedding(Tensor table, int[] ids) {
        return own(loops.embedding(table, ids));
    }
}
