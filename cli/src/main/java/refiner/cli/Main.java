package refiner.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Entry point of {@code refiner.jar}. A jar manifest cannot add modules, so when the JVM was
 * started without {@code jdk.incubator.vector} this class starts the same java again with
 * {@code --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED} (plus the original
 * JVM arguments), forwards stdin/stdout/stderr and exits with the child's exit code. It touches
 * only JDK classes until that decision is made; see docs/launcher.md.
 */
public final class Main {
    /** System property set on the relaunched JVM so that it never relaunches again. */
    static final String RELAUNCHED = "refiner.relaunched";
    private static final String VECTOR_MODULE = "jdk.incubator.vector";
    private static final String INCUBATOR_NOTE = "WARNING: Using incubator modules: ";

    private Main() {
    }

    public static void main(String[] args) {
        if (ModuleLayer.boot().findModule(VECTOR_MODULE).isPresent() || Boolean.getBoolean(RELAUNCHED)) {
            System.exit(Refiner.run(args));
        }
        System.exit(relaunch(args));
    }

    /**
     * Copies the child's stderr to ours line by line, leaving out the JVM's own note that an
     * incubator module is in use (the relaunch asked for it; it tells the user nothing).
     */
    private static void forwardErrors(InputStream childErr) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(childErr, StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                if (line.startsWith(INCUBATOR_NOTE)) continue;
                System.err.println(line);
                System.err.flush();
            }
        } catch (IOException e) {
            System.err.println("refiner: lost the output of the restarted java: " + e.getMessage());
        }
    }

    /** Runs this class again in a child JVM with the Vector API module; returns its exit code. */
    private static int relaunch(String[] args) {
        String java = ProcessHandle.current().info().command().orElse(null);
        if (java == null) {
            System.err.println("refiner: cannot find the running java to restart it with --add-modules "
                    + VECTOR_MODULE + "; run java --add-modules " + VECTOR_MODULE + " -jar refiner.jar");
            return 1;
        }
        List<String> command = new ArrayList<>();
        command.add(java);
        command.add("--add-modules");
        command.add(VECTOR_MODULE);
        command.add("--enable-native-access=ALL-UNNAMED");
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.add("-D" + RELAUNCHED + "=true");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(Main.class.getName());
        command.addAll(List.of(args));
        try {
            Process child = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.INHERIT)
                    .redirectOutput(ProcessBuilder.Redirect.INHERIT)
                    .start();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                if (child.isAlive()) child.destroy();
            }));
            Thread errors = Thread.ofPlatform().daemon().start(() -> forwardErrors(child.getErrorStream()));
            int code = child.waitFor();
            errors.join();
            return code;
        } catch (Exception e) {
            System.err.println("refiner: cannot restart java with --add-modules " + VECTOR_MODULE + ": " + e.getMessage());
            return 1;
        }
    }
}
