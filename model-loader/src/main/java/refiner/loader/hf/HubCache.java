package refiner.loader.hf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The Hugging Face hub cache: {@code models--ORG--NAME/snapshots/<revision>/...} under a root found
 * as the hub library finds it ({@code $HF_HUB_CACHE}, else {@code $HF_HOME/hub}, else
 * {@code ~/.cache/huggingface/hub}). A model's revision is the one {@code refs/main} names, else the
 * only snapshot, else the newest.
 */
public final class HubCache {
    private static final Pattern REPO_ID = Pattern.compile("(?:[A-Za-z0-9][A-Za-z0-9._-]*/)?[A-Za-z0-9][A-Za-z0-9._-]*");

    private final Path root;

    private HubCache(Path root) {
        this.root = root;
    }

    /** The cache at {@code root}. */
    public static HubCache at(Path root) {
        return new HubCache(root);
    }

    /** The cache this process's environment and home folder point at. */
    public static HubCache fromEnvironment() {
        return locate(System.getenv(), Path.of(System.getProperty("user.home")));
    }

    /** The cache that {@code env} and {@code home} point at. */
    public static HubCache locate(Map<String, String> env, Path home) {
        String hubCache = env.get("HF_HUB_CACHE");
        if (hubCache != null && !hubCache.isBlank()) return new HubCache(expandHome(hubCache, home));
        String hfHome = env.get("HF_HOME");
        if (hfHome != null && !hfHome.isBlank()) return new HubCache(expandHome(hfHome, home).resolve("hub"));
        return new HubCache(home.resolve(".cache").resolve("huggingface").resolve("hub"));
    }

    public Path root() {
        return root;
    }

    /** Whether {@code s} has the form of a repository id ({@code ORG/NAME} or {@code NAME}). */
    public static boolean isRepoId(String s) {
        return REPO_ID.matcher(s).matches() && !s.contains("..");
    }

    /** The folder of {@code repoId} in this cache ({@code models--ORG--NAME}), present or not. */
    public Path repoDir(String repoId) throws ModelException {
        if (!isRepoId(repoId)) throw new ModelException(root, "'" + repoId + "' is not a repository id such as ORG/NAME");
        return root.resolve("models--" + repoId.replace("/", "--"));
    }

    /** The snapshot folder of {@code repoId}; a {@link ModelException} when the cache does not hold it. */
    public Path snapshot(String repoId) throws ModelException {
        Path repo = repoDir(repoId);
        if (!Files.isDirectory(repo)) {
            throw new ModelException(repo, "model '" + repoId + "' is not in the Hugging Face cache (download it first, or give the model folder's path)");
        }
        Path snapshots = repo.resolve("snapshots");
        Path ref = repo.resolve("refs").resolve("main");
        if (Files.isRegularFile(ref)) {
            String revision = readRef(ref);
            Path snapshot = snapshots.resolve(revision);
            if (!Files.isDirectory(snapshot)) throw new ModelException(ref, "names revision " + revision + " but " + snapshot + " is missing");
            return snapshot;
        }
        List<Path> all = listSnapshots(snapshots);
        if (all.isEmpty()) throw new ModelException(snapshots, "no snapshot of '" + repoId + "' in the cache");
        return all.stream().max(Comparator.comparing(HubCache::modified).thenComparing(Path::getFileName)).orElseThrow();
    }

    private static String readRef(Path ref) throws ModelException {
        String revision;
        try {
            revision = Files.readString(ref).strip();
        } catch (IOException e) {
            throw new ModelException(ref, "cannot be read: " + e.getMessage());
        }
        if (revision.isEmpty() || revision.contains("/") || revision.contains("\\") || revision.contains("..")) {
            throw new ModelException(ref, "does not hold a revision ('" + revision + "')");
        }
        return revision;
    }

    private static List<Path> listSnapshots(Path snapshots) throws ModelException {
        if (!Files.isDirectory(snapshots)) return List.of();
        try (Stream<Path> s = Files.list(snapshots)) {
            return new ArrayList<>(s.filter(Files::isDirectory).toList());
        } catch (IOException e) {
            throw new ModelException(snapshots, "cannot be listed: " + e.getMessage());
        }
    }

    private static FileTime modified(Path p) {
        try {
            return Files.getLastModifiedTime(p);
        } catch (IOException e) {
            return FileTime.fromMillis(0);
        }
    }

    private static Path expandHome(String path, Path home) {
        if (path.equals("~")) return home;
        if (path.startsWith("~/")) return home.resolve(path.substring(2));
        return Path.of(path);
    }
}
