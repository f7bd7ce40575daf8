package refiner.tests.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import refiner.tests.Golden;

/** {@code refiner inspect} on the tiny refiner, on a damaged copy of it, and on bad arguments. */
class InspectCommandTest {

    @Test
    void inspectsTheTinyRefiner() {
        Path model = Golden.model("tiny-refiner");
        Cli.Result r = Cli.run("inspect", model.toString());
        assertEquals(0, r.code(), r.toString());
        assertEquals(List.of(), r.errLines(), r.toString());
        for (String expected : List.of(
                "pipeline   StableDiffusionXLImg2ImgPipeline",
                "unet  UNet2DConditionModel",
                "block_out_channels=[32,64,64,64]",
                "cross_attention_dim=64",
                "unet/diffusion_pytorch_model.fp16.safetensors  8,311,464 bytes (7.9 MiB), header ok",
                "778 tensors (F16), 4,110,148 parameters",
                "text_encoder_2  CLIPTextModelWithProjection",
                "hidden_size=64 num_hidden_layers=3 num_attention_heads=2",
                "53 tensors (F16), 3,321,216 parameters",
                "vae  AutoencoderKL",
                "latent_channels=4 scaling_factor=0.13025",
                "244 tensors (F16), 1,399,879 parameters",
                "tokenizer_2/vocab.json",
                "total      8,831,243 parameters")) {
            assertTrue(r.out().contains(expected), "missing '" + expected + "' in\n" + r.out());
        }
        assertTrue(!r.out().contains("random"), r.out());
    }

    @Test
    void aDamagedFileIsReportedOnOneLineAndFails(@TempDir Path tmp) throws IOException {
        Path model = copy(Golden.model("tiny-refiner"), tmp.resolve("model"));
        Path unet = model.resolve("unet/diffusion_pytorch_model.fp16.safetensors");
        try (FileChannel ch = FileChannel.open(unet, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1L << 40), 0);
        }
        Cli.Result r = Cli.run("inspect", model.toString());
        assertEquals(1, r.code(), r.toString());
        assertEquals(1, r.errLines().size(), r.toString());
        String line = r.errLines().getFirst();
        assertTrue(line.startsWith("refiner: ") && line.contains(unet.toString()), line);
        assertTrue(r.out().contains("unet/diffusion_pytorch_model.fp16.safetensors  DAMAGED"), r.out());
        assertTrue(r.out().contains("text_encoder_2/model.fp16.safetensors  6,648,408 bytes (6.3 MiB), header ok"), r.out());
    }

    @Test
    void aMissingComponentFolderFails(@TempDir Path tmp) throws IOException {
        Path model = copy(Golden.model("tiny-refiner"), tmp.resolve("model"));
        Files.delete(model.resolve("vae/config.json"));
        Files.delete(model.resolve("vae/diffusion_pytorch_model.fp16.safetensors"));
        Files.delete(model.resolve("vae"));
        Cli.Result r = Cli.run("inspect", model.toString());
        assertEquals(1, r.code(), r.toString());
        assertEquals(List.of("refiner: " + model.resolve("vae") + ": folder of component 'vae' is missing"), r.errLines());
    }

    @Test
    void aMissingFolderIsOneLine() {
        Cli.Result r = Cli.run("inspect", "/no/such/model");
        assertEquals(1, r.code(), r.toString());
        assertEquals(List.of("refiner: '/no/such/model': no such model folder, and not a repository id such as ORG/NAME"), r.errLines());
        assertEquals("", r.out());
    }

    @Test
    void aStacktraceOnRequest() {
        Cli.Result r = Cli.run("inspect", "--stacktrace", "/no/such/model");
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.errLines().getFirst().startsWith("refiner: '/no/such/model': no such model folder"), r.err());
        assertTrue(r.errLines().size() > 2 && r.err().contains("\tat refiner.cli."), r.err());
    }

    @Test
    void findsARepoIdInTheHubCache(@TempDir Path hub) throws Exception {
        Path repo = hub.resolve("models--example--tiny-refiner");
        copy(Golden.model("tiny-refiner"), repo.resolve("snapshots/0123abcd"));
        Files.createDirectories(repo.resolve("refs"));
        Files.writeString(repo.resolve("refs/main"), "0123abcd");
        Cli.Result r = Cli.runJava(Map.of("HF_HUB_CACHE", hub.toString()), "inspect", "example/tiny-refiner");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().startsWith("model      " + repo.resolve("snapshots/0123abcd")), r.out());
        assertTrue(r.out().contains("778 tensors (F16), 4,110,148 parameters"), r.out());
    }

    static Path copy(Path from, Path to) throws IOException {
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : all.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(target);
                else Files.copy(p, target);
            }
        }
        try (Stream<Path> all = Files.walk(to)) {
            for (Path p : all.toList()) p.toFile().setWritable(true);
        }
        return to;
    }
}
