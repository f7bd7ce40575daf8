package refiner.engine.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/** The read-only {@code shared/} folder beside the checkout (models, manifests); tests skip without it. */
public final class Shared {
    private Shared() {
    }

    /** {@code shared/<relative>}, or the calling test is skipped with a message naming it. */
    public static Path require(String relative) {
        for (Path d = Path.of("").toAbsolutePath(); d != null && d.getParent() != null; d = d.getParent()) {
            Path p = d.getParent().resolve("shared").resolve(relative);
            if (Files.exists(p)) return p;
        }
        Assumptions.abort("shared/" + relative + " not found beside the checkout");
        return null;
    }
}
