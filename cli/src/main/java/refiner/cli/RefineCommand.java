package refiner.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import refiner.engine.backend.Backends;
import refiner.engine.image.ImageLoader;
import refiner.engine.image.PixelTensor;
import refiner.engine.image.PngFiles;
import refiner.engine.image.VaeImageProcessor;
import refiner.engine.pipeline.Img2ImgPipeline;
import refiner.engine.pipeline.InitImage;
import refiner.engine.pipeline.RefineOptions;
import refiner.engine.pipeline.RefineResult;
import refiner.engine.pipeline.RefinerModel;
import refiner.loader.hf.ModelFolder;

/**
 * {@code refiner refine}: the SDXL refiner's img2img on one image (or on latents from a base
 * model), or on every image of a folder with one model load. Every argument, the input and the
 * output paths are checked before the model is loaded; outputs are written atomically.
 */
@Command(name = "refine", sortOptions = false,
        description = "Refine an image (or base-model latents) with the SDXL refiner, as diffusers' img2img pipeline does.")
final class RefineCommand implements Callable<Integer> {
    @Option(names = "--model", paramLabel = "MODEL", defaultValue = "demo",
            description = "Model folder, Hugging Face repo id in the local hub cache, or 'demo' (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = {"-i", "--image"}, paramLabel = "FILE",
            description = "Input PNG or JPEG, or latents (.safetensors) from a base model.")
    Path image;

    @Option(names = {"-p", "--prompt"}, required = true, description = "The prompt.")
    String prompt;

    @Option(names = {"-n", "--negative-prompt"}, description = "The negative prompt (default: empty).")
    String negativePrompt;

    @Option(names = "--steps", defaultValue = "50", description = "Steps of the whole schedule (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--strength", defaultValue = "0.3", description = "How much to change the image, in (0, 1] (default: ${DEFAULT-VALUE}).")
    double strength;

    @Option(names = "--guidance", defaultValue = "5.0", description = "Classifier-free guidance scale; <= 1 turns it off (default: ${DEFAULT-VALUE}).")
    double guidance;

    @Option(names = "--guidance-rescale", defaultValue = "0", description = "Guidance rescale in [0, 1] (default: ${DEFAULT-VALUE}).")
    double guidanceRescale;

    @Option(names = "--aesthetic-score", defaultValue = "6.0", description = "Aesthetic score of the prompt (default: ${DEFAULT-VALUE}).")
    double aestheticScore;

    @Option(names = "--negative-aesthetic-score", defaultValue = "2.5", description = "Aesthetic score of the negative prompt (default: ${DEFAULT-VALUE}).")
    double negativeAestheticScore;

    @Option(names = "--original-size", paramLabel = "WxH", description = "Original-size conditioning (default: the image size).")
    String originalSize;

    @Option(names = "--crop", paramLabel = "TOP,LEFT", description = "Crop conditioning (default: 0,0).")
    String crop;

    @Option(names = "--denoising-start", paramLabel = "F",
            description = "For latents from a base model: the fraction of the schedule already done; no noise is added.")
    Double denoisingStart;

    @Option(names = "--seed", description = "Seed of the torch-compatible generator (default: random, printed).")
    Long seed;

    @Option(names = "--num-images", defaultValue = "1", description = "Images per input (default: ${DEFAULT-VALUE}).")
    int numImages;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Output PNG (default: <input>-refined.png).")
    Path output;

    @Option(names = "--output-latents", paramLabel = "FILE", description = "Also write the final latents as safetensors.")
    Path outputLatents;

    @Option(names = "--input-dir", paramLabel = "DIR", description = "Refine every PNG/JPEG of DIR (with --output-dir).")
    Path inputDir;

    @Option(names = "--output-dir", paramLabel = "DIR", description = "Where batch outputs go; existing outputs are skipped.")
    Path outputDir;

    @Option(names = "--dump-tensors", paramLabel = "DIR", description = "Write the run's intermediates into DIR/<output name>.safetensors.")
    Path dumpTensors;

    @Option(names = "--backend", defaultValue = "auto", description = "cpu, cuda or auto (default: ${DEFAULT-VALUE}).")
    String backend;

    @Option(names = "--threads", description = "CPU threads (default: all cores).")
    Integer threads;

    @Option(names = "--quiet", description = "Print only errors and the paths written.")
    boolean quiet;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        long chosenSeed = seed != null ? seed : ThreadLocalRandom.current().nextLong(1L << 32);
        RefineOptions options = options(chosenSeed);
        List<Job> jobs = jobs();
        ModelFolder folder = ModelArgument.resolve(model, quiet ? new PrintWriter(PrintWriter.nullWriter()) : err);
        RefinerModel.check(folder);

