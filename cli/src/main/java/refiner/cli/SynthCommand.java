package refiner.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import refiner.engine.synth.Preset;
import refiner.engine.synth.SynthModel;

/**
 * {@code refiner synth}: writes a random-weight model of a preset topology in the Hugging Face layout,
 * for tests and benchmarks where the real weights are not at hand.
 */
@Command(name = "synth", mixinStandardHelpOptions = true,
        description = "Write a model with seeded random weights in the real layout (keys, shapes, fp16, configs).")
final class SynthCommand implements Callable<Integer> {

    @Option(names = "--preset", required = true, paramLabel = "NAME",
            description = "refiner-1.0 (the full-size SDXL refiner, 6.1 GB) or tiny (the demo model, 18 MB).")
    String preset;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "The model folder to create; it must not exist.")
    Path out;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "N", description = "Seed of the weights (default: ${DEFAULT-VALUE}).")
    long seed;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        Preset p;
        try {
            p = Preset.of(preset);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        long start = System.nanoTime();
        long[] shown = {-1};
        SynthModel.write(p, seed, out, (file, done, total) -> {
            long percent = 100 * done / total;
            if (percent / 5 != shown[0] / 5 || done == total) {
                shown[0] = percent;
                err.printf(Locale.ROOT, "synth: %3d%%  %s  %.2f of %.2f GB%n", percent, file, done / 1e9, total / 1e9);
                err.flush();
            }
        });
        double seconds = (System.nanoTime() - start) / 1e9;
        spec.commandLine().getOut().printf(Locale.ROOT, "wrote %s (%s, seed %d, random weights) in %.1f s%n",
                out.toAbsolutePath().normalize(), p.id(), seed, seconds);
        spec.commandLine().getOut().flush();
        return 0;
    }
}
