package refiner.engine.backend.cuda;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;
import refiner.engine.backend.Activation;
import refiner.engine.backend.Backend;
import refiner.engine.tensor.Tensor;
import refiner.loader.safetensors.TensorInfo;

/**
 * The CUDA backend: hand-written kernels (PTX from the kernels jar) launched through JCuda's
 * driver API on device 0's primary context and one stream. Activations and weights are held in
 * the backend's {@link Precision} (F16 for the text encoder and UNet, F32 for the VAE); every sum,
 * norm statistic and softmax is fp32. Weights are uploaded on first use and cached by the address,
 * size and name of their checkpoint bytes; activation buffers come from a caching allocator and go back to it
 * when their tensor is closed. Use from one thread at a time.
 */
public final class CudaBackend implements Backend {
    private final Precision precision;
    private final CudaProbe probe;
    private final CUcontext context = new CUcontext();
    private final CUdevice device = new CUdevice();
    private final CUstream stream = new CUstream();
    private final DeviceAllocator memory;
    private final Kernels kernels;
    private final int multiprocessors;
    private final Map<WeightKey, Uploaded> weights = new HashMap<>();
    /** The storage of every uploaded weight, and the channels-last copies of convolution weights made from them. */
    private final Set<Object> weightStorage = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Map<Object, Tensor> channelsLast = new IdentityHashMap<>();
    /** Feed-forward projections (and biases) with rows in blocks of 64 values then 64 gates, by the weight's storage. */
    private final Map<Object, Tensor> gegluBlocks = new IdentityHashMap<>();
    private boolean debug;
    private boolean wgmmaAllowed = true;
    private Tiling tiling = Tiling.AUTO;
    private boolean closed;

    private record WeightKey(long address, long bytes, String name) {
    }

    /** A cached upload; holding the source keeps its memory (and so its address) alive. */
    private record Uploaded(TensorInfo source, Tensor tensor) {
    }

    /** Whether CUDA is usable here, and why not; never throws and never breaks the JVM. */
    public static CudaProbe probe() {
        return CudaProbe.run();
    }

    /** Opens device 0; an {@link IllegalStateException} with the probe's reason when CUDA is not usable. */
    public static CudaBackend open(Precision precision) {
        CudaProbe p = probe();
        if (!p.available()) throw new IllegalStateException("CUDA backend unavailable: " + p.reason());
        return new CudaBackend(precision, p);
    }

    private CudaBackend(Precision precision, CudaProbe probe) {
        this.precision = precision;
        this.probe = probe;
        JCudaDriver.cuDeviceGet(device, 0);
        JCudaDriver.cuDevicePrimaryCtxRetain(context, device);
        JCudaDriver.cuCtxSetCurrent(context);
        JCudaDriver.cuStreamCreate(stream, 0);
        this.memory = new DeviceAllocator(stream);
        this.kernels = new Kernels(probe.major(), probe.minor(), stream);
        this.multiprocessors = CudaProbe.attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
    }

    @Override
    public String name() {
        return "cuda";
    }

    public Precision precision() {
        return precision;
    }

    /** The device and driver, as the probe described them. */
    public String device() {
        return probe.reason();
    }

    /**
     * Test mode: fresh buffers are filled with NaN before use, and the stream is synchronised
     * after every launch so that a faulting kernel is named by the error.
     */
    void debug(boolean on) {
        debug = on;
        memory.poison(on);
    }

    DeviceAllocator memory() {
        return memory;
    }

    Kernels kernels() {
        return kernels;
    }

    CUstream stream() {
        return stream;
    }

    CUdevice cuDevice() {
        return device;
    }

    /**
     * Bytes this backend holds on the device: live tensors, uploaded weights and the allocator's
     * free lists. The free lists only shrink when an allocation fails, so this stays near the
     * high-water mark of the backend's use.
     */
    public long deviceBytesHeld() {
        return memory.bytesLive() + memory.bytesCached();
    }

    /** Waits until every launched kernel has finished. */
    public void synchronize() {
        bind();
        JCudaDriver.cuStreamSynchronize(stream);
    }

    // ---- memory -------------------------------------------------------------------------------

    @Override
    public Tensor allocate(int... shape) {
        bind();
        for (int d : shape) if (d < 0) throw new IllegalArgumentException("allocate: negative dimension in " + Arrays.toString(shape));
        long n = Tensor.numel(shape);
        return new Tensor(this, precision.dtype(), shape, memory.allocate(Math.max(1, n) * precision.bytes()), true);
    }

