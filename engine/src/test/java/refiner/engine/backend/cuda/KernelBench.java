package refiner.engine.backend.cuda;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUevent;
import jcuda.driver.JCudaDriver;
import refiner.engine.backend.Activation;
import refiner.engine.backend.cpu.TestWeights;
import refiner.engine.tensor.Tensor;
import refiner.loader.DType;
import refiner.loader.safetensors.TensorInfo;

/**
 * Times each CUDA kernel on the shapes of the full-size SDXL refiner UNet at 1024 px (latents
 * 128 x 128, CFG batch 2, head dim 64) and sets each against the card's ceilings measured in the
 * same run: the highest fp16 tensor rate (mma.sync, {@code peak_mma_f16}, and on compute
 * capability 9.0 wgmma, {@code peak_wgmma_f16}) and the device-to-device copy bandwidth
 * ({@code copy_f32x4}). On a device with the sm_90a kernels each product is timed on every kernel
 * generation side by side: WMMA, then wgmma with every thread copying and multiplying (v2),
 * wgmma warp-specialised on 128 x 256 tiles (v4), and warp-specialised "ping-pong" on 128 x 128
 * tiles (v5). Timing with CUDA events around the repetitions run back to back, queued behind a
 * kernel that holds the stream, after warm-up; their mean is reported. Prints a table last. Exit status 2 when no device is usable.
 * Run: {@code java -cp ... refiner.engine.backend.cuda.KernelBench [repetitions]}.
 */
public final class KernelBench {
    private final CudaBackend cuda;
    private final int reps;
    private final SplittableRandom rnd = new SplittableRandom(42);
    private final List<String> rows;
    private double peakFlops;
    private String peakName;
    /** The product kernels of the rows being timed: 0 WMMA, then the sm_90a tilings below. */
    private int generation;
    private static final String[] GENERATIONS = {" (wmma)", " (wgmma)", " (wgmma ws 256)", " (wgmma pp 128)"};
    private static final CudaBackend.Tiling[] TILINGS = {CudaBackend.Tiling.SHARED_128, CudaBackend.Tiling.SHARED_128,
        CudaBackend.Tiling.SPECIALISED_256, CudaBackend.Tiling.PINGPONG_128};
    private double peakBytes;

    private KernelBench(CudaBackend cuda, int reps, List<String> rows) {
        this.cuda = cuda;
        this.reps = reps;
        this.rows = rows;
    }

    public static void main(String[] args) {
        CudaProbe p = CudaBackend.probe();
        if (!p.available()) {
            System.err.println("KernelBench: no usable CUDA device: " + p.reason());
            System.exit(2);
        }
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        try (CudaBackend cuda = CudaBackend.open(Precision.F16); CudaBackend f32 = CudaBackend.open(Precision.F32)) {
            System.out.println("KernelBench on " + cuda.device() + ", PTX " + cuda.kernels().arch());
            KernelBench b = new KernelBench(cuda, reps, new ArrayList<>());
            b.ceilings();
            b.ops();
            new KernelBench(f32, reps, b.rows).vaeOps();
            b.print();
        }
    }

    /**
     * Mean milliseconds of {@code op} over the repetitions run back to back, after three warm-up
     * runs. The repetitions are queued behind {@code hold}, a kernel that keeps the stream busy
     * until the host has queued them all, so the events time the kernels alone and not the host's
     * launch latency between them; the hold is lengthened and the timing repeated when the host
     * took longer to queue than the hold lasted.
     */
    private double time(Runnable op) {
        for (int i = 0; i < 3; i++) op.run();
        CUevent start = new CUevent(), end = new CUevent();
        JCudaDriver.cuEventCreate(start, 0);
        JCudaDriver.cuEventCreate(end, 0);
        float[] t = new float[1];
        for (long holdNs = 5_000_000; ; holdNs *= 4) {
            cuda.kernels().launch("peak", "hold", 1, 1, 1, 1, 1, new Kernels.Args().l(holdNs));
            long queueing = System.nanoTime();
            JCudaDriver.cuEventRecord(start, cuda.stream());
            for (int i = 0; i < reps; i++) op.run();
            JCudaDriver.cuEventRecord(end, cuda.stream());
            queueing = System.nanoTime() - queueing;
            JCudaDriver.cuEventSynchronize(end);
            if (queueing < holdNs / 2 || holdNs > 1_000_000_000) break;
        }
        JCudaDriver.cuEventElapsedTime(t, start, end);
        JCudaDriver.cuEventDestroy(start);
        JCudaDriver.cuEventDestroy(end);
        return t[0] / reps;
    }

