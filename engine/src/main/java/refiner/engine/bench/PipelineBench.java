package refiner.engine.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import refiner.engine.backend.Backend;
import refiner.engine.backend.cuda.CudaBackend;
import refiner.engine.model.AutoencoderKL;
import refiner.engine.model.ClipTextModel;
import refiner.engine.model.Posterior;
import refiner.engine.model.UNet2DConditionModel;
import refiner.engine.tensor.Tensor;
import refiner.loader.Weights;
import refiner.loader.hf.ModelFolder;
import refiner.tokenizer.ClipTokenizer;

/**
 * Times the stages of one refiner img2img run on a model folder: tokenizer and text encoder on a
 * fixed prompt pair (negative, positive), the VAE encoder on an image, each UNet step on the
 * guidance batch of 2, and the VAE decoder. The image is seeded noise in [-1, 1]; the step's guidance and latent update are a fixed-size Euler step done on the host in
 * microseconds, so a step's time is the UNet's. Every stage ends by reading its result back, so
 * asynchronous backends are timed to completion. The VAE may run on a backend of its own (on CUDA,
 * an fp32 one, as the precision policy asks).
 */
public final class PipelineBench {
    private static final String PROMPT = "a photo of a cat, highly detailed";
    private static final String NEGATIVE = "";
    private static final float GUIDANCE = 5f;

    /** What to run: image size in pixels, UNet steps per repeat, repeats, threads of the peak loop, per-op profile. */
    public record Options(int width, int height, int steps, int repeat, int threads, boolean profile) {
        public Options {
            if (width <= 0 || height <= 0 || width % 8 != 0 || height % 8 != 0) {
                throw new IllegalArgumentException("image size " + width + "x" + height + " must be positive multiples of 8");
            }
            if (steps < 1 || repeat < 1 || threads < 1) {
                throw new IllegalArgumentException("steps, repeat and threads must be at least 1");
            }
        }
    }

    private PipelineBench() {
    }