    @Override
    public Tensor upload(float[] data, int... shape) {
        if (Tensor.numel(shape) != data.length) {
            throw new IllegalArgumentException("upload: " + data.length + " values for shape " + Arrays.toString(shape));
        }
        Tensor t = allocate(shape);
        if (data.length == 0) return t;
        if (precision == Precision.F32) {
            JCudaDriver.cuMemcpyHtoD(mem(t).ptr(), Pointer.to(data), (long) data.length * Float.BYTES);
        } else {
            DeviceMemory tmp = memory.allocate((long) data.length * Float.BYTES);
            JCudaDriver.cuMemcpyHtoD(tmp.ptr(), Pointer.to(data), (long) data.length * Float.BYTES);
            launch1d("convert", "f32_to_f16", data.length, new Kernels.Args().ptr(tmp.ptr()).ptr(mem(t).ptr()).l(data.length));
            memory.free(tmp);
        }
        return t;
    }

    @Override
    public float[] download(Tensor t) {
        CUdeviceptr src = in(t, "download");
        long n = t.numel();
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("download: " + t + " has too many elements for a float[]");
        float[] out = new float[(int) n];
        if (n == 0) return out;
        if (precision == Precision.F32) {
            JCudaDriver.cuStreamSynchronize(stream);
            JCudaDriver.cuMemcpyDtoH(Pointer.to(out), src, n * Float.BYTES);
        } else {
            DeviceMemory tmp = memory.allocate(n * Float.BYTES);
            launch1d("convert", "f16_to_f32", n, new Kernels.Args().ptr(src).ptr(tmp.ptr()).l(n));
            JCudaDriver.cuStreamSynchronize(stream);
            JCudaDriver.cuMemcpyDtoH(Pointer.to(out), tmp.ptr(), n * Float.BYTES);
            memory.free(tmp);
        }
        return out;
    }

    @Override
    public Tensor weight(TensorInfo w) {
        bind();
        if (!HostData.isFloat(w.dtype())) throw new IllegalArgumentException("weight '" + w.name() + "': dtype " + w.dtype() + " is not a float type");
        WeightKey key = new WeightKey(w.data().address(), w.byteSize(), w.name());
        Uploaded cached = weights.get(key);
        if (cached != null) return cached.tensor();
        int[] shape = HostData.intShape(w);
        DeviceMemory m = memory.allocate(Math.max(1, w.numel()) * precision.bytes());
        if (HostData.verbatim(w, precision.dtype())) {
            copyIn(m.ptr(), w.data().asByteBuffer(), w.byteSize());
        } else {
            float[] f = HostData.floats(w);
            if (precision == Precision.F32) {
                JCudaDriver.cuMemcpyHtoD(m.ptr(), Pointer.to(f), (long) f.length * Float.BYTES);
            } else {
                short[] h = HostData.halves(f);
                JCudaDriver.cuMemcpyHtoD(m.ptr(), Pointer.to(h), (long) h.length * Short.BYTES);
            }
        }
        Tensor t = new Tensor(this, precision.dtype(), shape, m, false);
        weights.put(key, new Uploaded(w, t));
        weightStorage.add(m);
        return t;
    }

    private static void copyIn(CUdeviceptr dst, ByteBuffer src, long bytes) {
        if (bytes > 0) JCudaDriver.cuMemcpyHtoD(dst, Pointer.to(src), bytes);
    }

    @Override
    public void release(Tensor t) {
        if (t.backend() == this && t.isOwner() && !closed) memory.free((DeviceMemory) t.storage());
    }

    @Override
    public void close() {
        if (closed) return;
        bind();
        JCudaDriver.cuStreamSynchronize(stream);
        memory.freeAll();
        weights.clear();
        weightStorage.clear();
        channelsLast.clear();
        gegluBlocks.clear();
        kernels.unload();
        JCudaDriver.cuStreamDestroy(stream);
        JCudaDriver.cuDevicePrimaryCtxRelease(device);
        closed = true;
    }

    // ---- dense layers -------------------------------------------------------------------------

    /** Dynamic shared memory of the sm_90a product kernels (gemm_wgmma.cu): 3 stages of 32 KB and 1 KB of alignment slack. */
    static final int WGMMA_SHARED_BYTES = 3 * 32768 + 1024;
    /** The same for their warp-specialised versions: 4 stages of 48 KB ({@code _ws256}) or 6 of 32 KB ({@code _pp128}). */
    static final int WGMMA_WS_SHARED_BYTES = 4 * 49152 + 1024;

    /**
     * Whether a product runs on the sm_90a kernels: fp16 on a compute capability 9.0 device, rows
     * of whole 16-byte chunks ({@code k}: the reduction length of a dense layer, the input channels
     * of a convolution; buffers are 256-byte aligned).
     */
    private boolean wgmma(int k) {
        return wgmmaAllowed && precision == Precision.F16 && kernels.hopper() && k % 8 == 0;
    }

