package refiner.engine.nn;

import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;
import refiner.engine.backend.Backend;
import refiner.engine.tensor.Tensor;
import refiner.loader.DType;
import refiner.loader.Weights;
import refiner.loader.safetensors.TensorInfo;

/**
 * Binds checkpoint tensors to layers by key. A {@code Params} is one {@link Weights} seen under a
 * key prefix ({@code "down_blocks.1.resnets.0."}); each layer asks for its keys with the shape it
 * expects. Every key handed out is recorded, so that once a network is built,
 * {@link #requireAllUsed()} proves that the file and the network agree: every expected key present
 * with its shape, and no key of the file left over. Errors are one line naming the key and the file.
 */
public final class Params {
    private final Backend backend;
    private final Weights weights;
    private final String prefix;
    private final Set<String> used;

    private Params(Backend backend, Weights weights, String prefix, Set<String> used) {
        this.backend = backend;
        this.weights = weights;
        this.prefix = prefix;
        this.used = used;
    }

    /** The root view (empty prefix) of {@code weights}, binding through {@code backend}. */
    public static Params of(Backend backend, Weights weights) {
        return new Params(backend, weights, "", new LinkedHashSet<>());
    }

    /** The view one level down: {@code child("resnets.0")} binds {@code prefix + "resnets.0." + name}. */
    public Params child(String name) {
        return new Params(backend, weights, prefix + name + ".", used);
    }

    /** {@code child(name + "." + index)}, for numbered sub-modules. */
    public Params child(String name, int index) {
        return child(name + "." + index);
    }

    public Backend backend() {
        return backend;
    }

    /** The full checkpoint key of {@code name} under this prefix. */
    public String key(String name) {
        return prefix + name;
    }

    /** Whether the file holds {@code name} under this prefix. */
    public boolean has(String name) {
        return weights.names().contains(key(name));
    }

    /** The tensor {@code name}, which must exist with exactly {@code shape}, bound on the backend. */
    public Tensor get(String name, int... shape) {
        String key = key(name);
        if (!weights.names().contains(key)) {
            throw new IllegalArgumentException(weights.source() + ": missing tensor '" + key + "' (expected shape "
                    + Arrays.toString(shape) + ")");
        }
        TensorInfo info = weights.get(key);
        long[] actual = info.shape();
        boolean same = actual.length == shape.length;
        for (int i = 0; same && i < shape.length; i++) same = actual[i] == shape[i];
        if (!same) {
            throw new IllegalArgumentException(weights.source() + ": tensor '" + key + "' has shape "
                    + Arrays.toString(actual) + ", expected " + Arrays.toString(shape));
        }
        if (info.dtype() != DType.F16 && info.dtype() != DType.F32 && info.dtype() != DType.BF16) {
            throw new IllegalArgumentException(weights.source() + ": tensor '" + key + "' has dtype " + info.dtype()
                    + ", expected F16, BF16 or F32");
        }
        used.add(key);
        return backend.weight(info);
    }

    /** Marks {@code name} as accounted for without binding it (a buffer the network recomputes). */
    public void skip(String name) {
        if (has(name)) used.add(key(name));
    }

    /** Fails, naming the first such key and the file, when a tensor of the file was not bound. */
    public void requireAllUsed() {
        int unused = 0;
        String first = null;
        for (String name : weights.names()) {
            if (!used.contains(name)) {
                if (first == null) first = name;
                unused++;
            }
        }
        if (first != null) {
            throw new IllegalArgumentException(weights.source() + ": tensor '" + first + "' is not used by the network ("
                    + unused + " unused tensor" + (unused == 1 ? "" : "s") + "; wrong model or config?)");
        }
    }
}
