package refiner.cli;

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
import refiner.loader.hf.Component;
import refiner.loader.hf.ModelFolder;
import refiner.loader.safetensors.SafetensorsFile;
import refiner.loader.safetensors.TensorInfo;

/**
 * {@code refiner inspect}: lists the components of a model folder, the weight files chosen, their
 * dtypes, parameter counts and bytes, and a summary of each config; every safetensors header is
 * validated, and a damaged file makes the command fail.
 */
@Command(name = "inspect",
        description = "Show the components, weight files, dtypes, sizes and configs of a model, and validate every file.")
final class InspectCommand implements Callable<Integer> {
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
        ModelFolder folder = ModelArgument.resolve(model, err);
        out.println("model      " + folder.root());
        out.println("pipeline   " + folder.modelIndex().path("_class_name").asText("?"));
        if (SynthModel.isSynthetic(folder.root())) out.println("weights    random (demo model): outputs are noise");

        long params = 0;
        long bytes = 0;
        for (String name : folder.componentNames()) {
            Totals t = component(out, folder.root(), folder.component(name));
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
    private Totals component(PrintWriter out, Path root, Component c) {
        out.println();
        out.println(c.name() + "  " + c.className());
        Totals totals = new Totals();
        if (!Files.isDirectory(c.dir())) {
            problems.add(c.dir() + ": folder of component '" + c.name() + "' is missing");
            out.println("  missing");
            return totals;
        }
        try {
            String summary = ConfigSummary.of(c.className(), c.config());
            if (!summary.isEmpty()) out.println("  config   " + summary);
        } catch (IOException e) {
            problems.add(Errors.message(e));
            out.println("  config   unreadable");
        }
        switch (c.kind()) {
            case MODEL -> weights(out, root, c, totals);
            case TOKENIZER -> {
                for (String f : List.of("vocab.json", "merges.txt")) {
                    Path file = c.dir().resolve(f);
                    boolean present = Files.isRegularFile(file);
                    if (!present) problems.add(file + ": missing");
                    out.println("  file     " + root.relativize(file) + (present ? "" : "  MISSING"));
                }
            }
            case SCHEDULER -> { }
        }
        return totals;
    }

    private void weights(PrintWriter out, Path root, Component c, Totals totals) {
        List<Path> files;
        try {
            files = c.weightFiles();
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
                out.println("  file     " + root.relativize(file) + "  " + size(Files.size(file)) + ", header ok");
            } catch (IOException e) {
                problems.add(Errors.message(e));
                out.println("  file     " + root.relativize(file) + "  DAMAGED");
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
