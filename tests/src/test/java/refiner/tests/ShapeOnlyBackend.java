package refiner.tests;

import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import refiner.engine.backend.Activation;
import refiner.engine.backend.Backend;
import refiner.engine.tensor.Tensor;
import refiner.loader.DType;
import refiner.loader.safetensors.TensorInfo;

/**
 * A backend that computes no values: each op checks its operands' shapes and returns a tensor of
 * the result's shape over a placeholder storage, counting the fp32 bytes of live activations.
 * Runs a full-size network's forward in milliseconds to check its shape flow and measure the peak
 * activation memory the network's closing discipline leads to.
 */
final class ShapeOnlyBackend implements Backend {
    private final Map<Object, Long> live = Collections.synchronizedMap(new IdentityHashMap<>());
    private long liveBytes;
    private long peakBytes;
    private int weightsBound;

    /** Checkpoint tensors bound so far. */
    int weightsBound() {
        return weightsBound;
    }

    long liveBytes() {
        return liveBytes;
    }

    long peakBytes() {
        return peakBytes;
    }

    void resetPeak() {
        peakBytes = liveBytes;
    }

    private Tensor out(int... shape) {
        Object storage = new Object();
        long bytes = Tensor.numel(shape) * Float.BYTES;
        live.put(storage, bytes);
        liveBytes += bytes;
        peakBytes = Math.max(peakBytes, liveBytes);
        return new Tensor(this, DType.F32, shape, storage, true);
    }

    private static void require(boolean ok, String op, Tensor... operands) {
        if (!ok) {
            StringBuilder s = new StringBuilder(op + ": operand shapes");
            for (Tensor t : operands) s.append(' ').append(t == null ? "null" : Arrays.toString(t.shape()));
            throw new IllegalArgumentException(s.toString());
        }
    }

    @Override
    public String name() {
        return "shape-only";
    }

    @Override
    public Tensor allocate(int... shape) {
        return out(shape);
    }

    @Override
    public Tensor upload(float[] data, int... shape) {
        require(data.length == Tensor.numel(shape), "upload");
        return out(shape);
    }

    @Override
    public float[] download(Tensor t) {
        return new float[(int) t.numel()];
    }

    @Override
    public Tensor weight(TensorInfo w) {
        weightsBound++;
        int[] shape = new int[w.shape().length];
        for (int i = 0; i < shape.length; i++) shape[i] = (int) w.shape()[i];
        return new Tensor(this, w.dtype(), shape, w, false);
    }

    @Override
    public void release(Tensor t) {
        Long bytes = live.remove(t.storage());
        if (bytes == null) throw new IllegalStateException("released twice: " + t);
        liveBytes -= bytes;
    }

    @Override
    public Tensor linear(Tensor x, Tensor w, Tensor bias) {
        require(x.dim(-1) == w.dim(1) && (bias == null || bias.dim(0) == w.dim(0)), "linear", x, w, bias);
        int[] s = x.shape();
        s[s.length - 1] = w.dim(0);
        return out(s);
    }

    @Override
    public Tensor conv2d(Tensor x, Tensor w, Tensor bias, int stride, int padding) {
        require(x.rank() == 4 && x.dim(1) == w.dim(1) && w.dim(2) == w.dim(3) && (bias == null || bias.dim(0) == w.dim(0)), "conv2d", x, w, bias);
        int k = w.dim(2);
        return out(x.dim(0), w.dim(0), (x.dim(2) + 2 * padding - k) / stride + 1, (x.dim(3) + 2 * padding - k) / stride + 1);
    }

    @Override
    public Tensor groupNorm(Tensor x, int groups, Tensor gamma, Tensor beta, float eps, boolean silu) {
        require(x.dim(1) == gamma.dim(0) && x.dim(1) == beta.dim(0) && x.dim(1) % groups == 0, "groupNorm", x, gamma);
        return out(x.shape());
    }

    @Override
    public Tensor layerNorm(Tensor x, Tensor gamma, Tensor beta, float eps) {
        require(x.dim(-1) == gamma.dim(0) && x.dim(-1) == beta.dim(0), "layerNorm", x, gamma);
        return out(x.shape());
    }

    @Override
    public Tensor attention(Tensor q, Tensor k, Tensor v, int heads, boolean causal) {
        require(q.rank() == 3 && Arrays.equals(k.shape(), v.shape()) && q.dim(0) == k.dim(0) && q.dim(2) == k.dim(2)
                && q.dim(2) % heads == 0, "attention", q, k, v);
        return out(q.shape());
    }

    @Override
    public Tensor activation(Tensor x, Activation a) {
        return out(x.shape());
    }

    @Override
    public Tensor geglu(Tensor x) {
        require(x.dim(-1) % 2 == 0, "geglu", x);
        int[] s = x.shape();
        s[s.length - 1] /= 2;
        return out(s);
    }

    @Override
    public Tensor add(Tensor a, Tensor b) {
        require(Arrays.equals(a.shape(), b.shape()), "add", a, b);
        return out(a.shape());
    }

    @Override
    public Tensor addChannels(Tensor x, Tensor b) {
        require(b.rank() == 2 && x.dim(0) == b.dim(0) && x.dim(1) == b.dim(1), "addChannels", x, b);
        return out(x.shape());
    }

    @Override
    public Tensor scale(Tensor x, float s) {
        return out(x.shape());
    }

    @Override
    public Tensor concat(int axis, Tensor a, Tensor b) {
        int[] sa = a.shape(), sb = b.shape();
        boolean ok = sa.length == sb.length;
        for (int i = 0; ok && i < sa.length; i++) ok = i == axis || sa[i] == sb[i];
        require(ok, "concat", a, b);
        sa[axis] += sb[axis];
        return out(sa);
    }

    @Override
    public Tensor slice(Tensor x, int axis, int start, int end) {
        require(0 <= start && start <= end && end <= x.dim(axis), "slice", x);
        int[] s = x.shape();
        s[axis] = end - start;
        return out(s);
    }

    @Override
    public Tensor toTokens(Tensor x) {
        return out(x.dim(0), x.dim(2) * x.dim(3), x.dim(1));
    }

    @Override
    public Tensor toImage(Tensor x, int height, int width) {
        require(x.dim(1) == height * width, "toImage", x);
        return out(x.dim(0), x.dim(2), height, width);
    }

    @Override
    public Tensor upsampleNearest2x(Tensor x) {
        return out(x.dim(0), x.dim(1), 2 * x.dim(2), 2 * x.dim(3));
    }

    @Override
    public Tensor embedding(Tensor table, int[] ids) {
        for (int id : ids) require(id >= 0 && id < table.dim(0), "embedding", table);
        return out(ids.length, table.dim(1));
    }

    @Override
    public void close() {
    }
}
