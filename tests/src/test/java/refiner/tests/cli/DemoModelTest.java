package refiner.tests.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo model through a child JVM started like {@code java -jar}, without the Vector API module:
 * the launcher restarts it with the module, the demo is written once into the cache and reused.
 */
class DemoModelTest {

    @Test
    void inspectDemoWritesTheCacheOnceAndSaysTheWeightsAreRandom(@TempDir Path cache) throws Exception {
        Map<String, String> env = Map.of("XDG_CACHE_HOME", cache.toString());
        Cli.Result first = Cli.runJava(env, "inspect", "demo");
        assertEquals(0, first.code(), first.toString());
        assertTrue(first.out().contains("weights    random (demo model): outputs are noise"), first.out());
        assertTrue(first.out().contains("778 tensors (F16), 4,110,148 parameters"), first.out());
        assertEquals(1, first.errLines().size(), first.toString());
        assertTrue(first.errLines().getFirst().contains("its weights are random"), first.err());

        List<Path> written;
        try (Stream<Path> s = Files.list(cache.resolve("refiner"))) {
            written = s.toList();
        }
        assertEquals(1, written.size(), written.toString());
        assertTrue(written.getFirst().getFileName().toString().startsWith("demo-"), written.toString());
        long stamp = Files.getLastModifiedTime(written.getFirst().resolve("unet/diffusion_pytorch_model.fp16.safetensors")).toMillis();

        Cli.Result again = Cli.runJava(env, "inspect");
        assertEquals(0, again.code(), again.toString());
        assertEquals(first.out(), again.out());
        assertEquals(stamp, Files.getLastModifiedTime(written.getFirst().resolve("unet/diffusion_pytorch_model.fp16.safetensors")).toMillis());
    }

    @Test
    void theLauncherEnablesTheVectorApi() throws Exception {
        Cli.Result r = Cli.runJava(Map.of(), "--version");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("Vector API enabled"), r.toString());
    }

    @Test
    void theChildExitCodeIsPassedOn() throws Exception {
        Cli.Result r = Cli.runJava(Map.of(), "inspect", "a", "b");
        assertEquals(2, r.code(), r.toString());
    }
}
