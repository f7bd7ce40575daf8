package refiner.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.SplittableRandom;
import refiner.engine.backend.cpu.CpuBackend;
import refiner.engine.bench.MacCounter;
import refiner.engine.model.AutoencoderKL;
import refiner.engine.model.UNet2DConditionModel;
import refiner.engine.nn.CrossAttention;
import refiner.engine.tensor.Tensor;
import refiner.loader.Weights;
import refiner.loader.hf.ModelFolder;

/**
 * One CPU kernel, or one full-size UNet step, on fixed seeded operands, ready to be called again
 * and again. Shapes: {@code linear:M:K:N} is x[M, K] W[N, K]^T with fp16 weights;
 * {@code conv:B:C:H:W:O:k:s} a k x k convolution with padding k / 2 and stride s;
 * {@code attention:B:Lq:Lk:H[:D]} attention with H heads of D (64 unless given), 4 B H Lq Lk D
 * flops, the exponentials not counted; {@code groupnorm:B:C:H:W:G} GroupNorm with SiLU in G
 * groups, its rate in billions of elements per second; {@code geglu:M:F} GEGLU over x[M, 2F], its
 * rate in billions of outputs per second; {@code residual:M:K:N} the linear layer with a residual
 * x[M, N] added, {@code geglu_linear:M:K:F} the GEGLU projection x[M, K] W[2F, K]^T gated to
 * [M, F], both at the product's flops; {@code unet:N} one CFG step (batch 2, 77 text tokens) of
 * the UNet of the model folder named by the system property {@code model}, on N x N latents,
 * its keys and values of the text projected once beforehand, counted as the bench counts
 * {@code unet_step}; {@code vae_encode:N} and {@code vae_decode:N} the VAE of that folder on one
 * N x N image (N / 8 latents for the decoder), counted as the bench counts those stages.
 */
public final class KernelProbe implements AutoCloseable {
    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

    private final CpuBackend backend;
    private final int threads;
    private final String kind;
    private final int[] d;
    private final double gflop;
    private Tensor x, w, r;
    private Weights weights;
    private UNet2DConditionModel unet;
    private AutoencoderKL vae;
    private CrossAttention text;

