package refiner.engine.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
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
import refiner.engine.pipeline.Img2ImgPipeline;
import refiner.engine.pipeline.InitImage;
import refiner.engine.pipeline.Progress;
import refiner.engine.pipeline.RefineOptions;
import refiner.engine.pipeline.RefineResult;
import refiner.engine.pipeline.RefinerModel;
import refiner.engine.pipeline.TensorSink;
import refiner.loader.hf.ModelFolder;

/**
 * Times the stages of the refiner's img2img pipeline ({@link Img2ImgPipeline}) on a model folder
 * loaded as {@code refiner refine} loads it ({@link RefinerModel}): the tokenizer and text encoder
 * on a fixed prompt pair (negative, positive), the VAE encoder on an image, the projection of the
 * text into every cross-attention's keys and values (once per image), each UNet step on the
 * guidance batch of 2 (with the scheduler's and the guidance's host work, microseconds), and the VAE
 * decoder. The image is seeded noise in [-1, 1] of the requested size; the strength is 1, so a
 * repeat runs exactly {@code steps} UNet steps. Every stage ends by reading its result back, so
 * asynchronous backends are timed to completion. The VAE may run on a backend of its own (on CUDA,
 * an fp32 one, as the precision policy asks).
 */
public final class PipelineBench {
    private static final String PROMPT = "a photo of a cat, highly detailed";
    private static final String NEGATIVE = "";
    private static final double GUIDANCE = 5;
    /** The bench's stage names, each with the pipeline's name of it. */
    private static final Map<String, String> STAGES = Map.of("text_encoder", "text_encoder", "vae_encode", "vae_encode",
            "unet_context", "unet_context", "unet_step", "unet", "vae_decode", "vae_decode");

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
     * Measures the FMA peak, loads {@code folder} with the VAE on {@code vaeBackend} and the rest on
     * {@code backend} (which may be the same), runs the pipeline {@code options.repeat()} times,
     * telling {@code log} what it is doing and when each stage of the first repeat began, and
     * measures the peak again (a machine whose speed drifts shows it in the two peaks).
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
        log.printf(Locale.ROOT, "bench: loading %s (%.2f s after the JVM started)%n", folder,
                ManagementFactory.getRuntimeMXBean().getUptime() / 1e3);
        log.flush();
        long t0 = System.nanoTime();
        ModelFolder modelFolder = ModelFolder.open(folder);
        try (RefinerModel model = RefinerModel.load(modelFolder, b, vb)) {
            double load = seconds(t0);
            device.sample();

            int tokens = model.tokenizer().maxLength();
            int factor = model.vae().downFactor();
            int h = options.height() / factor, w = options.width() / factor;
            Map<String, Long> macs = new LinkedHashMap<>();
            macs.put("text_encoder", MacCounter.textEncoder(modelFolder.component("text_encoder_2").config(), 2, tokens).total().total());
            macs.put("vae_encode", MacCounter.vaeEncode(modelFolder.component("vae").config(), 1, options.height(), options.width()).total().total());
            JsonNode unet = modelFolder.component("unet").config();
            long crossKeyValues = MacCounter.unetCrossAttention(unet, 2, tokens);
            macs.put("unet_context", crossKeyValues);
            macs.put("unet_step", MacCounter.unet(unet, 2, h, w, tokens).total().total() - crossKeyValues);
            macs.put("vae_decode", MacCounter.vaeDecode(modelFolder.component("vae").config(), 1, options.height(), options.width()).total().total());

            Map<String, List<Double>> times = new LinkedHashMap<>();
            Map<String, Range> ranges = new LinkedHashMap<>();
            for (String stage : macs.keySet()) {
                times.put(stage, new ArrayList<>());
                ranges.put(stage, new Range());
            }
            Img2ImgPipeline pipeline = new Img2ImgPipeline(model, b);
            double firstStep = 0;
            for (int r = 0; r < options.repeat(); r++) {
                log.printf(Locale.ROOT, "bench: repeat %d of %d%n", r + 1, options.repeat());
                log.flush();
                StageClock clock = new StageClock(t0, r == 0 ? log : null, device);
                RangeSink sink = new RangeSink(ranges);
                RefineResult result = pipeline.run(image(options, r), runOptions(options, r), clock, sink);
                if (r == 0) firstStep = clock.firstStepEnd;
                STAGES.forEach((stage, name) -> {
                    for (double s : result.times().pieces(name)) times.get(stage).add(s);
                });
                result.images().forEach(ranges.get("vae_decode")::add);
                device.sample();
            }
            if (profiler != null) log.println("bench: per-op times include the profiler's own small overhead");
            log.printf(Locale.ROOT, "bench: measuring the fp32 FMA peak again%n");
            log.flush();
            double peakEnd = FmaPeak.measure(options.threads(), 1500);
            Map<String, StageResult> stages = new LinkedHashMap<>();
            times.forEach((stage, list) -> stages.put(stage, new StageResult(
                    new Timings(list.stream().mapToDouble(Double::doubleValue).toArray()), macs.get(stage),
                    ranges.get(stage).maxAbs, ranges.get(stage).nonFinite)));
            String names = vaeBackend == backend ? backend.name() : backend.name() + " (vae: " + vaeBackend.name() + ")";
            return new BenchReport(names, cpuName(), options.threads(), peak, peakEnd, options.width(), options.height(),
                    options.steps(), options.repeat(), load, firstStep, ProcessMemory.peakRssBytes(), device.peak(), stages,
                    profiler != null ? profiler.byTime() : List.of(), profiler != null ? profiler.byShape() : List.of());
        }
    }

    /** Seeded noise in [-1, 1] of the bench's size, a different image per repeat. */
    private static InitImage image(Options o, int repeat) {
        SplittableRandom random = new SplittableRandom(repeat);
        float[] pixels = new float[3 * o.height() * o.width()];
        for (int i = 0; i < pixels.length; i++) pixels[i] = (float) random.nextDouble(-1, 1);
        return InitImage.pixels(pixels, o.height(), o.width());
    }

    /** The reference's defaults with guidance on, strength 1 (every step of the schedule runs) and the repeat as seed. */
    private static RefineOptions runOptions(Options o, int repeat) {
        return new RefineOptions(PROMPT, NEGATIVE, o.steps(), 1.0, GUIDANCE, 0.0, 6.0, 2.5, null, null, null, repeat, 1);
    }

    /**
     * Follows a run's progress: samples the device memory at each stage's start and step's end, notes
     * when the first UNet step ended, and, when given a log, when each stage began.
     */
    private static final class StageClock implements Progress {
        private final long start;
        private final PrintWriter log;
        private final DevicePeak device;
        double firstStepEnd;

        StageClock(long start, PrintWriter log, DevicePeak device) {
            this.start = start;
            this.log = log;
            this.device = device;
        }

        @Override
        public void stage(String name) {
            device.sample();
            if (log == null) return;
            log.printf(Locale.ROOT, "bench: %s began %.2f s after the load began, peak RSS so far %.2f GB%n",
                    name, seconds(start), ProcessMemory.peakRssBytes() / 1e9);
            log.flush();
        }

        @Override
        public void step(int done, int total) {
            device.sample();
            if (done == 1 && firstStepEnd == 0) firstStepEnd = seconds(start);
        }
    }

    /**
     * Keeps the range of the intermediates that stand for a stage's output: the prompt embeddings
     * (text encoder), the latent mean (VAE encoder), the final latents (UNet steps).
     */
    private record RangeSink(Map<String, Range> ranges) implements TensorSink {
        @Override
        public void put(String name, float[] data, int... shape) {
            String stage = switch (name) {
                case "prompt_embeds", "add_text_embeds" -> "text_encoder";
                case "vae_latent_mean" -> "vae_encode";
                case "final_latents" -> "unet_step";
                default -> null;
            };
            if (stage != null) ranges.get(stage).add(data);
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
