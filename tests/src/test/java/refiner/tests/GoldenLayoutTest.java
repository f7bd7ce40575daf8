package refiner.tests;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The fixture folders are where the tests look for them. */
class GoldenLayoutTest {
    @Test
    void tinyRefinerManifestListsCases() {
        Golden g = Golden.of("tiny-refiner");
        assertTrue(g.manifest().get("cases").size() > 0, "cases in " + g.dir());
    }
}