    /**
     * A copy {@code make} derives from {@code w} in a layout a kernel needs: for an uploaded weight,
     * made on first use and kept in {@code cache} as long as the weight; otherwise a fresh copy, for
     * {@link #release(Tensor, Tensor)}.
     */
    private Tensor derived(Map<Object, Tensor> cache, Tensor w, Function<Tensor, Tensor> make) {
        Tensor cached = cache.get(w.storage());
        if (cached != null) return cached;
        Tensor t = make.apply(w);
        if (weightStorage.contains(w.storage())) cache.put(w.storage(), t);
        return t;
    }

    /** Closes {@code copy}, derived from {@code w}, unless it is w itself or kept with the weight. */
    private void release(Tensor copy, Tensor w) {
        if (copy != w && !weightStorage.contains(w.storage())) copy.close();
    }

    /**
     * The convolution weight {@code w} [O, C, k, k] as [O, k, k, C] for the channels-last kernels (the
     * same tensor for 1x1 kernels), {@link #derived derived} from it.
     */
    private Tensor channelsLastWeight(Tensor w) {
        int o = w.dim(0), c = w.dim(1), kk = w.dim(2) * w.dim(3);
        if (kk == 1) return w;
        return derived(channelsLast, w, v -> {
            Tensor t = allocate(o, v.dim(2), v.dim(3), c);
            transpose(out(v), out(t), o, c, kk);
            return t;
        });
    }

    /** Whether a dense layer of reduction {@code k} and {@code n} outputs runs on the sm_90a kernels. */
    private boolean wgmmaDense(int k, int n) {
        return wgmma(k) && n % 8 == 0;
    }

    /** Lets products use the sm_90a kernels where they apply (the default), or keeps them on WMMA: for comparisons. */
    void allowWgmma(boolean on) {
        wgmmaAllowed = on;
    }

    /** The sm_90a product kernels (gemm_wgmma.cu). */
    public enum Tiling {
        /** The rule of {@link #auto(long, int, int, boolean, int)} (the default). */
        AUTO("", 128, 256),
        /** v2: every thread copies and multiplies, one 128 x 128 tile a block, two blocks an SM. */
        SHARED_128("", 128, 256),
        /** v4: warp-specialised and persistent, 128 x 256 tiles, one block an SM. */
        SPECIALISED_256("_ws256", 256, 384),
        /** v5: v4's loaders with 128 x 128 tiles, each product warpgroup taking whole tiles in turn. */
        PINGPONG_128("_pp128", 128, 384);

        final String suffix;
        final int columns, threads;

        Tiling(String suffix, int columns, int threads) {
            this.suffix = suffix;
            this.columns = columns;
            this.threads = threads;
        }

        /**
         * The rule of {@link #AUTO} on a device of {@code sms} multiprocessors, for a dense layer
         * ({@code dense}) or a convolution, from the UNet's shapes at 1024 px on an H100 (runs 15-20
         * of docs/perf.md):
         * <ul>
         * <li>v4 where v2's 128 x 128 tiles need a second block on some SMs while v4's 128 x 256
         * tiles fit in one round, over a reduction of 6144 or more: the 3x3 convolutions of 1536
         * channels at 32 x 32 (K = 13824; 31 % faster than v2) and the feed-forward output of 1536
         * channels over 2048 rows (K = 6144; 30 % faster with the tensor memory accelerator);</li>
         * <li>v5 for the other dense layers over a reduction of 3072 or more, whose stages its
         * tensor memory accelerator copies (the feed-forward output of 768 channels over 8192 rows,
         * K = 3072: 13 % faster than v2);</li>
         * <li>v2 elsewhere: the reductions of 768 and 1536 and the convolutions up to K = 6912.</li>
         * </ul>
         */
        static Tiling auto(long rows, int n, int k, boolean dense, int sms) {
            long tiles = ceilL(rows, 128);
            if (tiles * ceil(n, 128) > sms && tiles * ceil(n, 256) <= sms && k >= 6144) return SPECIALISED_256;
            return dense && k >= 3072 ? PINGPONG_128 : SHARED_128;
        }
    }

    /** Sets which sm_90a kernels the products run on ({@link Tiling#AUTO} unless changed): for tests and comparisons. */
    public void tiling(Tiling rule) {
        tiling = rule;
    }

    /** The kernels an sm_90a product of {@code rows} x {@code n} over a reduction of {@code k} runs on. */
    private Tiling tiling(long rows, int n, int k, boolean dense) {
        return tiling != Tiling.AUTO ? tiling : Tiling.auto(rows, n, k, dense, multiprocessors);
    }

