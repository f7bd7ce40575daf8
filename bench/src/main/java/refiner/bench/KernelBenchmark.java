package refiner.bench;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The CPU backend's dense kernels on the refiner UNet's shapes at 512 px (batch 2 under guidance,
 * latent 64 x 64) with fp16 weights in native memory, as a mapped checkpoint holds them. The
 * backend runs on all cores; the {@code flops} rate is GFLOP/s.
 *
 * <p>Shapes as {@link KernelProbe} takes them.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx8g"})
@Threads(1)
@State(Scope.Benchmark)
public class KernelBenchmark {

    @Param({
        "linear:2048:768:768",      // level 1 attention q/k/v/out and proj_in/out
        "linear:2048:768:6144",     // level 1 GEGLU proj
        "linear:2048:3072:768",     // level 1 feed-forward out
        "linear:512:1536:12288",    // level 2 GEGLU proj
        "linear:154:1280:768",      // level 1 cross-attention k/v from the text states
        "conv:2:384:64:64:384:3:1", // level 0 resnet conv
        "conv:2:768:32:32:768:3:1", // level 1 resnet conv
        "conv:2:1536:16:16:1536:3:1", // level 2 resnet conv
        "conv:2:384:64:64:384:3:2", // level 0 downsampler
        "attention:2:1024:1024:12", // level 1 self-attention, head dim 64
        "attention:2:1024:77:12"    // level 1 cross-attention
    })
    public String shape;

    private KernelProbe probe;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        probe = new KernelProbe(shape, Runtime.getRuntime().availableProcessors());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        probe.close();
    }

    @Benchmark
    public void kernel(Flops f) {
        probe.run();
        f.flops += (long) (probe.gflop() * 1e9);
    }
}
