package refiner.tests.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Help, version and bad usage: exit codes 0 and 2, one-line errors naming the way to help. */
class UsageTest {

    @ParameterizedTest(name = "refiner {0}")
    @ValueSource(strings = {"--help", "inspect --help", "tokenize --help", "help inspect"})
    void helpExitsZeroWithUsage(String args) {
        Cli.Result r = Cli.run(args.split(" "));
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().startsWith("Usage: refiner"), r.out());
        assertEquals("", r.err());
    }

    @ParameterizedTest(name = "refiner {0}")
    @ValueSource(strings = {"--version", "inspect --version"})
    void versionNamesTheProjectAndJava(String args) {
        Cli.Result r = Cli.run(args.split(" "));
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().startsWith("refiner 0."), r.out());
        assertTrue(r.out().contains("Java 25") || r.out().contains("Java 2"), r.out());
        assertTrue(r.out().contains("Vector API enabled"), r.out());
    }

    @ParameterizedTest(name = "refiner {0}")
    @ValueSource(strings = {"", "--bogus", "bogus", "inspect a b", "inspect --bogus", "tokenize", "tokenize --json"})
    void badUsageExitsTwoWithOneLine(String args) {
        Cli.Result r = Cli.run(args.isEmpty() ? new String[0] : args.split(" "));
        assertEquals(2, r.code(), r.toString());
        List<String> lines = r.errLines();
        assertEquals(1, lines.size(), r.toString());
        assertTrue(lines.getFirst().startsWith("refiner: ") && lines.getFirst().endsWith(" --help')"), lines.getFirst());
        assertEquals("", r.out());
    }

    @org.junit.jupiter.api.Test
    void anUnknownCommandIsCalledSo() {
        assertEquals(List.of("refiner: unknown command 'bogus' (see 'refiner --help')"), Cli.run("bogus").errLines());
    }
}
