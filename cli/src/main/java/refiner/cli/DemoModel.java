package refiner.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import refiner.engine.synth.Component;
import refiner.engine.synth.Param;
import refiner.engine.synth.Preset;
import refiner.engine.synth.SynthModel;

/**
 * The built-in demo model: the tiny synthetic refiner, written once into the user's cache folder
 * ({@code $XDG_CACHE_HOME/refiner} or {@code ~/.cache/refiner}) under a name that changes whenever
 * its content would. Its weights are random.
 */
final class DemoModel {
    /** The model argument that selects the demo model. */
    static final String NAME = "demo";
    static final Preset PRESET = Preset.TINY;
    static final long SEED = 0;

    private DemoModel() {
    }

    /** The demo model folder, written first if it is not in the cache yet. */
    static Path materialise() throws IOException {
        Path folder = cacheRoot().resolve("demo-" + fingerprint());
        if (Files.isDirectory(folder)) return folder;
        try {
            SynthModel.write(PRESET, SEED, folder);
        } catch (IOException e) {
            if (!Files.isDirectory(folder)) throw new IOException("cannot write the demo model to " + folder + ": " + Errors.message(e), e);
        }
        return folder;
    }

    /** {@code $XDG_CACHE_HOME/refiner} when that variable holds an absolute path, else {@code ~/.cache/refiner}. */
    static Path cacheRoot() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) return Path.of(xdg, "refiner");
        return Path.of(System.getProperty("user.home"), ".cache", "refiner");
    }

    /** A checksum of everything that shapes the demo's content: preset, seed, keys, shapes, fills. */
    private static String fingerprint() {
        CRC32 crc = new CRC32();
        StringBuilder s = new StringBuilder(PRESET.id()).append(SEED).append(SynthModel.REVISION);
        for (Component c : Component.values()) {
            s.append(c.folder()).append(PRESET.config(c));
            for (Param p : PRESET.params(c)) s.append(p).append(p.init());
        }
        crc.update(s.toString().getBytes(StandardCharsets.UTF_8));
        return String.format("%08x", crc.getValue());
    }
}
