package refiner.engine.backend.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.reflect.Method;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;

/**
 * Tile descriptors for the tensor memory accelerator, encoded by the driver's
 * {@code cuTensorMapEncodeTiled} (CUDA 12.0+), which JCuda 12.6 does not bind: called in
 * {@code libcuda.so.1} through Java's foreign-function API. Each descriptor is the 128 bytes a
 * kernel takes by value, for a row-major fp16 matrix read in boxes of 64 columns (128 bytes, one
 * swizzled shared-memory row) by {@code boxRows} rows, in the 128-byte swizzle of the wgmma
 * operands, zeros outside the matrix.
 */
final class TensorMaps {
    private static final int FLOAT16 = 6, INTERLEAVE_NONE = 0, SWIZZLE_128B = 3, L2_PROMOTION_256B = 3, OOB_FILL_ZEROS = 0;
    private static final MethodHandle ENCODE = Linker.nativeLinker().downcallHandle(
            SymbolLookup.libraryLookup("libcuda.so.1", Arena.global()).find("cuTensorMapEncodeTiled")
                    .orElseThrow(() -> new IllegalStateException("CUDA: the driver has no cuTensorMapEncodeTiled")),
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT,
                    JAVA_INT, JAVA_INT));
    private static final Method NATIVE_POINTER = accessible("jcuda.NativePointerObject", "getNativePointer");
    private static final Method BYTE_OFFSET = accessible("jcuda.Pointer", "getByteOffset");

    private TensorMaps() {
    }

    /** The descriptor of the fp16 matrix {@code [rows, cols]} at {@code p}, read in boxes of 64 columns by {@code boxRows} rows. */
    static byte[] fp16Rows(CUdeviceptr p, long cols, long rows, int boxRows) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment map = arena.allocate(128, 64);
            MemorySegment dims = arena.allocateFrom(JAVA_LONG, cols, rows);
            MemorySegment strides = arena.allocateFrom(JAVA_LONG, cols * 2);
            MemorySegment box = arena.allocateFrom(JAVA_INT, 64, boxRows);
            MemorySegment steps = arena.allocateFrom(JAVA_INT, 1, 1);
            int status = (int) ENCODE.invokeExact(map, FLOAT16, 2, MemorySegment.ofAddress(address(p)), dims, strides, box, steps,
                    INTERLEAVE_NONE, SWIZZLE_128B, L2_PROMOTION_256B, OOB_FILL_ZEROS);
            if (status != 0) {
                throw new IllegalStateException("CUDA: cuTensorMapEncodeTiled failed with status " + status + " for a [" + rows + ", " + cols
                        + "] fp16 matrix in boxes of 64 x " + boxRows);
            }
            return map.toArray(JAVA_BYTE);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("CUDA: cuTensorMapEncodeTiled: " + t, t);
        }
    }

    /** The device address {@code p} holds (JCuda keeps it in protected fields). */
    private static long address(Pointer p) throws ReflectiveOperationException {
        return (long) NATIVE_POINTER.invoke(p) + (long) BYTE_OFFSET.invoke(p);
    }

    private static Method accessible(String type, String name) {
        try {
            Method m = Class.forName(type).getDeclaredMethod(name);
            m.setAccessible(true);
            return m;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("CUDA: JCuda has no " + type + "." + name, e);
        }
    }
}
