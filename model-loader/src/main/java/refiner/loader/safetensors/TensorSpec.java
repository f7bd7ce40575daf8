package refiner.loader.safetensors;

import java.util.Arrays;
import refiner.loader.DType;

/**
 * A tensor declared to a {@link SafetensorsWriter} before its bytes are written: name, element
 * type and shape.
 */
public record TensorSpec(String name, DType dtype, long[] shape) {

    public TensorSpec {
        if (name == null || name.isEmpty()) throw new IllegalArgumentException("tensor name is empty");
        if (name.equals(SafetensorsFile.METADATA_KEY)) throw new IllegalArgumentException("tensor name '" + name + "' is reserved");
        if (dtype == null) throw new IllegalArgumentException("tensor '" + name + "': dtype is null");
        shape = shape.clone();
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException("tensor '" + name + "': negative dimension in shape " + Arrays.toString(shape));
        }
    }

    /** Number of elements (1 for a scalar); an {@link ArithmeticException} when it overflows a long. */
    public long numel() {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    /** Bytes of the tensor's data. */
    public long byteSize() {
        return Math.multiplyExact(numel(), dtype.bytes());
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape);
    }
}
