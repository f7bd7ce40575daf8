package refiner.cli;

import java.io.IOException;
import java.io.PrintWriter;
import refiner.engine.synth.SynthModel;
import refiner.loader.hf.ModelFolder;

/**
 * Turns a model argument into a model folder: {@code demo} (the built-in demo model, also used when
 * no model is given), a folder on disk, or a Hugging Face repo id found in the local hub cache.
 */
final class ModelArgument {
    private ModelArgument() {
    }

    /** The model folder named by {@code arg}; a note on {@code err} when its weights are random. */
    static ModelFolder resolve(String arg, PrintWriter err) throws IOException {
        ModelFolder folder = arg == null || arg.equals(DemoModel.NAME)
                ? ModelFolder.open(DemoModel.materialise())
                : ModelFolder.resolve(arg);
        if (SynthModel.isSynthetic(folder.root())) {
            err.println("refiner: note: " + folder.root() + " holds a synthetic model: its weights are random, so its outputs are noise");
            err.flush();
        }
        return folder;
    }
}
