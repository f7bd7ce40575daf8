package refiner.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Two builds of the CPU engine side by side in one JVM. Each build's classes (a directory such as
 * {@code engine/target/classes}, one of them copied before a change) are defined by a class
 * loader of its own, with a {@link KernelProbe} each, and the builds' calls alternate, so both
 * meet the machine in the same moments: on a shared or virtual machine whose speed drifts by up
 * to two times within minutes, only such pairs compare. Prints each build's median and best rate
 * and the median of the per-pair ratios, B over A.
 *
 * <p>Usage: {@code SideBySide DIR_A DIR_B THREADS PAIRS SHAPE...}, shapes as {@link KernelProbe}
 * takes them. Products of few rows need a few hundred calls before the JIT has compiled them.
 */
public final class SideBySide {
    private SideBySide() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 5) {
            System.err.println("usage: SideBySide DIR_A DIR_B THREADS PAIRS SHAPE...");
            System.exit(2);
        }
        Path[] dirs = {Path.of(args[0]), Path.of(args[1])};
        int threads = Integer.parseInt(args[2]), pairs = Integer.parseInt(args[3]);
        for (int s = 4; s < args.length; s++) {
            Object[] probes = new Object[2];
            Method[] once = new Method[2];
            for (int b = 0; b < 2; b++) {
                Class<?> c = new Build(dirs[b], SideBySide.class.getClassLoader()).loadClass(KernelProbe.class.getName());
                probes[b] = c.getConstructor(String.class, int.class).newInstance(args[s], threads);
                once[b] = c.getMethod("once");
            }
            double[][] rate = new double[2][pairs];
            double[] ratio = new double[pairs];
            for (int i = 0; i < pairs; i++) {
                for (int b = 0; b < 2; b++) rate[b][i] = (double) once[b].invoke(probes[b]);
                ratio[i] = rate[1][i] / rate[0][i];
            }
            for (Object p : probes) ((AutoCloseable) p).close();
            for (double[] r : rate) Arrays.sort(r);
            Arrays.sort(ratio);
            System.out.printf("%-30s A median %7.1f best %7.1f   B median %7.1f best %7.1f   B/A %.3f (GFLOP/s, %d pairs)%n", args[s],
                    rate[0][pairs / 2], rate[0][pairs - 1], rate[1][pairs / 2], rate[1][pairs - 1], ratio[pairs / 2], pairs);
        }
    }

    /** Defines the engine's classes from one build's directory, and the probe anew against them. */
    private static final class Build extends ClassLoader {
        private final Path dir;

        Build(Path dir, ClassLoader parent) {
            super(parent);
            this.dir = dir;
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            synchronized (getClassLoadingLock(name)) {
                Class<?> c = findLoadedClass(name);
                if (c == null && (name.startsWith("refiner.engine.") || name.equals(KernelProbe.class.getName()))) {
                    byte[] b = bytes(name);
                    c = defineClass(name, b, 0, b.length);
                }
                if (c == null) c = super.loadClass(name, false);
                if (resolve) resolveClass(c);
                return c;
            }
        }

        private byte[] bytes(String name) throws ClassNotFoundException {
            String file = name.replace('.', '/') + ".class";
            try {
                if (name.startsWith("refiner.engine.")) {
                    Path p = dir.resolve(file);
                    if (!Files.exists(p)) throw new ClassNotFoundException(name + " is not in " + dir);
                    return Files.readAllBytes(p);
                }
                try (InputStream in = getParent().getResourceAsStream(file)) {
                    if (in == null) throw new ClassNotFoundException(name);
                    return in.readAllBytes();
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
