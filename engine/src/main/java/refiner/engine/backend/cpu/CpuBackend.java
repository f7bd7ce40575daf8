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
    private final BufferPool pool = new BufferPool(Runtime.getRuntime().maxMemory() / 4 / Float.BYTES);
    private final ReferenceBackend loops = new ReferenceBackend();
    private final int threads;

    /** A backend using every available processor. */
    public CpuBackend() {
        this(Runtime.getRuntime().availableProcessors());
    }

    /** A backend running its kernels on {@code threads} worker threads. */
    public CpuBackend(int threads) {
        if (threads < 1) throw new IllegalArgumentException("CpuBackend: thread count " + threads + " must be at least 1");
        this.threads = threads;
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
        float[] a = pool.take(n);
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
        if (t.backend() == this && t.isOwner() && t.storage() instanceof float[] a) pool.give(a);
    }

    @Override
    public void close() {
        pool.clear();
    }

    private Tensor own(Tensor r) {
        return new Tensor(this, DType.F32, r.shape(), r.storage(), true);
    }

    // ---- ops ----------------------------------------------------------------------------------

    @Override
    public Tensor linear(Tensor x, Tensor w, Tensor bias) {
        return own(loops.linear(x, w, bias));
    }

    @Override
    public Tensor conv2d(Tensor x, Tensor w, Tensor bias, int stride, int padding) {
        return own(loops.conv2d(x, w, bias, stride, padding));
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