    public KernelProbe(String shape, int threads) throws IOException {
        String[] p = shape.split(":");
        kind = p[0];
        d = new int[p.length - 1];
        for (int i = 1; i < p.length; i++) d[i - 1] = Integer.parseInt(p[i]);
        this.threads = threads;
        backend = new CpuBackend(threads);
        SplittableRandom rnd = new SplittableRandom(42);
        switch (kind) {
            case "attention" -> {
                int b = d[0], lq = d[1], lk = d[2], heads = d[3], e = heads * (d.length > 4 ? d[4] : 64);
                x = backend.upload(Operands.random(rnd, b * lq * e, 1), b, lq, e);
                w = backend.upload(Operands.random(rnd, b * lk * e, 1), b, lk, e);
                gflop = 4e-9 * b * lq * lk * e;
            }
            case "conv" -> {
                int b = d[0], c = d[1], h = d[2], wd = d[3], o = d[4], k = d[5], s = d[6];
                x = backend.upload(Operands.random(rnd, b * c * h * wd, 1), b, c, h, wd);
                w = backend.weight(Operands.f16("w", Operands.random(rnd, o * c * k * k, 1 / Math.sqrt(c * k * k)), o, c, k, k));
                gflop = 2e-9 * b * o * ((h - 1) / s + 1) * ((wd - 1) / s + 1) * c * k * k;
            }
            case "groupnorm" -> {
                int b = d[0], c = d[1], h = d[2], wd = d[3];
                x = backend.upload(Operands.random(rnd, b * c * h * wd, 1), b, c, h, wd);
                w = backend.weight(Operands.f16("gamma", Operands.random(rnd, c, 1), c));
                gflop = 1e-9 * b * c * h * wd;
            }
            case "geglu" -> {
                x = backend.upload(Operands.random(rnd, 2 * d[0] * d[1], 1), d[0], 2 * d[1]);
                gflop = 1e-9 * d[0] * d[1];
            }
            case "linear", "residual", "geglu_linear" -> {
                int m = d[0], k = d[1], n = kind.equals("geglu_linear") ? 2 * d[2] : d[2];
                x = backend.upload(Operands.random(rnd, m * k, 1), m, k);
                w = backend.weight(Operands.f16("w", Operands.random(rnd, n * k, 1 / Math.sqrt(k)), n, k));
                if (kind.equals("residual")) r = backend.upload(Operands.random(rnd, m * n, 1), m, n);
                gflop = 2e-9 * m * k * n;
            }
            case "unet" -> {
                var u = ModelFolder.resolve(model()).component("unet");
                weights = u.openWeights();
                unet = new UNet2DConditionModel(backend, u.config(), weights);
                int n = d[0];
                x = backend.upload(normal(rnd, 2 * 4 * n * n), 2, 4, n, n);
                w = backend.upload(normal(rnd, 2 * 1280), 2, 1280);
                try (Tensor context = backend.upload(normal(rnd, 2 * 77 * 1280), 2, 77, 1280)) {
                    text = unet.crossAttention(context);
                }
                gflop = 2e-9 * (MacCounter.unet(u.config(), 2, n, n, 77).total().total() - MacCounter.unetCrossAttention(u.config(), 2, 77));
            }
            case "vae_encode", "vae_decode" -> {
                var v = ModelFolder.resolve(model()).component("vae");
                weights = v.openWeights();
                vae = new AutoencoderKL(backend, v.config(), weights);
                int n = d[0], z = n / vae.downFactor();
                boolean encode = kind.equals("vae_encode");
                x = encode ? backend.upload(normal(rnd, 3 * n * n), 1, 3, n, n) : backend.upload(normal(rnd, vae.latentChannels() * z * z), 1, vae.latentChannels(), z, z);
                gflop = 2e-9 * (encode ? MacCounter.vaeEncode(v.config(), 1, n, n) : MacCounter.vaeDecode(v.config(), 1, n, n)).total().total();
            }
            default -> throw new IllegalArgumentException("unknown shape " + shape);
        }
    }

    private static String model() {
        String model = System.getProperty("model");
        if (model == null) throw new IllegalArgumentException("unet and vae shapes need -Dmodel=DIR, a full-size model folder");
        return model;
    }

    private static float[] normal(SplittableRandom rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rnd.nextGaussian();
        return a;
    }

    /** One call. */
    public void run() {
        if (kind.equals("vae_encode")) {
            vae.encode(x).close();
            return;
        }
        Tensor y = switch (kind) {
            case "attention" -> backend.attention(x, w, w, d[3], false);
            case "conv" -> backend.conv2d(x, w, null, d[6], d[5] / 2);
            case "linear" -> backend.linear(x, w, null);
            case "residual" -> backend.linear(x, w, null, r);
            case "geglu_linear" -> backend.linearGeglu(x, w, null);
            case "groupnorm" -> backend.groupNorm(x, d[4], w, w, 1e-6f, true);
            case "geglu" -> backend.geglu(x);
            case "vae_decode" -> vae.decode(x);
            default -> {
                float px = 8f * d[0];
                yield unet.forward(x, 281f, text, w, new float[][] {{px, px, 0, 0, 2.5f}, {px, px, 0, 0, 6}});
            }
        };
        y.close();
    }

    /**
     * GFLOP per second of one call: per CPU-second of the calling thread on a one-thread backend
     * (time the system gives to other processes does not count), per wall second otherwise.
     */
    public double once() {
        boolean wall = threads > 1;
        long t0 = wall ? System.nanoTime() : CPU.getCurrentThreadCpuTime();
        run();
        long t1 = wall ? System.nanoTime() : CPU.getCurrentThreadCpuTime();
        return gflop / ((t1 - t0) * 1e-9);
    }

    public double gflop() {
        return gflop;
    }

    @Override
    public void close() {
        if (text != null) text.close();
        x.close();
        if (w != null) w.close();
        if (r != null) r.close();
        backend.close();
        if (weights != null) weights.close();
    }
}
