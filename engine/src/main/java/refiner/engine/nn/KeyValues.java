package refiner.engine.nn;

import refiner.engine.tensor.Tensor;

/** The projected keys and values of an attention's context, [B, Lk, C] each; closing closes both. */
public record KeyValues(Tensor key, Tensor value) implements AutoCloseable {
    @Override
    public void close() {
        try {
            key.close();
        } finally {
            value.close();
        }
    }
}
