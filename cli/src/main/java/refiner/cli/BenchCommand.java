package refiner.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import refiner.engine.backend.Backends;
import refiner.engine.bench.BenchReport;
import refiner.engine.bench.PipelineBench;

/**
 * {@code refiner bench}: times each stage of a refiner run (text encoder, VAE encode, UNet step,
 * VAE decode) over repeats, with achieved rates against the machine's measured fp32 FMA peak.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Time each stage of a refiner run and compare the rates with the machine's fp32 FMA peak.")
final class BenchCommand implements Callable<Integer> {
    private static final int TOP_OPS = 15;

    @Option(names = "--model", required = true, paramLabel = "DIR",
            description = "A model folder, a Hugging Face repo id in the local hub cache, or 'demo'.")
    String model;

    @Option(names = "--backend", defaultValue = "auto", paramLabel = "NAME",
            description = "cpu, cuda or auto (default: ${DEFAULT-VALUE}); on CUDA the VAE runs in fp32.")
    String backend;

    @Option(names = "--width", defaultValue = "512", paramLabel = "W", description = "Image width in pixels (default: ${DEFAULT-VALUE}).")
    int width;

    @Option(names = "--height", defaultValue = "512", paramLabel = "H", description = "Image height in pixels (default: ${DEFAULT-VALUE}).")
    int height;

    @Option(names = "--steps", defaultValue = "2", paramLabel = "N", description = "UNet steps per repeat (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--repeat", defaultValue = "3", paramLabel = "R", description = "Repeats of the whole run (default: ${DEFAULT-VALUE}).")
    int repeat;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the figures to FILE as JSON.")
    Path json;

    @Option(names = "--profile", description = "Also time every backend op and list the slowest ops, and the slowest products, convolutions and attentions by shape, with their rates.")
    boolean profile;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        PipelineBench.Options options;
        try {
            options = new PipelineBench.Options(width, height, steps, repeat, Runtime.getRuntime().availableProcessors(), profile);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        Backends.Selection selection;
        try {
            selection = Backends.select(backend, options.threads());
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        err.println("bench: " + selection.message());
        BenchReport report;
        try (selection) {
            Path folder = ModelArgument.resolve(model, err).root();
            report = PipelineBench.run(folder, selection.backend(), selection.vaeBackend(), options, err);
        }
        report.print(out, TOP_OPS);
        out.flush();
        if (json != null) report.writeJson(json);
        return 0;
    }
}
