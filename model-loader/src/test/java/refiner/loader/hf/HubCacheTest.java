package refiner.loader.hf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static refiner.loader.hf.ModelFolderTest.assertOneLine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import refiner.loader.Weights;

class HubCacheTest {
    private static final String REPO = "stabilityai/stable-diffusion-xl-refiner-1.0";

    @TempDir
    Path tmp;

    @Test
    void findsTheCacheRootAsTheHubLibraryDoes() {
        Path home = Path.of("/home/u");
        assertEquals(Path.of("/c/hub-cache"), HubCache.locate(Map.of("HF_HUB_CACHE", "/c/hub-cache", "HF_HOME", "/c/hf"), home).root());
        assertEquals(Path.of("/c/hf/hub"), HubCache.locate(Map.of("HF_HOME", "/c/hf"), home).root());
        assertEquals(Path.of("/home/u/hf/hub"), HubCache.locate(Map.of("HF_HOME", "~/hf", "HF_HUB_CACHE", " "), home).root());
        assertEquals(Path.of("/home/u/.cache/huggingface/hub"), HubCache.locate(Map.of(), home).root());
    }

    /** The hub's layout: snapshot files are links into blobs/, refs/main names the revision. */
    private Path cachedModel(String revision) throws IOException {
        Path repo = tmp.resolve("models--stabilityai--stable-diffusion-xl-refiner-1.0");
        Path blobs = Files.createDirectories(repo.resolve("blobs"));
        Path snap = Files.createDirectories(repo.resolve("snapshots").resolve(revision));
        Path built = Fixtures.refinerLike(tmp.resolve("build-" + revision));
        try (var files = Files.walk(built)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Path blob = blobs.resolve(revision + "-" + built.relativize(f).toString().replace('/', '_'));
                Files.move(f, blob);
                Path link = snap.resolve(built.relativize(f).toString());
                Files.createDirectories(link.getParent());
                Files.createSymbolicLink(link, link.getParent().relativize(blob));
            }
        }
        return snap;
    }

    @Test
    void resolvesARepoIdThroughRefsMain() throws IOException {
        Path a = cachedModel("aaaa");
        Path b = cachedModel("bbbb");
        Files.setLastModifiedTime(a, FileTime.fromMillis(System.currentTimeMillis() + 60_000));
        Path refs = Files.createDirectories(b.getParent().getParent().resolve("refs"));
        Files.writeString(refs.resolve("main"), "bbbb\n");
        ModelFolder m = ModelFolder.resolve(REPO, HubCache.at(tmp));
        assertEquals(b, m.root());
        m.requireComponents("unet", "tokenizer_2", "scheduler");
        try (Weights w = m.component("unet").openWeights()) {
            assertEquals(List.of("conv_in.weight"), List.copyOf(w.names()));
        }
        Files.writeString(refs.resolve("main"), "cccc");
        assertOneLine(assertThrows(ModelException.class, () -> ModelFolder.resolve(REPO, HubCache.at(tmp))),
                refs.resolve("main") + ": names revision cccc but " + b.getParent().resolve("cccc") + " is missing");
    }

    @Test
    void withoutRefsTakesTheOnlyOrNewestSnapshot() throws IOException {
        Path a = cachedModel("aaaa");
        assertEquals(a, HubCache.at(tmp).snapshot(REPO));
        Path b = cachedModel("bbbb");
        Files.setLastModifiedTime(a, FileTime.fromMillis(System.currentTimeMillis() + 60_000));
        Files.setLastModifiedTime(b, FileTime.fromMillis(System.currentTimeMillis() - 60_000));
        assertEquals(a, ModelFolder.resolve(REPO, HubCache.at(tmp)).root());
    }

    @Test
    void aLocalFolderWinsOverTheCache() throws IOException {
        cachedModel("aaaa");
        Path local = Fixtures.refinerLike(tmp.resolve("local"));
        assertEquals(local, ModelFolder.resolve(local.toString(), HubCache.at(tmp)).root());
    }

    @Test
    void reportsModelsAbsentFromTheCache() throws IOException {
        assertOneLine(assertThrows(ModelException.class, () -> ModelFolder.resolve("org/absent", HubCache.at(tmp))),
                "'org/absent': no such model folder, nor model in the Hugging Face cache " + tmp);
        assertOneLine(assertThrows(ModelException.class, () -> HubCache.at(tmp).snapshot("org/absent")),
                tmp.resolve("models--org--absent") + ": model 'org/absent' is not in the Hugging Face cache");
        Files.createDirectories(tmp.resolve("models--org--empty"));
        assertOneLine(assertThrows(ModelException.class, () -> ModelFolder.resolve("org/empty", HubCache.at(tmp))),
                tmp.resolve("models--org--empty").resolve("snapshots") + ": no snapshot of 'org/empty'");
        assertOneLine(assertThrows(ModelException.class, () -> ModelFolder.resolve("/no/such/dir/x", HubCache.at(tmp))),
                "'/no/such/dir/x': no such model folder, and not a repository id such as ORG/NAME");
        assertOneLine(assertThrows(ModelException.class, () -> HubCache.at(tmp).snapshot("a/../b")), "'a/../b' is not a repository id");
    }
}
