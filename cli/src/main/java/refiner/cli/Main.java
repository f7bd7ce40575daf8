package refiner.cli;

import java.lang.management.ManagementFactory;
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

    private Main() {
    }

    public static void main(String[] args) {
        if (ModuleLayer.boot().findModule(VECTOR_MODULE).isPresent() || Boolean.getBoolean(RELAUNCHED)) {
            System.exit(Refiner.run(args));
        }
        System.exit(relaunch(args));
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
            Process child = new ProcessBuilder(command).inheritIO().start();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                if (child.isAlive()) child.destroy();
            }));
            return child.waitFor();
        } catch (Exception e) {
            System.err.println("refiner: cannot restart java with --add-modules " + VECTOR_MODULE + ": " + e.getMessage());
            return 1;
        }
    }
}
