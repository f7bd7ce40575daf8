package refiner.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine;

/** The project version, from the {@code version.properties} resource the build fills in. */
final class Version implements CommandLine.IVersionProvider {

    /** The version string, e.g. {@code 0.1.0-SNAPSHOT}. */
    static String get() {
        Properties p = new Properties();
        try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
            if (in != null) p.load(in);
        } catch (IOException e) {
            return "unknown";
        }
        return p.getProperty("version", "unknown");
    }

    @Override
    public String[] getVersion() {
        boolean vector = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        return new String[] {
                "refiner " + get(),
                "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")",
                "Vector API " + (vector ? "enabled" : "not enabled (start java with --add-modules jdk.incubator.vector)")};
    }
}
