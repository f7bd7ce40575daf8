package refiner.loader.hf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The weights of one model component folder: the fp16 variant when there is one, else the plain
 * weights; each either a single {@code *.safetensors} file or a sharded index
 * ({@code *.safetensors.index.json}, whose fp16 variant is {@code *.safetensors.index.fp16.json} or
 * {@code *.fp16.safetensors.index.json}). Exactly one candidate may remain.
 *
 * @param file  the single weight file, or the shard index
 * @param index whether {@code file} is a shard index
 */
record WeightChoice(Path file, boolean index) {
    private static final Pattern SHARD = Pattern.compile(".*-\\d+-of-\\d+(\\.fp16)?\\.safetensors");

    static WeightChoice of(Path dir) throws ModelException {
        List<String> names;
        try (Stream<Path> s = Files.list(dir)) {
            names = s.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new ModelException(dir, "cannot be listed: " + e.getMessage());
        }
        List<String> fp16 = new ArrayList<>();
        List<String> plain = new ArrayList<>();
        List<String> pickles = new ArrayList<>();
        List<String> shards = new ArrayList<>();
        for (String n : names) {
            if (SHARD.matcher(n).matches()) {
                shards.add(n);
            } else if (isFp16Index(n) || n.endsWith(".fp16.safetensors")) {
                fp16.add(n);
            } else if (n.endsWith(".safetensors.index.json") || n.endsWith(".safetensors")) {
                plain.add(n);
            } else if (n.endsWith(".bin") || n.endsWith(".ckpt") || n.endsWith(".pt") || n.endsWith(".pth")) {
                pickles.add(n);
            }
        }
        List<String> chosen = fp16.isEmpty() ? plain : fp16;
        if (chosen.isEmpty() && !shards.isEmpty()) {
            throw new ModelException(dir, "safetensors shards (" + String.join(", ", shards) + ") but no *.safetensors.index.json naming them");
        }
        if (chosen.isEmpty()) {
            String also = pickles.isEmpty() ? "" : " (only PyTorch pickle files " + String.join(", ", pickles) + ", which are not read)";
            throw new ModelException(dir, "no safetensors weights" + also);
        }
        if (chosen.size() > 1) throw new ModelException(dir, "ambiguous weights, several candidates: " + String.join(", ", chosen));
        String name = chosen.getFirst();
        return new WeightChoice(dir.resolve(name), name.endsWith(".json"));
    }

    private static boolean isFp16Index(String n) {
        return n.endsWith(".safetensors.index.fp16.json") || n.endsWith(".fp16.safetensors.index.json");
    }
}