    /**
     * Launches an sm_90a product of {@code rows} x {@code n} over a reduction of {@code k}, kernel
     * {@code family + tiling suffix}: v2 as a grid of tiles, v4 and v5 as one block per SM at most,
     * looping over the tiles. A dense layer's operands {@code x [rows, k]} and {@code w [n, k]}
     * also go to v4 and v5 as tensor maps (null for a convolution).
     */
    private void launchWgmma(String family, long rows, int n, int k, Kernels.Args args, CUdeviceptr x, CUdeviceptr w) {
        Tiling t = tiling(rows, n, k, x != null);
        int tilesN = ceil(n, t.columns), tilesM = (int) ceilL(rows, 128);
        if (t == Tiling.SHARED_128) {
            kernels.launch("gemm_wgmma", family, tilesN, tilesM, 1, t.threads, 1, WGMMA_SHARED_BYTES, args);
        } else {
            if (x != null) args.bytes(TensorMaps.fp16Rows(x, k, rows, 128)).bytes(TensorMaps.fp16Rows(w, k, n, t.columns));
            int blocks = (int) Math.min((long) tilesN * tilesM, multiprocessors);
            kernels.launch("gemm_wgmma", family + t.suffix, blocks, 1, 1, t.threads, 1, WGMMA_WS_SHARED_BYTES, args);
        }
    }

    /** Whether this device runs the sm_90a product kernels. */
    public boolean hasWgmma() {
        return kernels.hopper();
    }

    @Override
    public Tensor linear(Tensor x, Tensor w, Tensor bias) {
        return linear(x, w, bias, null, "linear");
    }

    /** On the sm_90a kernels the residual is added in the product's epilogue; elsewhere after it. */
    @Override
    public Tensor linear(Tensor x, Tensor w, Tensor bias, Tensor residual) {
        int k = x.dim(-1);
        if (!wgmmaDense(k, w.dim(0))) return Backend.super.linear(x, w, bias, residual);
        return linear(x, w, bias, residual, "linear (with residual)");
    }

    /**
     * On the sm_90a kernels (2F a multiple of 128), the product and the gating in one kernel over
     * a copy of w and bias with rows in blocks of 64 values then their 64 gates, made on first use
     * and kept with an uploaded weight; elsewhere the product, then GEGLU.
     */
    @Override
    public Tensor linearGeglu(Tensor x, Tensor w, Tensor bias) {
        CUdeviceptr px = in(x, "linearGeglu");
        in(w, "linearGeglu");
        int k = x.dim(-1), n = w.dim(0);
        if (!wgmma(k) || n % 128 != 0) return Backend.super.linearGeglu(x, w, bias);
        if (w.rank() != 2 || w.dim(1) != k) throw new IllegalArgumentException("linearGeglu: weight " + w + " does not match input " + x);
        optional(bias, n, "linearGeglu");
        long m = x.numel() / k;
        int[] shape = x.shape();
        shape[shape.length - 1] = n / 2;
        Tensor wb = gegluBlocks(w), bb = bias == null ? null : gegluBlocks(bias);
        try {
            Tensor y = allocate(shape);
            kernels.launch("gemm_wgmma", "linear_wgmma_geglu", n / 128, (int) ceilL(m, 128), 1, 256, 1, WGMMA_SHARED_BYTES,
                    new Kernels.Args().ptr(px).ptr(out(wb)).ptr(bb == null ? new CUdeviceptr() : out(bb)).ptr(out(y)).i((int) m).i(n).i(k));
            return checked(y);
        } finally {
            release(wb, w);
            if (bb != null) release(bb, bias);
        }
    }

    /**
     * t[2F, ...] with its rows (elements, for a bias) in blocks of 64 values then their 64 gates,
     * {@link #derived derived} from it.
     */
    private Tensor gegluBlocks(Tensor t) {
        return derived(gegluBlocks, t, v -> {
            int f = v.dim(0) / 2;
            long row = v.numel() / v.dim(0) * precision.bytes(), block = 64 * row;
            Tensor p = allocate(v.shape());
            CUdeviceptr src = out(v), dst = out(p);
            for (int b = 0; b < f / 64; b++) {
                JCudaDriver.cuMemcpyDtoDAsync(dst.withByteOffset(2 * b * block), src.withByteOffset(b * block), block, stream);
                JCudaDriver.cuMemcpyDtoDAsync(dst.withByteOffset((2 * b + 1) * block), src.withByteOffset(f * row + b * block), block, stream);
            }
            return p;
        });
    }

