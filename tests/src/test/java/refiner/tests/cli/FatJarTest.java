package refiner.tests.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runnable jar {@code cli/target/refiner.jar} as a user runs it: plain {@code java -jar}, no
 * JVM option. Runs when the jar has been built from the current classes ({@code mvn verify}), and
 * is skipped otherwise.
 */
class FatJarTest {
    static Path jar;

    @BeforeAll
    static void findJar() throws IOException {
        Path cli = Path.of("").toAbsolutePath().resolveSibling("cli").resolve("target");
        jar = cli.resolve("refiner.jar");
        Assumptions.assumeTrue(Files.isRegularFile(jar), "no " + jar + ": run mvn package (or verify) to test the jar");
        FileTime built = Files.getLastModifiedTime(jar);
        try (Stream<Path> classes = Files.walk(cli.resolve("classes"))) {
            Assumptions.assumeTrue(classes.allMatch(p -> !isNewer(p, built)), jar + " is older than the cli classes: run mvn package to test it");
        }
    }

    @Test
    void manifestNamesTheMainClassAndNativeAccessAndNoSignatures() throws IOException {
        try (JarFile f = new JarFile(jar.toFile())) {
            Manifest m = f.getManifest();
            assertEquals("refiner.cli.Main", m.getMainAttributes().getValue("Main-Class"));
            assertEquals("ALL-UNNAMED", m.getMainAttributes().getValue("Enable-Native-Access"));
            assertTrue(f.stream().noneMatch(e -> e.getName().matches("META-INF/[^/]+\\.(SF|DSA|RSA|EC)")), "signature files left in the jar");
            assertTrue(f.getEntry("picocli/CommandLine.class") != null && f.getEntry("refiner/engine/synth/common/tokenizer_2/vocab.json") != null);
            assertNull(f.getEntry("module-info.class"));
        }
    }

    @Test
    void plainJavaJarRunsWithTheVectorApi() throws Exception {
        List<String> out = javaJar(null, "--version");
        assertTrue(out.contains("Vector API enabled"), out.toString());
    }

    @Test
    void plainJavaJarInspectsTheDemoModel(@TempDir Path cache) throws Exception {
        List<String> out = javaJar(cache, "inspect", "demo");
        assertTrue(out.contains("weights    random (demo model): outputs are noise"), out.toString());
    }

    /** Runs {@code java -jar refiner.jar args} and returns its stdout lines; it must exit with 0. */
    private static List<String> javaJar(Path cache, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(), "-jar", jar.toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD);
        if (cache != null) pb.environment().put("XDG_CACHE_HOME", cache.toString());
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "java -jar did not finish");
        assertEquals(0, p.exitValue(), new String(out, StandardCharsets.UTF_8));
        return new String(out, StandardCharsets.UTF_8).lines().toList();
    }

    private static boolean isNewer(Path p, FileTime than) {
        try {
            return Files.getLastModifiedTime(p).compareTo(than) > 0;
        } catch (IOException e) {
            return true;
        }
    }
}