    private void ceilings() {
        int sms = CudaProbe.attribute(cuda.cuDevice(), CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
        int blocks = sms * 8, iters = 8192;
        DeviceMemory sink = cuda.memory().allocate(blocks * 4L);
        double ms = time(() -> cuda.kernels().launch("peak", "peak_mma_f16", blocks, 1, 1, 256, 1,
                new Kernels.Args().ptr(sink.ptr()).i(iters)));
        peakFlops = (double) blocks * 8 * iters * 4 * 2 * 16 * 16 * 16 / (ms * 1e-3);
        peakName = "mma.sync";
        rows.add(String.format(Locale.ROOT, "%-26s %-28s %9s %9.1f %9s %7s", "peak mma.sync f16", blocks + " blocks x " + iters, "",
                peakFlops / 1e12, "", ""));
        if (cuda.hasWgmma()) {
            int wgBlocks = sms * 4, wgIters = 2048;
            double wgMs = time(() -> cuda.kernels().launch("gemm_wgmma", "peak_wgmma_f16", wgBlocks, 1, 1, 256, 1,
                    CudaBackend.WGMMA_SHARED_BYTES, new Kernels.Args().ptr(sink.ptr()).i(wgIters)));
            double wgFlops = (double) wgBlocks * 2 * wgIters * 16 * 2 * 64 * 128 * 16 / (wgMs * 1e-3);
            rows.add(String.format(Locale.ROOT, "%-26s %-28s %9s %9.1f %9s %7s", "peak wgmma f16", wgBlocks + " blocks x " + wgIters, "",
                    wgFlops / 1e12, "", ""));
            if (wgFlops > peakFlops) {
                peakFlops = wgFlops;
                peakName = "wgmma";
            }
        }
        cuda.memory().free(sink);
        long bytes = 1L << 30;
        DeviceMemory a = cuda.memory().allocate(bytes), b = cuda.memory().allocate(bytes);
        JCudaDriver.cuMemsetD8(a.ptr(), (byte) 0x3C, bytes);
        ms = time(() -> cuda.kernels().launch1d("peak", "copy_f32x4", bytes / 16,
                new Kernels.Args().ptr(a.ptr()).ptr(b.ptr()).l(bytes / 16)));
        peakBytes = 2.0 * bytes / (ms * 1e-3);
        cuda.memory().free(a);
        cuda.memory().free(b);
        cuda.memory().trim();
        rows.add(String.format(Locale.ROOT, "%-26s %-28s %9s %9s %9.0f %7s", "peak copy", "2 x 1 GiB", "", "", peakBytes / 1e9, "100%"));
    }

    private Tensor act(int... shape) {
        return cuda.upload(TestWeights.random(rnd, (int) Tensor.numel(shape), 1.0), shape);
    }

    private Tensor weight(double scale, int... shape) {
        TensorInfo w = TestWeights.random(rnd, "bench" + rnd.nextInt(), DType.F16, scale, Arrays.stream(shape).asLongStream().toArray());
        return cuda.weight(w);
    }

    /** Times an op that returns a fresh tensor (closed after each run), flops and minimal bytes given. */
    private double row(String op, String shape, double flops, double bytes, Supplier<Tensor> f) {
        double ms = time(() -> f.get().close());
        double tf = flops / (ms * 1e-3), gb = bytes / (ms * 1e-3);
        String pct = peakFlops == 0 ? "" : flops > 0 ? String.format(Locale.ROOT, "%.0f%%", 100 * tf / peakFlops)
                : String.format(Locale.ROOT, "%.0f%%", 100 * gb / peakBytes);
        rows.add(String.format(Locale.ROOT, "%-26s %-28s %9.3f %9s %9.0f %7s", op, shape, ms,
                flops > 0 ? String.format(Locale.ROOT, "%.1f", tf / 1e12) : "", gb / 1e9, pct));
        return ms;
    }

    private void ops() {
        int[][] gemms = {{8192, 768, 768}, {8192, 768, 6144}, {8192, 3072, 768}, {2048, 1536, 1536}, {2048, 1536, 12288},
            {2048, 6144, 1536}, {154, 1280, 768}, {154, 1280, 1536}};
        for (int[] g : gemms) {
            int m = g[0], k = g[1], n = g[2];
            Tensor x = act(m, k), w = weight(1 / Math.sqrt(k), n, k), b = weight(0.1, n);
            double flops = 2.0 * m * n * k, bytes = 2.0 * ((double) m * k + (double) n * k + (double) m * n);
            String shape = m + "x" + k + " * " + n + "x" + k + "^T";
            generations(() -> row("linear" + generation(), shape, flops, bytes, () -> cuda.linear(x, w, b)));
            x.close();
        }
        // An attention's and a feed-forward's output projections added back to the stream: the
        // residual read in the epilogue.
        for (int k : new int[] {768, 3072}) {
            try (Tensor x = act(8192, k); Tensor r = act(8192, 768)) {
                Tensor w = weight(1 / Math.sqrt(k), 768, k), b = weight(0.1, 768);
                double flops = 2.0 * 8192 * 768 * k, bytes = 2.0 * (8192.0 * k + 2.0 * 8192 * 768 + 768.0 * k);
                generations(() -> row("linear + residual" + generation(), "8192x" + k + " * 768x" + k + "^T", flops, bytes,
                        () -> cuda.linear(x, w, b, r)));
            }
        }
        // A feed-forward projection and its gating in one kernel, against the "linear" row of the
        // same product plus the "geglu" row below.
        try (Tensor x = act(8192, 768)) {
            Tensor w = weight(1 / Math.sqrt(768), 6144, 768), b = weight(0.1, 6144);
            double flops = 2.0 * 8192 * 768 * 6144, bytes = 2.0 * (8192.0 * 768 + 6144.0 * 768 + 8192.0 * 3072);
            row("linear + geglu", "8192x768 * 6144x768^T -> 3072", flops, bytes, () -> cuda.linearGeglu(x, w, b));
        }
        int[][] convs = {{2, 384, 128, 384}, {2, 768, 64, 768}, {2, 1536, 32, 1536}, {2, 4, 128, 384}};
        for (int[] c : convs) {
            int bsz = c[0], ch = c[1], hw = c[2], o = c[3];
            Tensor x = act(bsz, ch, hw, hw), w = weight(1 / Math.sqrt(ch * 9.0), o, ch, 3, 3), b = weight(0.1, o);
            double flops = 2.0 * bsz * hw * hw * o * ch * 9;
            double bytes = 2.0 * ((double) bsz * ch * hw * hw + (double) o * ch * 9 + (double) bsz * o * hw * hw);
            String shape = bsz + "x" + ch + "x" + hw + "x" + hw + " -> " + o;
            generations(() -> row("conv2d 3x3" + generation(), shape, flops, bytes, () -> cuda.conv2d(x, w, b, 1, 1)));
            x.close();
        }
        int[][] attns = {{2, 4096, 4096, 12}, {2, 4096, 77, 12}, {2, 1024, 1024, 24}, {2, 1024, 77, 24}};
        double fusedSelf4096 = 0;
        for (int[] a : attns) {
            int bsz = a[0], lq = a[1], lk = a[2], h = a[3], d = 64;
            Tensor q = act(bsz, lq, h * d), k = act(bsz, lk, h * d), v = act(bsz, lk, h * d);
            double ms = row("attention d64", bsz + "x" + h + " heads, " + lq + " x " + lk, 4.0 * bsz * h * lq * lk * d,
                    2.0 * ((double) bsz * lq * h * d * 2 + (double) bsz * lk * h * d * 2), () -> cuda.attention(q, k, v, h, false));
            if (lq == 4096 && lk == 4096) fusedSelf4096 = ms;
            q.close();
            k.close();
            v.close();
        }
        unfusedBound(fusedSelf4096);
        Tensor gn = act(2, 768, 64, 64), gamma = weight(1, 768), beta = weight(1, 768);
        row("groupNorm+SiLU", "2x768x64x64 / 32", 0, 2.0 * 2 * gn.numel(), () -> cuda.groupNorm(gn, 32, gamma, beta, 1e-5f, true));
        Tensor tok = act(8192, 768);
        row("layerNorm", "8192x768", 0, 2.0 * 2 * tok.numel(), () -> cuda.layerNorm(tok, gamma, beta, 1e-5f));
        Tensor ff = act(8192, 6144);
        row("geglu", "8192x6144 -> 3072", 0, 2.0 * (ff.numel() + ff.numel() / 2), () -> cuda.geglu(ff));
        row("add", "2x768x64x64", 0, 2.0 * 3 * gn.numel(), () -> cuda.add(gn, gn));
        row("silu", "2x768x64x64", 0, 2.0 * 2 * gn.numel(), () -> cuda.activation(gn, Activation.SILU));
        row("toTokens", "2x768x64x64", 0, 2.0 * 2 * gn.numel(), () -> cuda.toTokens(gn));
        row("upsample 2x", "2x768x64x64", 0, 2.0 * 5 * gn.numel(), () -> cuda.upsampleNearest2x(gn));
        row("concat axis 1", "2x768x64x64 twice", 0, 2.0 * 4 * gn.numel(), () -> cuda.concat(1, gn, gn));
        gn.close();
        tok.close();
        ff.close();
    }

    /** The fp32 products of the VAE (SIMT kernels) at 1024 px, one image; no ceiling of their own is measured. */
    private void vaeOps() {
        int[][] convs = {{128, 1024, 128}, {256, 512, 256}, {512, 256, 512}, {512, 128, 512}};
        for (int[] c : convs) {
            int ch = c[0], hw = c[1], o = c[2];
            Tensor x = act(1, ch, hw, hw), w = weight(1 / Math.sqrt(ch * 9.0), o, ch, 3, 3), b = weight(0.1, o);
            row("conv2d 3x3 fp32", "1x" + ch + "x" + hw + "x" + hw + " -> " + o, 2.0 * hw * hw * o * ch * 9,
                    4.0 * ((double) ch * hw * hw + (double) o * ch * 9 + (double) o * hw * hw), () -> cuda.conv2d(x, w, b, 1, 1));
            x.close();
        }
        Tensor x = act(16384, 512), w = weight(1 / Math.sqrt(512), 512, 512), b = weight(0.1, 512);
        row("linear fp32", "16384x512 * 512x512^T", 2.0 * 16384 * 512 * 512, 4.0 * (16384.0 * 512 * 2 + 512 * 512),
                () -> cuda.linear(x, w, b));
        x.close();
    }

    /** Runs {@code rows} on the WMMA kernels, then again on each sm_90a tiling where the device has them. */
    private void generations(Runnable rows) {
        for (int g = 0; g < (cuda.hasWgmma() ? GENERATIONS.length : 1); g++) {
            generation = g;
            cuda.allowWgmma(g > 0);
            cuda.tiling(TILINGS[g]);
            rows.run();
        }
        cuda.allowWgmma(true);
        cuda.tiling(CudaBackend.Tiling.AUTO);
    }

    private String generation() {
        return !cuda.hasWgmma() ? "" : GENERATIONS[generation];
    }

    /**
     * A lower bound for unfused attention at 4096 tokens: the two products per head through the
     * dense-layer kernel (S = Q K^T, then P V), plus four passes over the fp16 score matrix
     * (write S, read and write the softmax, read P) at the measured copy bandwidth.
     */
    private void unfusedBound(double fusedMs) {
        int bsz = 2, l = 4096, h = 12, d = 64;
        Tensor q = act(l, d), k = weight(1, l, d), p = act(l, l), vt = weight(1, d, l);
        double qk = time(() -> cuda.linear(q, k, null).close());
        double pv = time(() -> cuda.linear(p, vt, null).close());
        double scores = 4.0 * 2 * l * l * bsz * h / peakBytes * 1e3;
        double unfused = bsz * h * (qk + pv) + scores;
        rows.add(String.format(Locale.ROOT, "%-26s %-28s %9.3f %9s %9s %7s", "unfused attention (bound)", "2x12 heads, 4096 x 4096",
                unfused, "", "", String.format(Locale.ROOT, "%.2fx", unfused / fusedMs)));
        q.close();
        p.close();
    }

    private void print() {
        System.out.println();
        System.out.println("Kernel timings (mean of " + reps + " back to back, CUDA events); % = of the measured " + peakName + " peak for products,");
        System.out.println("of the measured copy bandwidth otherwise; for the unfused bound, its time over the fused kernel's.");
        System.out.println(String.format(Locale.ROOT, "%-26s %-28s %9s %9s %9s %7s", "op", "shape", "ms", "TFLOP/s", "GB/s", "%"));
        rows.forEach(System.out::println);
    }
}
