package refiner.engine.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What one benchmark run measured: the machine (fp32 FMA peak before the load and again after the
 * last repeat, processor, threads), the load time,
 * the time to the first UNet step, the peak resident memory, each stage's timings and rate, and,
 * when profiled, the backend ops by time, and the products, convolutions and attentions by shape.
 *
 * @param peakDeviceBytes the most device memory held at a stage's end (CUDA), -1 without a device
 * @param stages by name: {@code text_encoder}, {@code vae_encode}, {@code unet_step}, {@code vae_decode}
 */
public record BenchReport(String backend, String cpu, int threads, double fmaPeakGflops, double fmaPeakEndGflops, int width, int height, int steps,
                          int repeat, double loadSeconds, double timeToFirstStepSeconds, long peakRssBytes,
                          long peakDeviceBytes, Map<String, StageResult> stages, List<OpStats> profile, List<OpStats> shapes) {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** The report as the JSON object {@code refiner bench --json} writes. */
    public ObjectNode toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.putObject("machine").put("fma_peak_gflops", fmaPeakGflops).put("fma_peak_end_gflops", fmaPeakEndGflops)
                .put("cpu", cpu).put("threads", threads);
        root.put("backend", backend).put("width", width).put("height", height).put("steps", steps).put("repeat", repeat);
        root.put("load_s", loadSeconds).put("time_to_first_step_s", timeToFirstStepSeconds).put("peak_rss_bytes", peakRssBytes);
        if (peakDeviceBytes >= 0) root.put("peak_device_bytes", peakDeviceBytes);
        ObjectNode st = root.putObject("stages");
        stages.forEach((name, s) -> st.putObject(name)
                .put("median_s", s.timings().median()).put("min_s", s.timings().min()).put("max_s", s.timings().max())
                .put("gflops", s.gflops()).put("macs", s.macs())
                .put("max_abs_output", s.maxAbsOutput()).put("non_finite_outputs", s.nonFiniteOutputs()));
        if (!profile.isEmpty()) {
            var ops = root.putArray("profile");
            for (OpStats o : profile) {
                ops.addObject().put("op", o.op()).put("calls", o.calls()).put("seconds", o.seconds())
                        .put("macs", o.macs()).put("gflops", o.gflops());
            }
            var byShape = root.putArray("profile_shapes");
            for (OpStats o : shapes) {
                byShape.addObject().put("op", o.op()).put("shape", o.shape()).put("calls", o.calls()).put("seconds", o.seconds())
                        .put("macs", o.macs()).put("gflops", o.gflops());
            }
        }
        return root;
    }

    /** Writes {@link #toJson()} to {@code file} atomically (temporary file, then rename). */
    public void writeJson(Path file) throws IOException {
        Path target = file.toAbsolutePath();
        Path tmp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".tmp");
        try {
            JSON.writeValue(tmp.toFile(), toJson());
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
    }

    /** A human-readable table: one line per stage, then the top ops and the top shapes when profiled. */
    public void print(PrintWriter out, int topOps) {
        out.printf(Locale.ROOT, "machine    %s, %d threads, fp32 FMA peak %.1f GFLOP/s (%.1f after the last repeat)%n", cpu, threads,
                fmaPeakGflops, fmaPeakEndGflops);
        out.printf(Locale.ROOT, "run        %s backend, %dx%d px, %d steps, %d repeats%n", backend, width, height, steps, repeat);
        out.printf(Locale.ROOT, "load       %.2f s; first UNet step done %.2f s after the load began%n", loadSeconds, timeToFirstStepSeconds);
        out.printf(Locale.ROOT, "peak RSS   %.2f GB%s%n", peakRssBytes / 1e9,
                peakDeviceBytes < 0 ? "" : String.format(Locale.ROOT, "; device memory held %.2f GB", peakDeviceBytes / 1e9));
        out.printf(Locale.ROOT, "%-13s %10s %10s %10s %10s %10s %7s %10s%n", "stage", "median s", "min s", "max s", "GMAC", "GFLOP/s",
                "% peak", "max |out|");
        stages.forEach((name, s) -> out.printf(Locale.ROOT, "%-13s %10.3f %10.3f %10.3f %10.2f %10.1f %7s %10.3g%s%n", name,
                s.timings().median(), s.timings().min(), s.timings().max(), s.macs() / 1e9, s.gflops(), ofPeak(s.gflops()),
                s.maxAbsOutput(), s.nonFiniteOutputs() == 0 ? "" : "  " + s.nonFiniteOutputs() + " NaN/Inf"));
        if (profile.isEmpty()) return;
        double total = profile.stream().mapToDouble(OpStats::seconds).sum();
        out.println();
        out.printf(Locale.ROOT, "%-22s %8s %10s %7s %10s %7s%n", "op (all stages)", "calls", "seconds", "% time", "GFLOP/s", "% peak");
        for (OpStats o : profile.subList(0, Math.min(topOps, profile.size()))) {
            out.printf(Locale.ROOT, "%-22s %8d %10.3f %6.1f%% %10.1f %7s%n", o.op(), o.calls(), o.seconds(), 100 * o.seconds() / total,
                    o.gflops(), ofPeak(o.gflops()));
        }
        out.println();
        out.printf(Locale.ROOT, "%-52s %8s %10s %7s %10s %7s%n", "op and shape (all stages)", "calls", "seconds", "% time", "GFLOP/s", "% peak");
        for (OpStats o : shapes.subList(0, Math.min(topOps, shapes.size()))) {
            out.printf(Locale.ROOT, "%-52s %8d %10.3f %6.1f%% %10.1f %7s%n", o.op() + " " + o.shape(), o.calls(), o.seconds(),
                    100 * o.seconds() / total, o.gflops(), ofPeak(o.gflops()));
        }
    }

    /** A rate as a share of the CPU's FMA peak; "-" when the work ran on another device. */
    private String ofPeak(double gflops) {
        return backend.equals("cpu") ? String.format(Locale.ROOT, "%.1f%%", 100 * gflops / fmaPeakGflops) : "-";
    }
}
