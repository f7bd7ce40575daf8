package refiner.loader.hf;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A diffusers model folder: {@code model_index.json} at its root naming the components, each in a
 * sub-folder of its own name. Found by path, or by repository id in the Hugging Face hub cache.
 * Resolving reads model_index.json only; {@link #requireComponents} checks that what a pipeline needs
 * is present before any weights are read.
 */
public final class ModelFolder {
    /** The file naming the components of a model folder. */
    public static final String MODEL_INDEX = "model_index.json";

    private final Path root;
    private final JsonNode modelIndex;
    private final Map<String, Component> components;

    private ModelFolder(Path root, JsonNode modelIndex, Map<String, Component> components) {
        this.root = root;
        this.modelIndex = modelIndex;
        this.components = components;
    }

    /** A folder path, or else a repository id ({@code stabilityai/stable-diffusion-xl-refiner-1.0}) in the hub cache of the environment. */
    public static ModelFolder resolve(String pathOrRepoId) throws ModelException {
        return resolve(pathOrRepoId, HubCache.fromEnvironment());
    }

    /** A folder path, or else a repository id in {@code cache}. */
    public static ModelFolder resolve(String pathOrRepoId, HubCache cache) throws ModelException {
        Path local = null;
        try {
            local = Path.of(pathOrRepoId);
        } catch (InvalidPathException e) {
            // not a path on this system: it can still be a repository id
        }
        if (local != null && Files.exists(local)) return open(local);
        if (!HubCache.isRepoId(pathOrRepoId)) {
            throw new ModelException("'" + pathOrRepoId + "': no such model folder, and not a repository id such as ORG/NAME");
        }
        if (!Files.isDirectory(cache.repoDir(pathOrRepoId))) {
            throw new ModelException("'" + pathOrRepoId + "': no such model folder, nor model in the Hugging Face cache "
                    + cache.root() + " (download it first, or give the model folder's path)");
        }
        return open(cache.snapshot(pathOrRepoId));
    }

    /** The model folder at {@code root}; a {@link ModelException} unless it holds a valid model_index.json. */
    public static ModelFolder open(Path root) throws ModelException {
        if (!Files.isDirectory(root)) throw new ModelException(root, "not a folder");
        Path indexFile = root.resolve(MODEL_INDEX);
        if (!Files.isRegularFile(indexFile)) throw new ModelException(root, "not a diffusers model folder (no " + MODEL_INDEX + ")");
        JsonNode index = Json.readObject(indexFile);
        Map<String, Component> components = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : index.properties()) {
            String name = e.getKey();
            JsonNode v = e.getValue();
            if (name.startsWith("_") || !v.isArray()) continue;
            if (v.size() != 2 || !isNameOrNull(v.get(0)) || !isNameOrNull(v.get(1)) || v.get(0).isNull() != v.get(1).isNull()) {
                throw new ModelException(indexFile, "component '" + name + "' must be [library, class] or [null, null], not " + v);
            }
            if (v.get(0).isNull()) continue;
            if (name.isEmpty() || name.equals(".") || name.equals("..") || name.contains("/") || name.contains("\\")) {
                throw new ModelException(indexFile, "component name '" + name + "' is not a folder name");
            }
            components.put(name, new Component(name, root.resolve(name), v.get(0).textValue(), v.get(1).textValue()));
        }
        return new ModelFolder(root, index, Collections.unmodifiableMap(components));
    }

    public Path root() {
        return root;
    }

    /** The parsed model_index.json; treat it as read-only. */
    public JsonNode modelIndex() {
        return modelIndex;
    }

    /** The components model_index.json names (those not set to [null, null]), in its order. */
    public List<String> componentNames() {
        return List.copyOf(components.keySet());
    }

    public boolean hasComponent(String name) {
        return components.containsKey(name);
    }

    /** The named component; a {@link ModelException} when model_index.json does not name it. */
    public Component component(String name) throws ModelException {
        Component c = components.get(name);
        if (c == null) throw new ModelException(root.resolve(MODEL_INDEX), notListed(name));
        return c;
    }

    /**
     * Checks, without reading weights, that every named component is usable, and reports all that
     * is wrong at once in a one-line {@link ModelException}: components model_index.json does not
     * name, missing folders, missing or malformed configurations, missing tokenizer files, missing
     * or ambiguous weights.
     */
    public void requireComponents(String... names) throws ModelException {
        List<String> problems = new ArrayList<>();
        for (String name : names) {
            Component c = components.get(name);
            if (c == null) {
                problems.add(root.resolve(MODEL_INDEX) + ": " + notListed(name));
            } else {
                problems.addAll(c.problems());
            }
        }
        if (!problems.isEmpty()) {
            throw new ModelException(root + ": model folder is incomplete: " + String.join("; ", problems));
        }
    }

    private String notListed(String name) {
        return "no component '" + name + "' (it names " + (components.isEmpty() ? "none" : String.join(", ", components.keySet())) + ")";
    }

    private static boolean isNameOrNull(JsonNode n) {
        return n != null && (n.isNull() || (n.isTextual() && !n.textValue().isEmpty()));
    }
}
