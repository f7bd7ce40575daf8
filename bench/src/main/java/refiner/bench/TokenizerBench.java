package refiner.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import refiner.tokenizer.ClipTokenizer;

/**
 * Encoding a prompt to 77 ids with the CLIP tokenizer, with the BPE cache warm ({@code cache=4096})
 * and with no cache ({@code cache=0}, every word merged anew). The tokenizer folder is the system
 * property {@code refiner.tokenizer}, else {@code shared/models/tiny-refiner/tokenizer_2} beside the
 * working directory or one of its parents.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TokenizerBench {
    private static final String SHORT = "a photo of an astronaut riding a horse on mars";
    private static final String LONG = "a breathtaking panoramic landscape photograph of an ancient castle perched on a misty"
            + " mountain ridge at golden hour, with dramatic volumetric light rays piercing through storm clouds, a winding"
            + " river reflecting the orange sky, dense pine forests, tiny villages with glowing windows, flocks of birds,"
            + " snow capped peaks in the far distance, ultra detailed, 8k resolution, shot on a medium format camera, award"
            + " winning, trending on artstation, cinematic composition";

    @Param({"short", "long"})
    public String prompt;

    @Param({"4096", "0"})
    public int cache;

    private ClipTokenizer tokenizer;
    private String text;

    @Setup
    public void load() throws IOException {
        tokenizer = ClipTokenizer.load(tokenizerDir(), cache);
        text = prompt.equals("short") ? SHORT : LONG;
    }

    @Benchmark
    public int[] encode() {
        return tokenizer.encode(text);
    }

    private static Path tokenizerDir() throws IOException {
        String property = System.getProperty("refiner.tokenizer");
        if (property != null) return Path.of(property);
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path dir = d.resolve("shared/models/tiny-refiner/tokenizer_2");
            if (Files.isRegularFile(dir.resolve("vocab.json"))) return dir;
        }
        throw new IOException("tokenizer folder not found: pass -Drefiner.tokenizer=DIR (a folder with vocab.json and merges.txt)");
    }
}
