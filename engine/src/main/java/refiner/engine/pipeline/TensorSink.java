package refiner.engine.pipeline;

/** Receives the named intermediates of a run (for {@code --dump-tensors} and the golden tests). */
@FunctionalInterface
public interface TensorSink {

    /** One intermediate, row-major with its shape; the array is not modified afterwards. */
    void put(String name, float[] data, int... shape);

    /** Keeps nothing. */
    TensorSink NONE = (name, data, shape) -> { };
}