    private Tensor linear(Tensor x, Tensor w, Tensor bias, Tensor residual, String op) {
        CUdeviceptr px = in(x, op), pw = in(w, op);
        int k = x.dim(-1);
        if (w.rank() != 2 || w.dim(1) != k) throw new IllegalArgumentException(op + ": weight " + w + " does not match input " + x);
        int n = w.dim(0);
        CUdeviceptr pb = optional(bias, n, op);
        long m = x.numel() / Math.max(k, 1);
        int[] shape = x.shape();
        shape[shape.length - 1] = n;
        CUdeviceptr pr = new CUdeviceptr();
        if (residual != null) {
            pr = in(residual, op);
            if (!Arrays.equals(residual.shape(), shape)) throw new IllegalArgumentException(op + ": residual " + residual + " is not the output's shape");
        }
        Tensor y = allocate(shape);
        if (wgmmaDense(k, n)) {
            launchWgmma("linear_wgmma", m, n, k, new Kernels.Args().ptr(px).ptr(pw).ptr(pb).ptr(pr).ptr(out(y)).i((int) m).i(n).i(k), px, pw);
        } else {
            kernels.launch("gemm", "linear_" + precision.suffix(), ceil(n, 128), (int) ceilL(m, 128), 1, 256, 1,
                    new Kernels.Args().ptr(px).ptr(pw).ptr(pb).ptr(out(y)).i((int) m).i(n).i(k));
        }
        return checked(y);
    }

    @Override
    public Tensor conv2d(Tensor x, Tensor w, Tensor bias, int stride, int padding) {
        CUdeviceptr px = in(x, "conv2d"), pw = in(w, "conv2d");
        if (x.rank() != 4 || w.rank() != 4 || w.dim(1) != x.dim(1) || w.dim(2) != w.dim(3)) {
            throw new IllegalArgumentException("conv2d: weight " + w + " does not match input " + x);
        }
        int b = x.dim(0), c = x.dim(1), h = x.dim(2), wd = x.dim(3), o = w.dim(0), ks = w.dim(2);
        int oh = (h + 2 * padding - ks) / stride + 1, ow = (wd + 2 * padding - ks) / stride + 1;
        if (oh < 1 || ow < 1 || stride < 1) throw new IllegalArgumentException("conv2d: kernel " + ks + " stride " + stride + " leaves no output for " + x);
        CUdeviceptr pb = optional(bias, o, "conv2d");
        Tensor y = allocate(b, o, oh, ow);
        // Channels-last kernels (an image transposed for the call, a [O, k, k, C] copy of the weight)
        // where the channels fill whole 16-byte chunks: wgmma on Hopper, else WMMA (fp16) or SIMT (fp32).
        boolean wgmma = wgmma(c);
        String channelsLast = wgmma ? "conv2d_wgmma" : c % (16 / precision.bytes()) == 0 ? "conv2d_nhwc_" + precision.suffix() : null;
        if (channelsLast != null) {
            Tensor wt = channelsLastWeight(w);
            try (Tensor xt = allocate(b, h, wd, c)) {
                transpose(px, out(xt), b, c, h * wd);
                Kernels.Args args = new Kernels.Args().ptr(out(xt)).ptr(out(wt)).ptr(pb).ptr(out(y)).i(b).i(c).i(h).i(wd).i(o).i(ks).i(stride)
                        .i(padding).i(oh).i(ow);
                if (wgmma) launchWgmma(channelsLast, (long) b * oh * ow, o, c * ks * ks, args, null, null);
                else kernels.launch("conv", channelsLast, ceil(o, 128), (int) ceilL((long) b * oh * ow, 128), 1, 256, 1, args);
            } finally {
                release(wt, w);
            }
        } else {
            kernels.launch("conv", "conv2d_" + precision.suffix(), ceil(o, 128), (int) ceilL((long) b * oh * ow, 128), 1, 256, 1,
                    new Kernels.Args().ptr(px).ptr(pw).ptr(pb).ptr(out(y)).i(b).i(c).i(h).i(wd).i(o).i(ks).i(stride).i(padding).i(oh).i(ow));
        }
        return checked(y);
    }

    // ---- normalisation ------------------------------------------------------------------------

