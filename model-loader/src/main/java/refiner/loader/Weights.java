package refiner.loader;

import java.util.Map;
import java.util.Set;
import refiner.loader.safetensors.TensorInfo;

/**
 * A set of named checkpoint tensors: one safetensors file, or the shards of one component. Closing
 * releases the mappings behind the tensors' data.
 */
public interface Weights extends AutoCloseable {

    /** Every tensor name, in file order. */
    Set<String> names();

    /** The tensor of that name; an {@link IllegalArgumentException} naming the source when absent. */
    TensorInfo get(String name);

    /** Where the tensors come from (a file path), for error messages. */
    String source();

    /**
     * Drops the pages of mapped tensor data from this process's resident memory, for a caller that
     * is done with the tensors for a while. The tensors stay valid: their next use reads the pages
     * back, from the page cache when the system kept them there. A set held wholly in memory has
     * nothing to drop.
     */
    default void release() {
    }

    /** Releases what backs the tensors; a set held wholly in memory has nothing to release. */
    @Override
    default void close() {
    }

    /** {@code tensors.get(name)}, or an error that names {@code source} and the missing tensor. */
    static TensorInfo find(Map<String, TensorInfo> tensors, String name, Object source) {
        TensorInfo t = tensors.get(name);
        if (t == null) throw new IllegalArgumentException(source + ": no tensor named '" + name + "'");
        return t;
    }

    /** A set held in memory: the tensors of {@code tensors} (read through, not copied), named {@code source} in errors. */
    static Weights of(String source, Map<String, TensorInfo> tensors) {
        return new Weights() {
            @Override
            public Set<String> names() {
                return tensors.keySet();
            }

            @Override
            public TensorInfo get(String name) {
                return find(tensors, name, source);
            }

            @Override
            public String source() {
                return source;
            }
        };
    }
}
