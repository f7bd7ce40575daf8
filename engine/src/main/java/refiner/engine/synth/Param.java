package refiner.engine.synth;

import java.util.Arrays;

/** One checkpoint tensor of a synthetic model: its key, shape and how it is filled. */
public record Param(String name, long[] shape, Init init) {

    public Param {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Number of elements. */
    public long numel() {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    /** Inputs feeding one output element: the product of the shape after its first dimension. */
    public long fanIn() {
        long n = 1;
        for (int i = 1; i < shape.length; i++) n *= shape[i];
        return n;
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape);
    }
}