    /**
     * Measures the FMA peak, loads the text encoder and UNet of {@code folder} on {@code backend} and
     * the VAE on {@code vaeBackend} (which may be the same), and runs the stages
     * {@code options.repeat()} times, telling {@code log} what it is doing.
     */
    public static BenchReport run(Path folder, Backend backend, Backend vaeBackend, Options options, PrintWriter log)
            throws IOException {
        log.printf(Locale.ROOT, "bench: measuring the fp32 FMA peak on %d threads%n", options.threads());
        log.flush();
        double peak = FmaPeak.measure(options.threads(), 1500);

        ProfilingBackend profiler = options.profile() ? new ProfilingBackend(backend) : null;
        Backend b = profiler != null ? profiler : backend;
        Backend vb = vaeBackend == backend ? b : profiler != null ? profiler.sharing(vaeBackend) : vaeBackend;
        DevicePeak device = new DevicePeak(backend, vaeBackend);
        List<AutoCloseable> open = new ArrayList<>();
        try {
            log.println("bench: loading " + folder);
            log.flush();
            long t0 = System.nanoTime();
            ModelFolder model = ModelFolder.open(folder);
            model.requireComponents("tokenizer_2", "text_encoder_2", "unet", "vae");
            ClipTokenizer tokenizer = ClipTokenizer.load(model.component("tokenizer_2").dir());
            int tokens = tokenizer.maxLength();
            JsonNode textConfig = model.component("text_encoder_2").config();
            JsonNode unetConfig = model.component("unet").config();
            JsonNode vaeConfig = model.component("vae").config();
            ClipTextModel text = new ClipTextModel(b, textConfig, weights(model, "text_encoder_2", open));
            UNet2DConditionModel unet = new UNet2DConditionModel(b, unetConfig, weights(model, "unet", open));
            AutoencoderKL vae = new AutoencoderKL(vb, vaeConfig, weights(model, "vae", open));
            double load = seconds(t0);
            device.sample();

            int h = options.height() / vae.downFactor(), w = options.width() / vae.downFactor();
            Map<String, Long> macs = new LinkedHashMap<>();
            macs.put("text_encoder", MacCounter.textEncoder(textConfig, 2, tokens).total().total());
            macs.put("vae_encode", MacCounter.vaeEncode(vaeConfig, 1, options.height(), options.width()).total().total());
            macs.put("unet_step", MacCounter.unet(unetConfig, 2, h, w, tokens).total().total());
            macs.put("vae_decode", MacCounter.vaeDecode(vaeConfig, 1, options.height(), options.width()).total().total());

            Map<String, List<Double>> times = new LinkedHashMap<>();
            Map<String, Range> ranges = new LinkedHashMap<>();
            for (String stage : macs.keySet()) {
                times.put(stage, new ArrayList<>());
                ranges.put(stage, new Range());
            }
            double firstStep = 0;
            for (int r = 0; r < options.repeat(); r++) {
                log.printf(Locale.ROOT, "bench: repeat %d of %d%n", r + 1, options.repeat());
                log.flush();
                Run run = new Run(b, vb, tokenizer, text, unet, vae, options, new SplittableRandom(r), device);
                long firstStepEnd = run.all(times, ranges);
                if (r == 0) firstStep = (firstStepEnd - t0) / 1e9;
            }
            if (profiler != null) log.println("bench: per-op times include the profiler's own small overhead");
            Map<String, StageResult> stages = new LinkedHashMap<>();
            times.forEach((stage, list) -> stages.put(stage, new StageResult(
                    new Timings(list.stream().mapToDouble(Double::doubleValue).toArray()), macs.get(stage),
                    ranges.get(stage).maxAbs, ranges.get(stage).nonFinite)));
            String names = vaeBackend == backend ? backend.name() : backend.name() + " (vae: " + vaeBackend.name() + ")";
            return new BenchReport(names, cpuName(), options.threads(), peak, options.width(), options.height(),
                    options.steps(), options.repeat(), load, firstStep, ProcessMemory.peakRssBytes(), device.peak(), stages,
                    profiler != null ? profiler.byTime() : List.of());
        } finally {
            for (AutoCloseable c : open) {
                try {
                    c.close();
                } catch (Exception e) {
                    log.println("bench: closing weights: " + e.getMessage());
                }
            }
        }
    }

    private static Weights weights(ModelFolder model, String component, List<AutoCloseable> open) throws IOException {
        Weights w = model.component(component).openWeights();
        if (w instanceof AutoCloseable c) open.add(c);
        return w;
    }

