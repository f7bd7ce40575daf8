package refiner.loader.hf;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import refiner.loader.Weights;
import refiner.loader.safetensors.SafetensorsFile;
import refiner.loader.safetensors.TensorInfo;

/**
 * The weights of one component split over several safetensors files by a {@link ShardIndex}. Every
 * shard is mapped once; the index and the shards must agree exactly: each tensor of a shard is listed
 * under that shard, and each listed tensor is in the shard named.
 */
public final class ShardedWeights implements Weights {
    private final ShardIndex index;
    private final List<SafetensorsFile> files;
    private final Map<String, TensorInfo> tensors;

    private ShardedWeights(ShardIndex index, List<SafetensorsFile> files, Map<String, TensorInfo> tensors) {
        this.index = index;
        this.files = files;
        this.tensors = tensors;
    }

    /** Reads the index at {@code indexFile} and maps its shards. */
    public static ShardedWeights open(Path indexFile) throws IOException {
        return open(ShardIndex.read(indexFile));
    }

    /** Maps the shards of {@code index} and checks them against it. */
    public static ShardedWeights open(ShardIndex index) throws IOException {
        List<SafetensorsFile> files = new ArrayList<>();
        try {
            Map<String, TensorInfo> tensors = new LinkedHashMap<>();
            for (Path shard : index.shards()) {
                SafetensorsFile f = SafetensorsFile.open(shard);
                files.add(f);
                String shardName = shard.getFileName().toString();
                for (TensorInfo t : f.tensors().values()) {
                    String listed = index.weightMap().get(t.name());
                    if (listed == null) {
                        throw new ModelException(index.file(), "tensor '" + t.name() + "' of shard " + shardName + " is not in the weight_map");
                    }
                    if (!listed.equals(shardName)) {
                        throw new ModelException(index.file(), "tensor '" + t.name() + "' is in shard " + shardName
                                + " but the weight_map puts it in " + listed);
                    }
                    tensors.put(t.name(), t);
                }
            }
            for (Map.Entry<String, String> e : index.weightMap().entrySet()) {
                if (!tensors.containsKey(e.getKey())) {
                    throw new ModelException(index.file(), "weight_map puts tensor '" + e.getKey() + "' in " + e.getValue()
                            + ", which does not hold it");
                }
            }
            return new ShardedWeights(index, List.copyOf(files), Collections.unmodifiableMap(tensors));
        } catch (IOException | RuntimeException | Error e) {
            files.forEach(SafetensorsFile::close);
            throw e;
        }
    }

    /** The index these weights were opened from. */
    public ShardIndex index() {
        return index;
    }

    /** The mapped shards, in index order. */
    public List<SafetensorsFile> files() {
        return files;
    }

    /** Every tensor name, shard by shard, each in header order. */
    @Override
    public Set<String> names() {
        return tensors.keySet();
    }

    @Override
    public TensorInfo get(String name) {
        return Weights.find(tensors, name, index.file());
    }

    /** The index file. */
    @Override
    public String source() {
        return index.file().toString();
    }

    /** Drops every shard's resident pages. */
    @Override
    public void release() {
        files.forEach(SafetensorsFile::release);
    }

    /** Unmaps every shard. */
    @Override
    public void close() {
        files.forEach(SafetensorsFile::close);
    }
}
