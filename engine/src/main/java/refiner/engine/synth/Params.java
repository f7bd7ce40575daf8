package refiner.engine.synth;

import java.util.ArrayList;
import java.util.List;

/** Collects the parameters of a layout, one helper per kind of layer, keys as in the checkpoint. */
final class Params {
    private final List<Param> list = new ArrayList<>();

    /** {@code name.weight} [out, in] and, when {@code bias}, {@code name.bias} [out]. */
    Params linear(String name, long out, long in, boolean bias) {
        list.add(new Param(name + ".weight", new long[] {out, in}, Init.FAN_IN));
        if (bias) list.add(new Param(name + ".bias", new long[] {out}, Init.ZEROS));
        return this;
    }

    /** {@code name.weight} [out, in, k, k] and {@code name.bias} [out]. */
    Params conv(String name, long out, long in, long k) {
        list.add(new Param(name + ".weight", new long[] {out, in, k, k}, Init.FAN_IN));
        list.add(new Param(name + ".bias", new long[] {out}, Init.ZEROS));
        return this;
    }

    /** A group or layer norm over {@code channels}: weight ones, bias zeros. */
    Params norm(String name, long channels) {
        list.add(new Param(name + ".weight", new long[] {channels}, Init.ONES));
        list.add(new Param(name + ".bias", new long[] {channels}, Init.ZEROS));
        return this;
    }

    /** An embedding table {@code name.weight} [rows, width]. */
    Params embedding(String name, long rows, long width) {
        list.add(new Param(name + ".weight", new long[] {rows, width}, Init.EMBEDDING));
        return this;
    }

    List<Param> list() {
        return List.copyOf(list);
    }
}
