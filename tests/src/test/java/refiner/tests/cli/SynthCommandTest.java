package refiner.tests.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import refiner.cli.Refiner;
import refiner.loader.safetensors.SafetensorsFile;
import refiner.tests.Golden;

/** {@code refiner synth} end to end, in process. */
class SynthCommandTest {
    @TempDir
    Path dir;

    private record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Refiner.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void writesTheTinyPresetWithTheTinyRefinersKeys() throws IOException {
        Path model = dir.resolve("tiny");
        Run r = run("synth", "--preset", "tiny", "--out", model.toString(), "--seed", "3");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("wrote " + model.toAbsolutePath()), r.out());
        assertTrue(r.err().contains("100%"), r.err());
        Path real = Golden.model("tiny-refiner");
        for (String f : new String[] {"unet/diffusion_pytorch_model.fp16.safetensors", "vae/diffusion_pytorch_model.fp16.safetensors",
                "text_encoder_2/model.fp16.safetensors"}) {
            try (SafetensorsFile mine = SafetensorsFile.open(model.resolve(f)); SafetensorsFile theirs = SafetensorsFile.open(real.resolve(f))) {
                assertEquals(theirs.names(), mine.names(), f);
            }
        }
        assertEquals(Files.readString(real.resolve("tokenizer_2/vocab.json")), Files.readString(model.resolve("tokenizer_2/vocab.json")));
    }

    @Test
    void unknownPresetIsAUsageError() {
        Run r = run("synth", "--preset", "refiner-0.9", "--out", dir.resolve("x").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("refiner: unknown preset 'refiner-0.9' (known: tiny, refiner-1.0)"), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
    }

    @Test
    void anExistingFolderIsRefusedInOneLine() throws IOException {
        Path taken = Files.createDirectory(dir.resolve("taken"));
        Run r = run("synth", "--preset", "tiny", "--out", taken.toString());
        assertEquals(1, r.code());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().contains("taken: already exists"), r.err());
    }
}
