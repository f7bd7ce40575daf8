package refiner.engine.model;

import java.util.function.BiConsumer;
import refiner.engine.tensor.Tensor;

/** Calls a network's optional debug hook with a block's output. */
final class Debug {
    private Debug() {
    }

    static void report(BiConsumer<String, Tensor> hook, String name, Tensor t) {
        if (hook != null) hook.accept(name, t);
    }
}