    @Override
    public Tensor groupNorm(Tensor x, int groups, Tensor gamma, Tensor beta, float eps, boolean silu) {
        CUdeviceptr px = in(x, "groupNorm");
        int b = x.dim(0), c = x.dim(1);
        if (x.rank() < 2 || groups < 1 || c % groups != 0) throw new IllegalArgumentException("groupNorm: " + groups + " groups do not divide the channels of " + x);
        CUdeviceptr pg = vector(gamma, c, "groupNorm gamma"), pbeta = vector(beta, c, "groupNorm beta");
        int s = (int) (x.numel() / ((long) b * c));
        Tensor y = allocate(x.shape());
        int n = c / groups * s;
        int parts = Math.max(1, Math.min(ceil(4 * multiprocessors, b * groups), n / 2048));  // about 4 blocks per SM
        DeviceMemory partial = memory.allocate((long) b * groups * parts * 3 * Float.BYTES);
        kernels.launch("norm", "group_stats_" + precision.suffix(), b * groups, parts, 1, 256, 1,
                new Kernels.Args().ptr(px).ptr(partial.ptr()).i(n).i(parts));
        kernels.launch("norm", "group_apply_" + precision.suffix(), b * groups, parts, 1, 256, 1,
                new Kernels.Args().ptr(px).ptr(partial.ptr()).ptr(pg).ptr(pbeta).ptr(out(y)).i(c).i(s).i(groups).i(parts).f(eps)
                        .i(silu ? 1 : 0));
        memory.free(partial);  // reused only by later work on the same stream
        return checked(y);
    }

    @Override
    public Tensor layerNorm(Tensor x, Tensor gamma, Tensor beta, float eps) {
        CUdeviceptr px = in(x, "layerNorm");
        int d = x.dim(-1);
        CUdeviceptr pg = vector(gamma, d, "layerNorm gamma"), pbeta = vector(beta, d, "layerNorm beta");
        long rows = x.numel() / d;
        Tensor y = allocate(x.shape());
        if (d % 8 == 0 && d <= 2048) {  // a warp per row, the row in registers
            kernels.launch("norm", "layer_norm_" + precision.suffix(), (int) ceilL(rows, 8), 1, 1, 256, 1,
                    new Kernels.Args().ptr(px).ptr(pg).ptr(pbeta).ptr(out(y)).i((int) rows).i(d).f(eps));
        } else {
            kernels.launch("norm", "layer_norm_rows_" + precision.suffix(), (int) rows, 1, 1, 256, 1,
                    new Kernels.Args().ptr(px).ptr(pg).ptr(pbeta).ptr(out(y)).i(d).f(eps));
        }
        return checked(y);
    }

    // ---- attention ----------------------------------------------------------------------------

    @Override
    public Tensor attention(Tensor q, Tensor k, Tensor v, int heads, boolean causal) {
        CUdeviceptr pq = in(q, "attention"), pk = in(k, "attention"), pv = in(v, "attention");
        if (q.rank() != 3 || k.rank() != 3 || !Arrays.equals(k.shape(), v.shape()) || k.dim(0) != q.dim(0) || k.dim(2) != q.dim(2)
                || heads < 1 || q.dim(2) % heads != 0) {
            throw new IllegalArgumentException("attention: q " + q + ", k " + k + ", v " + v + " with " + heads + " heads do not fit");
        }
        int b = q.dim(0), lq = q.dim(1), lk = k.dim(1), d = q.dim(2) / heads;
        if (d > 512) throw new IllegalArgumentException("attention: head dimension " + d + " above the supported 512");
        float scale = (float) (1.0 / Math.sqrt(d));
        Tensor y = allocate(q.shape());
        if (precision == Precision.F16 && d == 64) {
            kernels.launch("attention_mma", "attn64_mma_f16", ceil(lq, 64), b * heads, 1, 128, 1,
                    new Kernels.Args().ptr(pq).ptr(pk).ptr(pv).ptr(out(y)).i(heads).i(lq).i(lk).i(causal ? 1 : 0).f(scale));
        } else {
            kernels.launch("attention", "attn_generic_" + precision.suffix(), ceil(lq, 8), b * heads, 1, 128, 1,
                    new Kernels.Args().ptr(pq).ptr(pk).ptr(pv).ptr(out(y)).i(heads).i(d).i(lq).i(lk).i(causal ? 1 : 0).f(scale));
        }
        return checked(y);
    }

    // ---- pointwise ----------------------------------------------------------------------------

    @Override
    public Tensor activation(Tensor x, Activation a) {
        CUdeviceptr px = in(x, "activation");
        Tensor y = allocate(x.shape());
        launch1d("activation", "act_" + precision.suffix(), x.numel(), new Kernels.Args().ptr(px).ptr(out(y)).l(x.numel()).i(a.ordinal()));
        return checked(y);
    }

