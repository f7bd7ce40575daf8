package refiner.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import refiner.engine.synth.SynthModel;

/**
 * Turns a model argument into a model folder: {@code demo} (the built-in demo model, also used when
 * no model is given), a folder on disk, or a Hugging Face repo id found in the local hub cache.
 */
final class ModelArgument {
    private ModelArgument() {
    }

    /** The model folder named by {@code arg}; a note on {@code err} when its weights are random. */
    static Path resolve(String arg, PrintWriter err) throws IOException {
        Path folder = locate(arg);
        if (SynthModel.isSynthetic(folder)) {
            err.println("refiner: note: " + folder + " holds the demo model: its weights are random, so its outputs are noise");
            err.flush();
        }
        return folder;
    }

    private static Path locate(String arg) throws IOException {
        if (arg == null || arg.equals(DemoModel.NAME)) return DemoModel.materialise();
        Path path = Path.of(arg);
        if (Files.isDirectory(path)) return path.toAbsolutePath().normalize();
        if (Files.exists(path)) throw new IOException(arg + ": not a model folder (a Hugging Face folder with model_index.json is expected)");
        throw new IOException(arg + ": no such folder");
    }
}
