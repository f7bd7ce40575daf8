package refiner.tests.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import refiner.tests.Golden;

/** Bad input to {@code refiner refine}: one line, the right exit code, nothing written. */
class RefineCommandTest {

    private static String model() {
        return Golden.model("tiny-refiner").toString();
    }

    private static Path image() {
        return Golden.sharedDir().resolve("golden/tiny-refiner/pipe0_init.png");
    }

    private static void assertOneLine(Cli.Result r, int code, String fragment) {
        assertEquals(code, r.code(), r.toString());
        assertEquals(1, r.errLines().size(), r.toString());
        assertTrue(r.errLines().getFirst().startsWith("refiner: ") && r.errLines().getFirst().contains(fragment), r.toString());
    }

    @Test
    void strengthOutsideTheRangeIsBadUsage(@TempDir Path tmp) {
        Path out = tmp.resolve("o.png");
        assertOneLine(Cli.run("refine", "--model", model(), "-i", image().toString(), "-p", "x", "--strength", "1.5",
                "-o", out.toString()), 2, "strength");
        assertFalse(Files.exists(out));
    }

    @Test
    void zeroStepsIsBadUsage(@TempDir Path tmp) {
        assertOneLine(Cli.run("refine", "--model", model(), "-i", image().toString(), "-p", "x", "--steps", "0",
                "-o", tmp.resolve("o.png").toString()), 2, "steps");
    }

    @Test
    void strengthTimesStepsRoundingToNothingFails(@TempDir Path tmp) {
        Path out = tmp.resolve("o.png");
        assertOneLine(Cli.run("refine", "--model", model(), "-i", image().toString(), "-p", "x", "--steps", "3",
                "--strength", "0.2", "--backend", "cpu", "-o", out.toString()), 1, "no step");
        assertFalse(Files.exists(out));
    }

    @Test
    void anUnreadableImageFails(@TempDir Path tmp) throws IOException {
        Path bad = Files.writeString(tmp.resolve("bad.png"), "not a picture");
        assertOneLine(Cli.run("refine", "--model", model(), "-i", bad.toString(), "-p", "x", "--backend", "cpu",
                "-o", tmp.resolve("o.png").toString()), 1, "bad.png");
        assertFalse(Files.exists(tmp.resolve("o.png")));
    }

    @Test
    void anOutputInAMissingFolderFailsBeforeAnyWork(@TempDir Path tmp) {
        assertOneLine(Cli.run("refine", "--model", model(), "-i", image().toString(), "-p", "x",
                "-o", tmp.resolve("no/such/dir/o.png").toString()), 1, "folder does not exist");
    }

    @Test
    void aBaseModelIsRefused(@TempDir Path tmp) {
        assertOneLine(Cli.run("refine", "--model", Golden.model("tiny-base").toString(), "-i", image().toString(), "-p", "x",
                "-o", tmp.resolve("o.png").toString()), 1, "base model");
    }

    @Test
    void cudaWithoutAGpuFailsWithAReason(@TempDir Path tmp) {
        Cli.Result r = Cli.run("refine", "--model", model(), "-i", image().toString(), "-p", "x", "--backend", "cuda",
                "-o", tmp.resolve("o.png").toString());
        if (r.code() == 0) return;
        assertOneLine(r, 1, "cuda");
    }

    /** Two fresh JVMs compile the kernels at different moments; the picture must not depend on it. */
    @Test
    void theSameSeedInTwoProcessesGivesTheSameBytes(@TempDir Path tmp) throws Exception {
        byte[][] pngs = new byte[2][];
        for (int k = 0; k < 2; k++) {
            Path out = tmp.resolve("run" + k + ".png");
            Cli.Result r = Cli.runJava(java.util.Map.of(), "refine", "--model", model(), "-i", image().toString(), "-p", "a lighthouse",
                    "--steps", "10", "--strength", "0.5", "--seed", "11", "--backend", "cpu", "--quiet", "-o", out.toString());
            assertEquals(0, r.code(), r.toString());
            pngs[k] = Files.readAllBytes(out);
        }
        assertTrue(java.util.Arrays.equals(pngs[0], pngs[1]), "same seed, same PNG bytes");
    }

    @Test
    void batchModeRefinesEachImageOnceAndSkipsThoseDone(@TempDir Path tmp) throws IOException {
        Path in = Files.createDirectories(tmp.resolve("in"));
        Files.copy(image(), in.resolve("a.png"));
        Files.copy(image(), in.resolve("b.png"));
        Path outDir = tmp.resolve("out");
        String[] args = {"refine", "--model", model(), "--input-dir", in.toString(), "--output-dir", outDir.toString(),
                "-p", "x", "--steps", "4", "--strength", "0.5", "--seed", "3", "--backend", "cpu"};
        Cli.Result first = Cli.run(args);
        assertEquals(0, first.code(), first.toString());
        assertTrue(Files.exists(outDir.resolve("a.png")) && Files.exists(outDir.resolve("b.png")), first.toString());
        Cli.Result second = Cli.run(args);
        assertEquals(0, second.code(), second.toString());
        assertTrue(second.out().contains("skipped"), second.toString());
    }
}
