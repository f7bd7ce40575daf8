package refiner.loader;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/** The shared model folders beside the checkout ({@code ../shared/models}); tests skip when absent. */
public final class Shared {
    private Shared() {
    }

    /** A model folder of ../shared/models (e.g. "tiny-refiner"), or the test is skipped. */
    public static Path model(String name) {
        for (Path d = Path.of("").toAbsolutePath(); d != null && d.getParent() != null; d = d.getParent()) {
            Path m = d.getParent().resolve("shared").resolve("models").resolve(name);
            if (Files.isDirectory(m)) return m;
        }
        Assumptions.abort("model folder not found: ../shared/models/" + name + " beside the checkout");
        return null;
    }
}
