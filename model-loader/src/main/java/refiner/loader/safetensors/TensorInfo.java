package refiner.loader.safetensors;

import java.lang.foreign.MemorySegment;
import refiner.loader.DType;

/**
 * One tensor of a safetensors file: its name, element type, shape and a zero-copy view of its
 * little-endian bytes inside the mapped file.
 */
public record TensorInfo(String name, DType dtype, long[] shape, MemorySegment data) {

    /** Number of elements (product of the shape; 1 for a scalar). */
    public long numel() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    public long byteSize() {
        return data.byteSize();
    }
}
