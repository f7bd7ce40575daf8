package refiner.loader.safetensors;

import java.io.IOException;
import java.nio.file.Path;

/** A safetensors file that cannot be read or written: one line naming the file and, where known, the tensor. */
public final class SafetensorsException extends IOException {

    /** A problem with the file as a whole. */
    public SafetensorsException(Path file, String problem) {
        super(file + ": " + problem);
    }

    /** A problem with one tensor of the file. */
    public SafetensorsException(Path file, String tensor, String problem) {
        super(file + ": tensor '" + tensor + "': " + problem);
    }
}