    @Override
    public Tensor geglu(Tensor x) {
        CUdeviceptr px = in(x, "geglu");
        if (x.dim(-1) % 2 != 0) throw new IllegalArgumentException("geglu: last dimension of " + x + " is odd");
        int f = x.dim(-1) / 2;
        int[] shape = x.shape();
        shape[shape.length - 1] = f;
        Tensor y = allocate(shape);
        long rows = x.numel() / x.dim(-1);
        launch1d("activation", "geglu_" + precision.suffix(), rows * f, new Kernels.Args().ptr(px).ptr(out(y)).l(rows).i(f));
        return checked(y);
    }

    @Override
    public Tensor add(Tensor a, Tensor b) {
        CUdeviceptr pa = in(a, "add"), pb = in(b, "add");
        if (!Arrays.equals(a.shape(), b.shape())) throw new IllegalArgumentException("add: shapes differ: " + a + " and " + b);
        Tensor y = allocate(a.shape());
        launch1d("activation", "add_" + precision.suffix(), a.numel(), new Kernels.Args().ptr(pa).ptr(pb).ptr(out(y)).l(a.numel()));
        return checked(y);
    }

    @Override
    public Tensor addChannels(Tensor x, Tensor b) {
        CUdeviceptr px = in(x, "addChannels"), pb = in(b, "addChannels");
        if (x.rank() < 2 || b.numel() != (long) x.dim(0) * x.dim(1)) {
            throw new IllegalArgumentException("addChannels: " + b + " is not [B, C] of " + x);
        }
        Tensor y = allocate(x.shape());
        int s = (int) (x.numel() / b.numel());
        launch1d("activation", "add_channels_" + precision.suffix(), x.numel(), new Kernels.Args().ptr(px).ptr(pb).ptr(out(y)).l(x.numel()).i(s));
        return checked(y);
    }

    @Override
    public Tensor scale(Tensor x, float s) {
        CUdeviceptr px = in(x, "scale");
        Tensor y = allocate(x.shape());
        launch1d("activation", "scale_" + precision.suffix(), x.numel(), new Kernels.Args().ptr(px).ptr(out(y)).l(x.numel()).f(s));
        return checked(y);
    }

    // ---- layout -------------------------------------------------------------------------------

    @Override
    public Tensor concat(int axis, Tensor a, Tensor b) {
        CUdeviceptr pa = in(a, "concat"), pb = in(b, "concat");
        if (a.rank() != b.rank() || axis < 0 || axis >= a.rank()) throw new IllegalArgumentException("concat: axis " + axis + " of " + a + " and " + b);
        int[] shape = a.shape();
        for (int i = 0; i < shape.length; i++) {
            if (i != axis && shape[i] != b.dim(i)) throw new IllegalArgumentException("concat: " + a + " and " + b + " differ off axis " + axis);
        }
        shape[axis] = a.dim(axis) + b.dim(axis);
        Tensor y = allocate(shape);
        int inner = (int) product(shape, axis + 1, shape.length);
        launch1d("layout", "concat_" + precision.suffix(), y.numel(),
                new Kernels.Args().ptr(pa).ptr(pb).ptr(out(y)).l(y.numel()).i(a.dim(axis)).i(b.dim(axis)).i(inner));
        return checked(y);
    }

    @Override
    public Tensor slice(Tensor x, int axis, int start, int end) {
        CUdeviceptr px = in(x, "slice");
        if (axis < 0 || axis >= x.rank() || start < 0 || end > x.dim(axis) || start > end) {
            throw new IllegalArgumentException("slice: [" + start + ", " + end + ") on axis " + axis + " of " + x);
        }
        int[] shape = x.shape();
        shape[axis] = end - start;
        Tensor y = allocate(shape);
        int inner = (int) product(shape, axis + 1, shape.length);
        launch1d("layout", "slice_" + precision.suffix(), y.numel(),
                new Kernels.Args().ptr(px).ptr(out(y)).l(y.numel()).i(x.dim(axis)).i(start).i(end - start).i(inner));
        return checked(y);
    }

    @Override
    public Tensor toTokens(Tensor x) {
        CUdeviceptr px = in(x, "toTokens");
        if (x.rank() != 4) throw new IllegalArgumentException("toTokens: " + x + " is not [B, C, H, W]");
        int b = x.dim(0), c = x.dim(1), s = x.dim(2) * x.dim(3);
        Tensor y = allocate(b, s, c);
        transpose(px, out(y), b, c, s);
        return checked(y);
    }

    @Override
    public Tensor toImage(Tensor x, int height, int width) {
        CUdeviceptr px = in(x, "toImage");
        if (x.rank() != 3 || (long) height * width != x.dim(1)) throw new IllegalArgumentException("toImage: " + x + " is not [B, " + height + "*" + width + ", C]");
        int b = x.dim(0), c = x.dim(2);
        Tensor y = allocate(b, c, height, width);
        transpose(px, out(y), b, height * width, c);
        return checked(y);
    }

