package refiner.engine.random;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * Double-precision {@code log}, {@code sin} and {@code cos} of the platform's C library, which is
 * what torch's double-precision normal sampling calls. The C library's results are not always
 * correctly rounded and differ from Java's {@link Math} in the last bit for 0.08 % (log) and 0.2 %
 * (sin, cos) of random arguments (glibc 2.36 on x86-64), so calling the C functions themselves is
 * the only way to reproduce torch's float64 draws bit for bit. Only the float64 draws and the
 * per-element path of draws under 16 elements use them; the large float32 draws do not. Where the C library cannot be reached, Java's
 * {@link Math} is used instead.
 */
final class CLibraryMath {
    private static final MethodHandle LOG = find("log");
    private static final MethodHandle SIN = find("sin");
    private static final MethodHandle COS = find("cos");

    private CLibraryMath() {
    }

    static double log(double x) {
        if (LOG == null) return Math.log(x);
        return call(LOG, x);
    }

    static double sin(double x) {
        if (SIN == null) return Math.sin(x);
        return call(SIN, x);
    }

    static double cos(double x) {
        if (COS == null) return Math.cos(x);
        return call(COS, x);
    }

    private static double call(MethodHandle f, double x) {
        try {
            return (double) f.invokeExact(x);
        } catch (Throwable t) {
            throw new IllegalStateException("C library math call failed: " + t, t);
        }
    }

    private static MethodHandle find(String name) {
        try {
            Linker linker = Linker.nativeLinker();
            Optional<java.lang.foreign.MemorySegment> symbol = linker.defaultLookup().find(name);
            if (symbol.isEmpty()) return null;
            return linker.downcallHandle(symbol.get(), FunctionDescriptor.of(ValueLayout.JAVA_DOUBLE, ValueLayout.JAVA_DOUBLE));
        } catch (RuntimeException | LinkageError e) {
            return null;
        }
    }
}
