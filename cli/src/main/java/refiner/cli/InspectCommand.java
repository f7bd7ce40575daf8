package refiner.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import refiner.engine.synth.SynthModel;
import refiner.loader.DType;
import refiner.loader.safetensors.SafetensorsFile;
import refiner.loader.safetensors.TensorInfo;

/**
 * {@code refiner inspect}: lists the components of a model folder, the weight files chosen, their
 * dtypes, parameter counts and bytes, and a summary of each config; every safetensors header is
 * validated, and a damaged file makes the command fail.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show the components, weight files, dtypes, sizes and configs of a model, and validate every file.")
final class InspectCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Parameters(arity = "0..1", paramLabel = "MODEL",
            description = "A model folder, a Hugging Face repo id in the local hub cache, or 'demo' (the default).")
    String model;

    @Spec
    CommandSpec spec;

    private final List<String> problems = new ArrayList<>();

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Path folder = ModelArgument.resolve(model, err);
        JsonNode index = readJson(folder.resolve("model_index.json"));
        out.println("model      " + folder);
        out.println("pipeline   " + index.path("_class_name").asText("?"));
        if (SynthModel.isSynthetic(folder)) out.println("weights    random (demo model): outputs are noise");

        long params = 0;
        long bytes = 0;
        for (Map.Entry<String, JsonNode> e : index.properties()) {
            JsonNode kind = e.getValue();
            if (e.getKey().startsWith("_") || !kind.isArray() || kind.size() != 2 || kind.get(1).isNull()) continue;
            Totals t = component(out, folder, e.getKey(), kind.get(1).asText());
            params += t.params;
            bytes += t.bytes;
        }
        out.println();
        out.println("total      " + count(params) + " parameters, " + size(bytes));
        out.flush();
        for (String p : problems) err.println("refiner: " + p);
        err.flush();
        return problems.isEmpty() ? 0 : Errors.FAILURE;
    }

    /** Prints one component and returns its parameter and byte counts. */
    private Totals component(PrintWriter out, Path folder, String name, String className) {
        out.println();
        out.println(name + "  " + className);
        Path dir = folder.resolve(name);
        Totals totals = new Totals();
        if (!Files.isDirectory(dir)) {
            problems.add(dir + ": component folder missing (listed in model_index.json)");
            out.println("  missing");
            return totals;
        }
        for (String configName : List.of("config.json", "scheduler_config.json")) {
            Path config = dir.resolve(configName);
            if (!Files.isRegularFile(config)) continue;
            try {
                out.println("  config   " + ConfigSummary.of(className, readJson(config)));
            } catch (IOException e) {
                problems.add(Errors.message(e));
                out.println("  config   unreadable");
            }
        }
        if (Files.isRegularFile(dir.resolve("config.json"))) weights(out, folder, dir, totals);
        if (Files.isRegularFile(dir.resolve("tokenizer_config.json"))) {
            for (String f : List.of("vocab.json", "merges.txt")) {
                boolean present = Files.isRegularFile(dir.resolve(f));
                if (!present) problems.add(dir.resolve(f) + ": tokenizer file missing");
                out.println("  file     " + folder.relativize(dir.resolve(f)) + (present ? "" : "  MISSING"));
            }
        }
        return totals;
    }

    private void weights(PrintWriter out, Path folder, Path dir, Totals totals) {
        List<Path> files;
        try {
            files = WeightFiles.of(dir);
        } catch (IOException e) {
            problems.add(Errors.message(e));
            out.println("  weights  none");
            return;
        }
        Map<DType, Long> byDtype = new TreeMap<>();
        int tensors = 0;
        for (Path file : files) {
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                for (TensorInfo t : f.tensors().values()) {
                    byDtype.merge(t.dtype(), t.numel(), Long::sum);
                    totals.params += t.numel();
                    totals.bytes += t.byteSize();
                }
                tensors += f.tensors().size();
                out.println("  file     " + folder.relativize(file) + "  " + size(Files.size(file)) + ", header ok");
            } catch (IOException e) {
                problems.add(Errors.message(e));
                out.println("  file     " + folder.relativize(file) + "  DAMAGED");
            }
        }
        StringBuilder dtypes = new StringBuilder();
        for (Map.Entry<DType, Long> d : byDtype.entrySet()) {
            if (!dtypes.isEmpty()) dtypes.append(", ");
            dtypes.append(d.getKey());
            if (byDtype.size() > 1) dtypes.append(' ').append(count(d.getValue()));
        }
        out.println("  weights  " + tensors + " tensors (" + dtypes + "), " + count(totals.params) + " parameters, " + size(totals.bytes));
    }

    private static JsonNode readJson(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IOException(file + ": missing");
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException(file + ": not valid JSON: " + Errors.message(e), e);
        }
    }

    private static String count(long n) {
        return String.format("%,d", n);
    }

    private static String size(long bytes) {
        if (bytes < 1024) return bytes + " B";
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format("%,d bytes (%.1f %s)", bytes, v, units[u]);
    }

    /** Parameter and byte counts of one component. */
    private static final class Totals {
        long params;
        long bytes;
    }
}
