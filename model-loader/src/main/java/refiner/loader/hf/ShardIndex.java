package refiner.loader.hf;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A shard index ({@code *.safetensors.index.json}): its {@code weight_map} from tensor name to shard
 * file, the shards lying beside the index.
 *
 * @param file      the index file
 * @param weightMap tensor name to shard file name, in index order
 * @param shards    the shard files, in order of first appearance in the map
 */
public record ShardIndex(Path file, Map<String, String> weightMap, List<Path> shards) {

    /** Reads and checks an index: a {@code weight_map} object of strings naming files in the same folder. */
    public static ShardIndex read(Path file) throws ModelException {
        JsonNode root = Json.readObject(file);
        JsonNode map = root.get("weight_map");
        if (map == null || !map.isObject()) throw new ModelException(file, "weight_map is missing or not an object");
        if (map.isEmpty()) throw new ModelException(file, "weight_map is empty");
        Map<String, String> weightMap = new LinkedHashMap<>();
        List<Path> shards = new ArrayList<>();
        Path dir = file.toAbsolutePath().getParent();
        for (Map.Entry<String, JsonNode> e : map.properties()) {
            JsonNode v = e.getValue();
            if (!v.isTextual()) throw new ModelException(file, "weight_map entry '" + e.getKey() + "' is not a file name");
            String shard = v.textValue();
            if (shard.isEmpty() || shard.contains("/") || shard.contains("\\") || shard.equals("..") || shard.equals(".")) {
                throw new ModelException(file, "weight_map entry '" + e.getKey() + "' names '" + shard + "', not a file beside the index");
            }
            weightMap.put(e.getKey(), shard);
            Path p = dir.resolve(shard);
            if (!shards.contains(p)) shards.add(p);
        }
        return new ShardIndex(file, Collections.unmodifiableMap(weightMap), List.copyOf(shards));
    }
}
