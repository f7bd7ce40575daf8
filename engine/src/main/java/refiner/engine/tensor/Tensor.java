package refiner.engine.tensor;

import java.util.Arrays;
import refiner.engine.backend.Backend;
import refiner.loader.DType;

/**
 * A dense, row-major tensor held by one backend. The storage object belongs to the backend
 * (a float[] or a mapped fp16 segment on the CPU, a device pointer on CUDA); networks never
 * look inside it. Closing an owning tensor gives its buffer back to the backend's pool;
 * views made by {@link #reshape} share the storage and do not own it.
 */
public final class Tensor implements AutoCloseable {
    private final Backend backend;
    private final DType dtype;
    private final int[] shape;
    private final Object storage;
    private final boolean owner;
    private boolean closed;

    public Tensor(Backend backend, DType dtype, int[] shape, Object storage, boolean owner) {
        this.backend = backend;
        this.dtype = dtype;
        this.shape = shape.clone();
        this.storage = storage;
        this.owner = owner;
    }

    public Backend backend() {
        return backend;
    }

    public DType dtype() {
        return dtype;
    }

    /** A copy of the shape. */
    public int[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    /** Size of dimension {@code i}; negative {@code i} counts from the end. */
    public int dim(int i) {
        return shape[i < 0 ? shape.length + i : i];
    }

    public long numel() {
        return numel(shape);
    }

    public static long numel(int[] shape) {
        long n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    /** The backend's storage object; only the owning backend interprets it. */
    public Object storage() {
        return storage;
    }

    public boolean isOwner() {
        return owner;
    }

    /** A view with another shape of the same element count, sharing this tensor's storage. */
    public Tensor reshape(int... newShape) {
        int[] s = newShape.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == -1) {
                if (infer >= 0) throw new IllegalArgumentException("reshape: more than one -1 in " + Arrays.toString(newShape));
                infer = i;
            } else {
                known *= s[i];
            }
        }
        if (infer >= 0) s[infer] = (int) (numel() / known);
        if (numel(s) != numel()) {
            throw new IllegalArgumentException("reshape: " + Arrays.toString(shape) + " cannot become " + Arrays.toString(newShape));
        }
        return new Tensor(backend, dtype, s, storage, false);
    }

    /** Gives an owned buffer back to the backend; a no-op for views and weights. */
    @Override
    public void close() {
        if (owner && !closed) {
            closed = true;
            backend.release(this);
        }
    }

    public boolean isClosed() {
        return closed;
    }

    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(shape) + " " + dtype + " on " + backend.name();
    }
}