    /** One pass through the four stages; appends each stage's seconds to {@code times}. */
    private record Run(Backend b, Backend vb, ClipTokenizer tokenizer, ClipTextModel text, UNet2DConditionModel unet,
                       AutoencoderKL vae, Options o, SplittableRandom random, DevicePeak device) {

        /** Returns the {@link System#nanoTime()} at which the first UNet step ended. */
        long all(Map<String, List<Double>> times, Map<String, Range> ranges) {
            long t = System.nanoTime();
            int[][] ids = {tokenizer.encode(NEGATIVE), tokenizer.encode(PROMPT)}; // [2][77]
            ClipTextModel.Output cond = text.forward(ids);                         // [2, 77, D], [2, P]
            float[] pooled = b.download(cond.pooled());
            times.get("text_encoder").add(seconds(t));
            ranges.get("text_encoder").add(pooled);
            ranges.get("text_encoder").add(b.download(cond.hiddenStates()));
            device.sample();

            int hw = o.height() * o.width();
            float[] pixels = new float[3 * hw];
            for (int i = 0; i < pixels.length; i++) pixels[i] = (float) random.nextDouble(-1, 1);
            float[] latents;
            int[] latentShape;
            try (Tensor image = vb.upload(pixels, 1, 3, o.height(), o.width())) {  // [1, 3, H, W]
                t = System.nanoTime();
                try (Posterior post = vae.encode(image)) {                         // [1, 4, h, w] each
                    float[] mean = vb.download(post.mean());
                    float[] std = vb.download(post.std());
                    times.get("vae_encode").add(seconds(t));
                    ranges.get("vae_encode").add(mean);
                    device.sample();
                    latentShape = post.mean().shape();
                    latents = new float[mean.length];
                    for (int i = 0; i < mean.length; i++) latents[i] = vae.scalingFactor() * (mean[i] + std[i] * (float) gaussian());
                }
            }

            int n = latents.length;
            float[][] timeIds = {{o.height(), o.width(), 0, 0, 2.5f}, {o.height(), o.width(), 0, 0, 6f}};
            long firstStepEnd = 0;
            try (cond) {
                for (int s = 0; s < o.steps(); s++) {
                    float timestep = 999f - s * (1000f / o.steps());
                    float[] pair = new float[2 * n];
                    System.arraycopy(latents, 0, pair, 0, n);
                    System.arraycopy(latents, 0, pair, n, n);
                    t = System.nanoTime();
                    float[] eps;
                    try (Tensor sample = b.upload(pair, 2, latentShape[1], latentShape[2], latentShape[3]);
                         Tensor out = unet.forward(sample, timestep, cond.hiddenStates(), cond.pooled(), timeIds)) {
                        eps = b.download(out);                                    // [2, 4, h, w]
                    }
                    times.get("unet_step").add(seconds(t));
                    ranges.get("unet_step").add(eps);
                    device.sample();
                    if (s == 0) firstStepEnd = System.nanoTime();
                    for (int i = 0; i < n; i++) {
                        float guided = eps[i] + GUIDANCE * (eps[n + i] - eps[i]);
                        latents[i] -= 0.05f * guided;
                    }
                }
            }

            float[] z = latents.clone();
            for (int i = 0; i < z.length; i++) z[i] /= vae.scalingFactor();
            try (Tensor zt = vb.upload(z, latentShape)) {
                t = System.nanoTime();
                float[] decoded;
                try (Tensor image = vae.decode(zt)) {                              // [1, 3, H, W]
                    decoded = vb.download(image);
                }
                times.get("vae_decode").add(seconds(t));
                ranges.get("vae_decode").add(decoded);
                device.sample();
            }
            return firstStepEnd;
        }

        private double gaussian() {
            double u = 1 - random.nextDouble();
            return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.nextDouble());
        }
    }

    /** The most device memory the run's CUDA backends held at the end of any stage; -1 without CUDA. */
    private static final class DevicePeak {
        private final List<CudaBackend> cuda = new ArrayList<>();
        private long peak = -1;

        DevicePeak(Backend... backends) {
            for (Backend b : backends) {
                if (b instanceof CudaBackend c && !cuda.contains(c)) cuda.add(c);
            }
        }

        void sample() {
            if (cuda.isEmpty()) return;
            long held = 0;
            for (CudaBackend c : cuda) held += c.deviceBytesHeld();
            peak = Math.max(peak, held);
        }

        long peak() {
            return peak;
        }
    }

    /** The largest magnitude and the count of NaN or infinite values among a stage's outputs. */
    private static final class Range {
        double maxAbs;
        long nonFinite;

        void add(float[] values) {
            for (float v : values) {
                if (!Float.isFinite(v)) nonFinite++;
                else maxAbs = Math.max(maxAbs, Math.abs(v));
            }
        }
    }

    private static double seconds(long start) {
        return (System.nanoTime() - start) / 1e9;
    }

    /** The processor's model name from /proc/cpuinfo, or the architecture where that is not readable. */
    static String cpuName() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) return line.substring(line.indexOf(':') + 1).trim();
            }
        } catch (IOException | RuntimeException e) {
            return System.getProperty("os.arch");
        }
        return System.getProperty("os.arch");
    }
}
