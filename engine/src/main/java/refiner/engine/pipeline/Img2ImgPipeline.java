package refiner.engine.pipeline;

import java.util.ArrayList;
import java.util.List;
import refiner.engine.backend.Backend;
import refiner.engine.model.ClipTextModel;
import refiner.engine.model.Posterior;
import refiner.engine.nn.CrossAttention;
import refiner.engine.random.TorchGenerator;
import refiner.engine.schedule.EulerSchedule;
import refiner.engine.schedule.StepRange;
import refiner.engine.tensor.Tensor;

/**
 * The SDXL refiner's img2img run, step for step as diffusers' {@code StableDiffusionXLImg2ImgPipeline}:
 * prompts to conditioning, image to latents (the posterior sampled), noise at the start sigma,
 * the Euler loop with classifier-free guidance, and the VAE decode. Random numbers come from a
 * torch-compatible generator in the reference's order (posterior sample, img2img noise, one
 * unused draw per step), so a seed gives the reference's picture. Each network's mapped weights
 * are dropped from resident memory once the run is done with it (the text encoder after the
 * prompts, the UNet after the loop), so that the process holds one large network's weights at a
 * time, and the heap a stage grew is given back before the next one.
 */
public final class Img2ImgPipeline {
    private final RefinerModel model;
    private final Backend backend;

    public Img2ImgPipeline(RefinerModel model, Backend backend) {
        this.model = model;
        this.backend = backend;
    }

    /** Refines {@code init} as {@code options} say; intermediates go to {@code sink}. */
    public RefineResult run(InitImage init, RefineOptions options, Progress progress, TensorSink sink) {
        int factor = model.vae().downFactor();
        int channels = model.vae().latentChannels();
        int h = init.latents() ? init.height() : init.height() / factor;
        int w = init.latents() ? init.width() : init.width() / factor;
        checkInit(init, factor, channels);
        int n = options.numImages();
        boolean cfg = options.classifierFree();
        StageTimes times = new StageTimes();

        EulerSchedule schedule = model.scheduler().setTimesteps(options.steps());
        StepRange range = options.denoisingStart() != null
                ? schedule.denoisingStart(options.denoisingStart())
                : schedule.img2img(options.strength());
        TorchGenerator generator = new TorchGenerator(options.seed());

        // ---- 1. conditioning ---------------------------------------------------------------
        progress.stage("text_encoder");
        long t0 = System.nanoTime();
        int rows = cfg ? 2 * n : n;
        float[][] timeIds = timeIds(options, h * factor, w * factor, n, cfg);
        try (Conditioning cond = encodePrompts(options, n, cfg)) {
            times.add("text_encoder", System.nanoTime() - t0);
            sink.put("prompt_embeds", backend.download(cond.hidden), cond.hidden.shape());
            sink.put("add_text_embeds", backend.download(cond.pooled), cond.pooled.shape());
            sink.put("add_time_ids", flatten(timeIds), rows, timeIds[0].length);

            // ---- 2. initial latents ----------------------------------------------------------
            float[] latents = initialLatents(init, h, w, generator, progress, sink, times);  // [1, C, h, w]
            int[] shape = {n, channels, h, w};
            float[] x = repeat(latents, n);                                                 // [n, C, h, w]
            sink.put("init_latents_scaled", x, shape);
            if (options.denoisingStart() == null) {
                float[] noise = generator.randn(shape);
                x = schedule.addNoise(x, noise, range.beginIndex());
            }
            sink.put("noised_latents", x, shape);

            // ---- 3. Euler loop, the text's cross-attention keys and values projected once --------
            compact();
            progress.stage("unet");
            int[] batchShape = {rows, channels, h, w};
            long tc = System.nanoTime();
            try (CrossAttention text = model.unet().crossAttention(cond.hidden)) {
                times.add("unet_context", System.nanoTime() - tc);
                for (int i = 0; i < range.size(); i++) {
                    long ts = System.nanoTime();
                    int step = range.stepIndex(i);
                    float[] input = schedule.scaleModelInput(cfg ? repeat(x, 2) : x, step); // [rows, C, h, w]
                    float[] out;
                    try (Tensor sample = backend.upload(input, batchShape);
                         Tensor eps = model.unet().forward(sample, schedule.timestep(step), text, cond.pooled, timeIds)) {
                        out = backend.download(eps);                                        // [rows, C, h, w]
                    }
                    float[] noisePred = cfg ? Guidance.combine(out, n, (float) options.guidance(), options.guidanceRescale()) : out;
                    x = schedule.step(noisePred, step, x).prevSample();                     // [n, C, h, w]
                    generator.randn(shape);
                    times.add("unet", System.nanoTime() - ts);
                    progress.step(i + 1, range.size());
                }
            }
            model.releaseUnet();
            compact();
            sink.put("final_latents", x, shape);

            // ---- 4. decode ---------------------------------------------------------------------
            progress.stage("vae_decode");
            long td = System.nanoTime();
            List<float[]> images = decode(x, n, channels, h, w);
            times.add("vae_decode", System.nanoTime() - td);
            return new RefineResult(images, h * factor, w * factor, x, shape, range.size(), times);
        }
    }

    /**
     * Between stages of other shapes: the backends give back their pooled buffers, and a full
     * collection lets the JVM return the heap the stage before grew, so that it is not held beside
     * the next network's weights (at 1024 px the VAE encoder alone fills a heap of a quarter of the
     * machine's memory, and the UNet's weights take 4.5 GB).
     */
    private void compact() {
        backend.trim();
        if (model.vaeBackend() != backend) model.vaeBackend().trim();
        System.gc();
    }