    /** y[b, cc, r] = x[b, r, cc]. */
    private void transpose(CUdeviceptr x, CUdeviceptr y, int b, int r, int cc) {
        kernels.launch("layout", "transpose_" + precision.suffix(), ceil(cc, 32), ceil(r, 32), b, 32, 8,
                new Kernels.Args().ptr(x).ptr(y).i(r).i(cc));
    }

    @Override
    public Tensor upsampleNearest2x(Tensor x) {
        CUdeviceptr px = in(x, "upsampleNearest2x");
        if (x.rank() != 4) throw new IllegalArgumentException("upsampleNearest2x: " + x + " is not [B, C, H, W]");
        Tensor y = allocate(x.dim(0), x.dim(1), 2 * x.dim(2), 2 * x.dim(3));
        launch1d("layout", "upsample2x_" + precision.suffix(), y.numel(),
                new Kernels.Args().ptr(px).ptr(out(y)).l(y.numel()).i(x.dim(2)).i(x.dim(3)));
        return checked(y);
    }

    @Override
    public Tensor embedding(Tensor table, int[] ids) {
        CUdeviceptr pt = in(table, "embedding");
        if (table.rank() != 2) throw new IllegalArgumentException("embedding: table " + table + " is not [V, D]");
        int v = table.dim(0), d = table.dim(1);
        for (int id : ids) {
            if (id < 0 || id >= v) throw new IllegalArgumentException("embedding: id " + id + " outside the table of " + v + " rows");
        }
        Tensor y = allocate(ids.length, d);
        if (ids.length == 0) return y;
        DeviceMemory idBuf = memory.allocate((long) ids.length * Integer.BYTES);
        JCudaDriver.cuMemcpyHtoD(idBuf.ptr(), Pointer.to(ids), (long) ids.length * Integer.BYTES);
        launch1d("layout", "embedding_" + precision.suffix(), y.numel(),
                new Kernels.Args().ptr(pt).ptr(idBuf.ptr()).ptr(out(y)).l(y.numel()).i(d));
        memory.free(idBuf);
        return checked(y);
    }

    // ---- helpers ------------------------------------------------------------------------------

    private void bind() {
        if (closed) throw new IllegalStateException("CUDA backend used after close()");
        JCudaDriver.cuCtxSetCurrent(context);
    }

    private void launch1d(String family, String name, long n, Kernels.Args args) {
        kernels.launch1d(family, name, n, args);
        if (debug) syncNamed(name);
    }

    private Tensor checked(Tensor y) {
        if (debug) syncNamed("the kernel writing " + y);
        return y;
    }

    private void syncNamed(String what) {
        try {
            JCudaDriver.cuStreamSynchronize(stream);
        } catch (RuntimeException e) {
            throw new IllegalStateException("CUDA: " + what + " failed: " + e.getMessage(), e);
        }
    }

    private static DeviceMemory mem(Tensor t) {
        return (DeviceMemory) t.storage();
    }

    /** The device address of an input, after checking it belongs here and has this precision. */
    private CUdeviceptr in(Tensor t, String op) {
        bind();
        if (t == null) throw new IllegalArgumentException(op + ": missing input tensor");
        if (t.backend() != this) throw new IllegalArgumentException(op + ": " + t + " belongs to another backend");
        if (t.dtype() != precision.dtype()) throw new IllegalArgumentException(op + ": " + t + " is not " + precision.dtype());
        if (t.isClosed()) throw new IllegalArgumentException(op + ": " + t + " was closed");
        return mem(t).ptr();
    }

    private static CUdeviceptr out(Tensor t) {
        return mem(t).ptr();
    }

    /** A per-channel vector input of {@code n} elements. */
    private CUdeviceptr vector(Tensor t, int n, String what) {
        CUdeviceptr p = in(t, what);
        if (t.numel() != n) throw new IllegalArgumentException(what + ": " + t + " should hold " + n + " elements");
        return p;
    }

    /** A bias, or the null device pointer when absent. */
    private CUdeviceptr optional(Tensor bias, int n, String op) {
        return bias == null ? new CUdeviceptr() : vector(bias, n, op + " bias");
    }

    private static int ceil(int a, int b) {
        return (a + b - 1) / b;
    }

    private static long ceilL(long a, int b) {
        return (a + b - 1) / b;
    }

    private static long product(int[] s, int from, int to) {
        long p = 1;
        for (int i = from; i < to; i++) p *= s[i];
        return p;
    }
}