        long start = System.nanoTime();
        Backends.Selection selection = Backends.select(backend, threads != null ? threads : Runtime.getRuntime().availableProcessors());
        try (selection; RefinerModel refiner = RefinerModel.load(folder, selection.backend(), selection.vaeBackend())) {
            if (!quiet) {
                out.println(selection.message());
                out.printf(Locale.ROOT, "model %s loaded in %.2f s; seed %d%n", folder.root(), (System.nanoTime() - start) / 1e9, chosenSeed);
                out.flush();
            }
            Img2ImgPipeline pipeline = new Img2ImgPipeline(refiner, selection.backend());
            for (Job job : jobs) {
                if (job.skip()) {
                    if (!quiet) out.println("skipped " + job.input() + ": " + job.outputs().getFirst() + " exists");
                    continue;
                }
                run(pipeline, job, options, folder, out);
            }
        }
        return 0;
    }

    private void run(Img2ImgPipeline pipeline, Job job, RefineOptions options, ModelFolder folder, PrintWriter out) throws IOException {
        InitImage init = load(job.input());
        TensorDump dump = dumpTensors != null ? new TensorDump() : null;
        RefineResult result;
        try (ConsoleProgress progress = new ConsoleProgress(out, quiet, job.input().getFileName().toString())) {
            result = pipeline.run(init, options, progress, dump != null ? dump : (n, d, s) -> { });
        }
        Map<String, String> text = RunParameters.text(options, folder, result, job.input());
        for (int k = 0; k < result.images().size(); k++) {
            Path target = job.outputs().get(k);
            PixelTensor pixels = new PixelTensor(result.height(), result.width(), result.images().get(k));
            PngFiles.write(target, VaeImageProcessor.postprocess(pixels), text);
            out.println("wrote " + target);
        }
        if (outputLatents != null && inputDir == null) {
            LatentsFile.write(outputLatents, result.latents(), result.latentShape());
            out.println("wrote " + outputLatents);
        }
        if (dump != null) {
            Path file = dumpTensors.resolve(stem(job.outputs().getFirst()) + ".safetensors");
            dump.write(file);
            out.println("wrote " + file);
        }
        if (!quiet) out.println(RunParameters.timings(result));
        out.flush();
    }

    /** The run's options; bad values are usage errors. */
    private RefineOptions options(long chosenSeed) {
        try {
            return new RefineOptions(prompt, negativePrompt, steps, strength, guidance, guidanceRescale, aestheticScore,
                    negativeAestheticScore, pair(originalSize, "x", "--original-size", true), pair(crop, ",", "--crop", false),
                    denoisingStart, chosenSeed, numImages);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** "WxH" -> {H, W} (sizes are given width first, the reference's tuples are height first); "T,L" -> {T, L}. */
    private int[] pair(String value, String sep, String option, boolean widthFirst) {
        if (value == null) return null;
        String[] parts = value.split(sep, -1);
        try {
            if (parts.length != 2) throw new NumberFormatException();
            int a = Integer.parseInt(parts[0].strip());
            int b = Integer.parseInt(parts[1].strip());
            return widthFirst ? new int[] {b, a} : new int[] {a, b};
        } catch (NumberFormatException e) {
            throw new ParameterException(spec.commandLine(), option + " '" + value + "' is not two integers separated by '" + sep + "'");
        }
    }

    /** One input and the outputs it makes. */
    private record Job(Path input, List<Path> outputs, boolean skip) {
    }

    /** The inputs to refine and their outputs, checked (readable, writable) before any heavy work. */
    private List<Job> jobs() throws IOException {
        if ((inputDir == null) == (image == null)) {
            throw new ParameterException(spec.commandLine(), "give either --image or --input-dir");
        }
        if (inputDir != null && outputDir == null) throw new ParameterException(spec.commandLine(), "--input-dir needs --output-dir");
        if (dumpTensors != null) Files.createDirectories(dumpTensors);
        List<Job> jobs = new ArrayList<>();
        if (image != null) {
            Path target = output != null ? output : image.resolveSibling(stem(image) + "-refined.png");
            jobs.add(new Job(image, numbered(target), false));
        } else {
            if (!Files.isDirectory(inputDir)) throw new IOException(inputDir + ": no such folder");
            Files.createDirectories(outputDir);
            try (var files = Files.list(inputDir)) {
                for (Path in : files.filter(RefineCommand::isImage).sorted().toList()) {
                    List<Path> outs = numbered(outputDir.resolve(stem(in) + ".png"));
                    jobs.add(new Job(in, outs, outs.stream().allMatch(Files::exists)));
                }
            }
            if (jobs.isEmpty()) throw new IOException(inputDir + ": no PNG or JPEG images");
        }
        for (Job job : jobs) {
            if (!Files.isReadable(job.input())) throw new IOException(job.input() + ": cannot read the input");
            for (Path o : job.outputs()) checkWritable(o);
        }
        if (outputLatents != null) checkWritable(outputLatents);
        return jobs;
    }

    private List<Path> numbered(Path target) {
        if (numImages == 1) return List.of(target);
        List<Path> out = new ArrayList<>();
        for (int k = 1; k <= numImages; k++) out.add(target.resolveSibling(stem(target) + "-" + k + ".png"));
        return out;
    }

    private static void checkWritable(Path target) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) throw new IOException(target + ": the folder does not exist");
        if (!Files.isWritable(dir)) throw new IOException(target + ": cannot write in " + dir);
        if (Files.isDirectory(target)) throw new IOException(target + ": is a folder, not a file");
    }

    /** The pipeline input for a file: latents from a .safetensors file, else an image. */
    private InitImage load(Path input) throws IOException {
        if (input.getFileName().toString().endsWith(".safetensors")) return LatentsFile.read(input);
        PixelTensor pixels = VaeImageProcessor.preprocess(ImageLoader.read(input));
        MemoryCheck.image(pixels.height(), pixels.width());
        return InitImage.pixels(pixels.data(), pixels.height(), pixels.width());
    }

    private static boolean isImage(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return Files.isRegularFile(p) && (n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg"));
    }

    private static String stem(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }
}