    private void checkInit(InitImage init, int factor, int channels) {
        if (init.latents()) {
            if (init.channels() != channels) {
                throw new IllegalArgumentException("latents have " + init.channels() + " channels, the VAE expects " + channels);
            }
        } else if (init.height() % factor != 0 || init.width() % factor != 0 || init.height() < factor || init.width() < factor) {
            throw new IllegalArgumentException("image size " + init.width() + "x" + init.height() + " must be a positive multiple of " + factor);
        }
    }

    /** The text encoder's outputs laid out as the UNet sees them: [rows, 77, D] and [rows, P]. */
    private record Conditioning(Tensor hidden, Tensor pooled) implements AutoCloseable {
        @Override
        public void close() {
            hidden.close();
            pooled.close();
        }
    }

    /** Encodes [negative, positive] (or the positive alone) and repeats each row n times. */
    private Conditioning encodePrompts(RefineOptions o, int n, boolean cfg) {
        String negative = o.negativePrompt() == null ? "" : o.negativePrompt();
        int[][] ids = cfg
                ? new int[][] {model.tokenizer().encode(negative), model.tokenizer().encode(o.prompt())}
                : new int[][] {model.tokenizer().encode(o.prompt())};
        try (ClipTextModel.Output out = model.textEncoder().forward(ids)) {              // [p, 77, D], [p, P]
            return new Conditioning(repeatRows(out.hiddenStates(), n), repeatRows(out.pooled(), n));
        } finally {
            model.releaseTextEncoder();
        }
    }

    /** [p, ...] -> [p * n, ...] with each row repeated n times in place. */
    private Tensor repeatRows(Tensor t, int n) {
        int[] shape = t.shape();
        float[] data = backend.download(t);
        int row = data.length / shape[0];
        float[] out = new float[data.length * n];
        for (int r = 0; r < shape[0]; r++) {
            for (int k = 0; k < n; k++) System.arraycopy(data, r * row, out, (r * n + k) * row, row);
        }
        shape[0] *= n;
        return backend.upload(out, shape);
    }

    /**
     * The time ids, one row per UNet batch row: original size, crop and aesthetic score for the
     * positive rows; the negative rows take the same original size, the crop (0, 0) and the
     * negative score, as the reference's defaults for its negative_* arguments do.
     */
    private static float[][] timeIds(RefineOptions o, int height, int width, int n, boolean cfg) {
        int[] original = o.originalSize() != null ? o.originalSize() : new int[] {height, width};
        float[] positive = {original[0], original[1], o.cropTopLeft()[0], o.cropTopLeft()[1], (float) o.aestheticScore()};
        float[] negative = {original[0], original[1], 0, 0, (float) o.negativeAestheticScore()};
        float[][] rows = new float[cfg ? 2 * n : n][];
        for (int i = 0; i < rows.length; i++) rows[i] = (cfg && i < n ? negative : positive).clone();
        return rows;
    }

    /** Scaled latents [1, C, h, w]: a sample of the image's posterior, or the latents given. */
    private float[] initialLatents(InitImage init, int h, int w, TorchGenerator generator, Progress progress,
                                   TensorSink sink, StageTimes times) {
        if (init.latents()) return init.data().clone();
        progress.stage("vae_encode");
        long t0 = System.nanoTime();
        float scaling = model.vae().scalingFactor();
        Backend vae = model.vaeBackend();
        try (Tensor image = vae.upload(init.data(), 1, 3, init.height(), init.width());
             Posterior posterior = model.vae().encode(image)) {
            float[] mean = vae.download(posterior.mean());
            float[] std = vae.download(posterior.std());
            int[] shape = posterior.mean().shape();
            float[] noise = generator.randn(shape);
            float[] scaled = new float[mean.length];
            for (int i = 0; i < scaled.length; i++) scaled[i] = scaling * (mean[i] + std[i] * noise[i]);
            times.add("vae_encode", System.nanoTime() - t0);
            sink.put("vae_latent_mean", mean, shape);
            sink.put("vae_latent_std", std, shape);
            return scaled;
        }
    }

    /** Decodes each of the n latents separately: [n, C, h, w] -> n images [3, 8h, 8w]. */
    private List<float[]> decode(float[] x, int n, int channels, int h, int w) {
        float scaling = model.vae().scalingFactor();
        int plane = channels * h * w;
        List<float[]> images = new ArrayList<>(n);
        for (int k = 0; k < n; k++) {
            float[] z = new float[plane];
            for (int i = 0; i < plane; i++) z[i] = x[k * plane + i] / scaling;
            float[] pixels;
            Backend vae = model.vaeBackend();
            try (Tensor zt = vae.upload(z, 1, channels, h, w);
                 Tensor image = model.vae().decode(zt)) {                                   // [1, 3, 8h, 8w]
                pixels = vae.download(image);
            }
            for (float v : pixels) {
                if (!Float.isFinite(v)) {
                    throw new IllegalStateException("the VAE decoder produced NaN or infinite values; no image was written");
                }
            }
            images.add(pixels);
        }
        return images;
    }

    private static float[] repeat(float[] a, int times) {
        float[] out = new float[a.length * times];
        for (int k = 0; k < times; k++) System.arraycopy(a, 0, out, k * a.length, a.length);
        return out;
    }

    private static float[] flatten(float[][] rows) {
        float[] out = new float[rows.length * rows[0].length];
        for (int r = 0; r < rows.length; r++) System.arraycopy(rows[r], 0, out, r * rows[r].length, rows[r].length);
        return out;
    }
}
