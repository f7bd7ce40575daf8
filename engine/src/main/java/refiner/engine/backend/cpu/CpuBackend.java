package refiner.engine.backend.cpu;

import java.util.Arrays;
import refiner.engine.backend.Activation;
import refiner.engine.backend.Backend;
import refiner.engine.tensor.Tensor;
import refiner.loader.DType;
import refiner.loader.safetensors.TensorInfo;

/**
 * The CPU backend: F32 activations in pooled {@code float[]} buffers, weights read in place from
 * the mapped checkpoint and widened inside the kernels.
 */
public final class CpuBackend implements Backend {
    private final BufferPool buffers = new BufferPool(Runtime.getRuntime().maxMemory() / 4 / Float.BYTES);
    private final Attention attention = new Attention();
    private final WorkerPool pool;
    private final Gemm gemm;
    private final Winograd winograd;

    /** A backend using every available processor. */
    public CpuBackend() {
        this(Runtime.getRuntime().availableProcessors());
    }

    /** A backend running its kernels on {@code threads} worker threads. */
    public CpuBackend(int threads) {
        if (threads < 1) throw new IllegalArgumentException("CpuBackend: thread count " + threads + " must be at least 1");
        this.pool = new WorkerPool(threads);
        this.gemm = new Gemm(pool);
        this.winograd = new Winograd(pool, gemm);
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
    public void trim() {
        buffers.clear();
        gemm.trim();
        winograd.trim();
        attention.trim();
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

    // ---- dense layers -------------------------------------------------------------------------

    @Override
    public Tensor linear(Tensor x, Tensor w, Tensor bias) {
        return product(x, w, bias, null);
    }

    /** The residual is added to each block of rows of the product as its last K slice ends. */
    @Override
    public Tensor linear(Tensor x, Tensor w, Tensor bias, Tensor residual) {
        HostTensors.check(this, residual, "linear residual");
        return product(x, w, bias, residual);
    }

    /** x W^T + bias, plus {@code residual} unless it is null. */
    private Tensor product(Tensor x, Tensor w, Tensor bias, Tensor residual) {
        int k = checkLinear("linear", x, w), n = w.dim(0);
        if (residual != null && !Arrays.equals(residual.shape(), rows(x, n))) {
            throw new IllegalArgumentException("linear: residual " + residual + " does not match x " + x + " and w " + w);
        }
        float[] b = vector("linear bias", bias, n);
        Tensor y = allocate(rows(x, n));
        gemm.multiply((int) (x.numel() / k), n, k, new RowPacker(x, 0, k), new RowPacker(w, 0, k), data(y), 0, n, n, 0, null, b,
                Gemm.Epilogue.residual(residual == null ? null : data(residual)));
        return y;
    }

    /**
     * One product over W's rows in pairs of strips (values, then their gates; see
     * {@link GegluColumns}), each block of rows gated as its last K slice ends.
     */
    @Override
    public Tensor linearGeglu(Tensor x, Tensor w, Tensor bias) {
        int k = checkLinear("linearGeglu", x, w), f2 = w.dim(0);
        if (f2 % 2 != 0) throw new IllegalArgumentException("linearGeglu: odd number of rows in w " + w);
        int f = f2 / 2, n = GegluColumns.columns(f), m = (int) (x.numel() / k);
        float[] b = GegluColumns.bias(vector("linearGeglu bias", bias, f2), f);
        Tensor y = allocate(rows(x, f));
        try (Tensor h = allocate(m, n)) {
            gemm.multiply(m, n, k, new RowPacker(x, 0, k), new GegluColumns(new RowPacker(w, 0, k), f), data(h), 0, n, n, 0, null, b,
                    Gemm.Epilogue.geglu(data(y), f));
        }
        return y;
    }

    /** Checks x[..., K] against w[N, K] and returns K. */
    private int checkLinear(String op, Tensor x, Tensor w) {
        HostTensors.check(this, x, op + " x");
        HostTensors.check(this, w, op + " w");
        HostTensors.rank(op, w, 2);
        int k = x.dim(-1);
        if (w.dim(1) != k) throw new IllegalArgumentException(op + ": x " + x + " does not match w " + w);
        return k;
    }

    /** x's shape with its last dimension replaced by n. */
    private static int[] rows(Tensor x, int n) {
        int[] shape = x.shape();
        shape[shape.length - 1] = n;
        return shape;
    }

    @Override
    public Tensor conv2d(Tensor x, Tensor w, Tensor bias, int stride, int padding) {
        return convolve(x, w, bias, stride, padding, padding, padding, padding, null);
    }

    /** The residual is added as the output is written: by Winograd's output transform, or to each block of the product's rows. */
    @Override
    public Tensor conv2d(Tensor x, Tensor w, Tensor bias, int stride, int padding, Tensor residual) {
        HostTensors.check(this, residual, "conv2d residual");
        return convolve(x, w, bias, stride, padding, padding, padding, padding, residual);
    }

    @Override
    public Tensor conv2dPadded(Tensor x, Tensor w, Tensor bias, int stride, int top, int bottom, int left, int right) {
        return convolve(x, w, bias, stride, top, bottom, left, right, null);
    }

    /**
     * Reads the borders as zeros, so an asymmetric padding needs no padded copy of x (538 MB for
     * the VAE encoder's first downsampling at 1024 px). Symmetric ones may run as Winograd's or
     * {@link FewOutputsConv}'s; every other as products over image patches. {@code residual}
     * (or null) is added to the output.
     */
    private Tensor convolve(Tensor x, Tensor w, Tensor bias, int stride, int top, int bottom, int left, int right, Tensor residual) {
        checkConv(x, w);
        int b = x.dim(0), c = x.dim(1), h = x.dim(2), wd = x.dim(3);
        int o = w.dim(0), ks = w.dim(2);
        boolean symmetric = top == bottom && top == left && top == right;
        if (stride < 1 || Math.min(Math.min(top, bottom), Math.min(left, right)) < 0) {
            throw new IllegalArgumentException("conv2d: stride " + stride + ", padding " + (symmetric ? top : top + " " + bottom + " " + left + " " + right));
        }
        if (h + top + bottom < ks || wd + left + right < ks) throw new IllegalArgumentException("conv2d: kernel " + ks + " larger than padded input " + x);
        int oh = (h + top + bottom - ks) / stride + 1, ow = (wd + left + right - ks) / stride + 1;
        float[] bv = vector("conv2d bias", bias, o);
        if (residual != null && !Arrays.equals(residual.shape(), new int[] {b, o, oh, ow})) {
            throw new IllegalArgumentException("conv2d: residual " + residual + " does not match the output [" + b + ", " + o + ", " + oh + ", " + ow + "]");
        }
        float[] xs = data(x), rs = residual == null ? null : data(residual);
        Tensor y = allocate(b, o, oh, ow);
        float[] ys = data(y);
        if (symmetric && FewOutputsConv.suits(ks, stride, top, o, wd)) {
            FewOutputsConv.conv(pool, xs, w, bv, ys, b, c, h, wd, o);
            if (rs != null) Elementwise.add(pool, rs, ys, ys, ys.length);
            return y;
        }
        WinogradTiling tiling = symmetric ? Winograd.tiling(ks, stride, top, b, c, h, wd, o) : null;
        if (tiling != null) {
            winograd.conv(xs, w, bv, rs, ys, b, c, h, wd, o, tiling);
            return y;
        }
        im2col(xs, w, bv, rs, ys, b, c, h, wd, o, ks, stride, top, left, oh, ow);
        return y;
    }

    /** Throws unless x[B, C, H, W] and w[O, C, k, k] are this backend's and fit each other. */
    private void checkConv(Tensor x, Tensor w) {
        HostTensors.check(this, x, "conv2d x");
        HostTensors.check(this, w, "conv2d w");
        HostTensors.rank("conv2d", x, 4);
        HostTensors.rank("conv2d", w, 4);
        if (w.dim(1) != x.dim(1) || w.dim(3) != w.dim(2)) throw new IllegalArgumentException("conv2d: x " + x + " does not match w " + w);
    }

    /** A convolution as products over image patches, {@code padY} rows above and {@code padX} columns left of x read as zeros, as all beyond it. */
    private void im2col(float[] xs, Tensor w, float[] bv, float[] rs, float[] ys, int b, int c, int h, int wd, int o, int ks, int stride, int padY,
                        int padX, int oh, int ow) {
        int p = oh * ow, kk = c * ks * ks;
        RowPacker weights = new RowPacker(w, 0, kk);
        Gemm.Epilogue e = Gemm.Epilogue.residual(rs);
        if (p % Gemm.NR == 0) {
            Im2colPacker patches = new Im2colPacker(xs, 0, c, h, wd, ks, stride, padY, padX, oh, ow);
            gemm.multiply(o, b * p, kk, weights, patches, ys, 0, p, p, o * p, bv, null, e);
        } else {
            for (int n = 0; n < b; n++) {
                Im2colPacker patches = new Im2colPacker(xs, n * c * h * wd, c, h, wd, ks, stride, padY, padX, oh, ow);
                gemm.multiply(o, p, kk, weights, patches, ys, n * o * p, p, p, 0, bv, null, e);
            }
        }
    }

    // ---- normalisation ------------------------------------------------------------------------

    @Override
    public Tensor groupNorm(Tensor x, int groups, Tensor gamma, Tensor beta, float eps, boolean silu) {
        HostTensors.check(this, x, "groupNorm x");
        if (x.rank() < 2) throw new IllegalArgumentException("groupNorm: expected [B, C, ...], got " + x);
        int b = x.dim(0), c = x.dim(1);
        if (groups < 1 || c % groups != 0) throw new IllegalArgumentException("groupNorm: " + c + " channels in " + groups + " groups");
        float[] g = vector("groupNorm gamma", gamma, c), be = vector("groupNorm beta", beta, c);
        Tensor y = allocate(x.shape());
        Norms.groupNorm(pool, data(x), data(y), b, c, HostTensors.prod(x.shape(), 2, x.rank()), groups, g, be, eps, silu);
        return y;
    }

    @Override
    public Tensor layerNorm(Tensor x, Tensor gamma, Tensor beta, float eps) {
        HostTensors.check(this, x, "layerNorm x");
        int d = x.dim(-1);
        float[] g = vector("layerNorm gamma", gamma, d), be = vector("layerNorm beta", beta, d);
        Tensor y = allocate(x.shape());
        Norms.layerNorm(pool, data(x), data(y), (int) (x.numel() / d), d, g, be, eps);
        return y;
    }

    // ---- attention ----------------------------------------------------------------------------

    @Override
    public Tensor attention(Tensor q, Tensor k, Tensor v, int heads, boolean causal) {
        for (Tensor t : new Tensor[] {q, k, v}) {
            HostTensors.check(this, t, "attention input");
            HostTensors.rank("attention", t, 3);
        }
        int b = q.dim(0), lq = q.dim(1), e = q.dim(2), lk = k.dim(1);
        if (heads < 1 || e % heads != 0 || k.dim(2) != e || v.dim(2) != e || k.dim(0) != b || v.dim(0) != b || v.dim(1) != lk || lk < 1) {
            throw new IllegalArgumentException("attention: q " + q + ", k " + k + ", v " + v + ", " + heads + " heads");
        }
        Tensor y = allocate(b, lq, e);
        attention.run(pool, data(q), data(k), data(v), data(y), b, lq, lk, heads, e / heads, causal);
        return y;
    }

    // ---- pointwise ----------------------------------------------------------------------------

    @Override
    public Tensor activation(Tensor x, Activation a) {
        HostTensors.check(this, x, "activation x");
        Tensor y = allocate(x.shape());
        Elementwise.activation(pool, data(x), data(y), (int) x.numel(), a);
        return y;
    }

    @Override
    public Tensor geglu(Tensor x) {
        HostTensors.check(this, x, "geglu x");
        int f2 = x.dim(-1);
        if (f2 % 2 != 0) throw new IllegalArgumentException("geglu: odd last dimension in " + x);
        int[] shape = x.shape();
        shape[shape.length - 1] = f2 / 2;
        Tensor y = allocate(shape);
        Elementwise.geglu(pool, data(x), data(y), (int) (x.numel() / f2), f2 / 2);
        return y;
    }

    @Override
    public Tensor add(Tensor a, Tensor b) {
        HostTensors.check(this, a, "add a");
        HostTensors.check(this, b, "add b");
        HostTensors.sameShape("add", a, b);
        Tensor y = allocate(a.shape());
        Elementwise.add(pool, data(a), data(b), data(y), (int) a.numel());
        return y;
    }

    @Override
    public Tensor addChannels(Tensor x, Tensor b) {
        HostTensors.check(this, x, "addChannels x");
        if (x.rank() < 2) throw new IllegalArgumentException("addChannels: expected [B, C, ...], got " + x);
        int planes = x.dim(0) * x.dim(1);
        float[] bv = vector("addChannels b", b, planes);
        Tensor y = allocate(x.shape());
        Elementwise.addPlanes(pool, data(x), bv, data(y), planes, HostTensors.prod(x.shape(), 2, x.rank()));
        return y;
    }

    @Override
    public Tensor scale(Tensor x, float s) {
        HostTensors.check(this, x, "scale x");
        Tensor y = allocate(x.shape());
        Elementwise.scale(pool, data(x), s, data(y), (int) x.numel());
        return y;
    }

    // ---- layout -------------------------------------------------------------------------------

    @Override
    public Tensor concat(int axis, Tensor a, Tensor b) {
        HostTensors.check(this, a, "concat a");
        HostTensors.check(this, b, "concat b");
        int[] sa = a.shape(), sb = b.shape();
        if (sa.length != sb.length || axis < 0 || axis >= sa.length) throw new IllegalArgumentException("concat on axis " + axis + ": " + a + " and " + b);
        for (int i = 0; i < sa.length; i++) {
            if (i != axis && sa[i] != sb[i]) throw new IllegalArgumentException("concat on axis " + axis + ": " + a + " and " + b);
        }
        int[] shape = sa.clone();
        shape[axis] = sa[axis] + sb[axis];
        Tensor y = allocate(shape);
        Layout.concat(pool, data(a), data(b), data(y), HostTensors.prod(sa, 0, axis), HostTensors.prod(sa, axis, sa.length), HostTensors.prod(sb, axis, sb.length));
        return y;
    }

    @Override
    public Tensor slice(Tensor x, int axis, int start, int end) {
        HostTensors.check(this, x, "slice x");
        int[] s = x.shape();
        if (axis < 0 || axis >= s.length || start < 0 || end > s[axis] || start > end) {
            throw new IllegalArgumentException("slice [" + start + ", " + end + ") on axis " + axis + " of " + x);
        }
        int[] shape = s.clone();
        shape[axis] = end - start;
        Tensor y = allocate(shape);
        int inner = HostTensors.prod(s, axis + 1, s.length);
        Layout.slice(pool, data(x), data(y), HostTensors.prod(s, 0, axis), s[axis] * inner, start * inner, (end - start) * inner);
        return y;
    }

    @Override
    public Tensor toTokens(Tensor x) {
        HostTensors.check(this, x, "toTokens x");
        HostTensors.rank("toTokens", x, 4);
        int b = x.dim(0), c = x.dim(1), hw = x.dim(2) * x.dim(3);
        Tensor y = allocate(b, hw, c);
        Layout.transpose(pool, data(x), data(y), b, c, hw);
        return y;
    }

    @Override
    public Tensor toImage(Tensor x, int height, int width) {
        HostTensors.check(this, x, "toImage x");
        HostTensors.rank("toImage", x, 3);
        int b = x.dim(0), hw = x.dim(1), c = x.dim(2);
        if (hw != height * width) throw new IllegalArgumentException("toImage: " + x + " is not " + height + " x " + width + " tokens");
        Tensor y = allocate(b, c, height, width);
        Layout.transpose(pool, data(x), data(y), b, hw, c);
        return y;
    }

    @Override
    public Tensor pad2d(Tensor x, int top, int bottom, int left, int right) {
        HostTensors.check(this, x, "pad2d x");
        HostTensors.rank("pad2d", x, 4);
        if (top < 0 || bottom < 0 || left < 0 || right < 0) throw new IllegalArgumentException("pad2d: negative padding");
        int h = x.dim(2), w = x.dim(3);
        Tensor y = allocate(x.dim(0), x.dim(1), h + top + bottom, w + left + right);
        Layout.pad(pool, data(x), data(y), x.dim(0) * x.dim(1), h, w, top, bottom, left, right);
        return y;
    }

    /**
     * Runs as Winograd's convolution where it would over the upsampled image, its input transform
     * reading each source pixel twice: no upsampled copy (1 GB for the VAE decoder's last one at
     * 1024 px). Otherwise upsamples, then convolves.
     */
    @Override
    public Tensor conv2dUpsampled(Tensor x, Tensor w, Tensor bias, int padding) {
        checkConv(x, w);
        int b = x.dim(0), c = x.dim(1), h = 2 * x.dim(2), wd = 2 * x.dim(3), o = w.dim(0), ks = w.dim(2);
        WinogradTiling tiling = Winograd.tiling(ks, 1, padding, b, c, h, wd, o);
        if (tiling == null) return Backend.super.conv2dUpsampled(x, w, bias, padding);
        float[] bv = vector("conv2d bias", bias, o);
        Tensor y = allocate(b, o, h, wd);
        winograd.convUpsampled(data(x), w, bv, data(y), b, c, h, wd, o, tiling);
        return y;
    }

    @Override
    public Tensor upsampleNearest2x(Tensor x) {
        HostTensors.check(this, x, "upsampleNearest2x x");
        HostTensors.rank("upsampleNearest2x", x, 4);
        int h = x.dim(2), w = x.dim(3);
        Tensor y = allocate(x.dim(0), x.dim(1), 2 * h, 2 * w);
        Layout.upsample2x(pool, data(x), data(y), x.dim(0) * x.dim(1), h, w);
        return y;
    }

    @Override
    public Tensor embedding(Tensor table, int[] ids) {
        HostTensors.check(this, table, "embedding table");
        HostTensors.rank("embedding", table, 2);
        int vocab = table.dim(0), d = table.dim(1);
        Tensor y = allocate(ids.length, d);
        float[] ys = data(y);
        for (int r = 0; r < ids.length; r++) {
            if (ids[r] < 0 || ids[r] >= vocab) throw new IllegalArgumentException("embedding: id " + ids[r] + " outside [0, " + vocab + ")");
            HostTensors.read(table, (long) ids[r] * d, ys, r * d, d);
        }
        return y;
    }
}
