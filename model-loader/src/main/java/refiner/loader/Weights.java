package refiner.loader;

import java.util.Set;
import refiner.loader.safetensors.TensorInfo;

/** A set of named checkpoint tensors: one safetensors file, or the shards of one component. */
public interface Weights {

    /** Every tensor name, in file order. */
    Set<String> names();

    /** The tensor of that name; an {@link IllegalArgumentException} naming the source when absent. */
    TensorInfo get(String name);

    /** Where the tensors come from (a file path), for error messages. */
    String source();
}
