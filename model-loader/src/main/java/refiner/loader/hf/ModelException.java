package refiner.loader.hf;

import java.io.IOException;
import java.nio.file.Path;

/** A model folder that cannot be used: one line naming the path at fault. */
public final class ModelException extends IOException {

    public ModelException(Path path, String problem) {
        super(path + ": " + problem);
    }

    /** A message that already names its paths, such as a list of problems. */
    public ModelException(String message) {
        super(message);
    }
}
