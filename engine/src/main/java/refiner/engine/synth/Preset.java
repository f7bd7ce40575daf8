package refiner.engine.synth;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import refiner.loader.DType;
import refiner.loader.safetensors.TensorSpec;

/**
 * The model topologies {@link ModelSynthesizer} can write. Each preset is a table held as
 * resources under {@code refiner/engine/synth/<id>/}: per component a {@code config.json} and a
 * {@code .tensors} list (one {@code name d0,d1,...} line per tensor, all F16).
 *
 * <ul>
 *   <li>{@code refiner-1.0}: the key names, shapes and configs of stabilityai/stable-diffusion-xl-refiner-1.0
 *       (6.1 GB of fp16 weights).</li>
 *   <li>{@code tiny}: the same architecture shrunk to a few megabytes (the tiny-refiner test topology).</li>
 * </ul>
 */
public enum Preset {
    REFINER_1_0("refiner-1.0"),
    TINY("tiny");

    static final String ROOT = "/refiner/engine/synth/";

    private static final String[][] COMPONENTS = {
        {"text_encoder_2", "model.fp16.safetensors"},
        {"unet", "diffusion_pytorch_model.fp16.safetensors"},
        {"vae", "diffusion_pytorch_model.fp16.safetensors"},
    };

    private final String id;

    Preset(String id) {
        this.id = id;
    }

    /** The name used on the command line. */
    public String id() {
        return id;
    }

    /** The preset called {@code id}; an {@link IllegalArgumentException} listing the known ones otherwise. */
    public static Preset of(String id) {
        for (Preset p : values()) {
            if (p.id.equals(id)) return p;
        }
        throw new IllegalArgumentException("unknown preset '" + id + "' (known: "
                + String.join(", ", Arrays.stream(values()).map(Preset::id).toList()) + ")");
    }

    /** The text encoder, UNet and VAE, each with its tensors sorted by name as in the published files. */
    public List<SynthComponent> components() {
        List<SynthComponent> out = new ArrayList<>();
        for (String[] c : COMPONENTS) {
            String base = ROOT + id + "/" + c[0];
            List<TensorSpec> tensors = new ArrayList<>();
            for (String line : resource(base + ".tensors").split("\n")) {
                if (line.isBlank()) continue;
                String[] parts = line.trim().split(" ");
                long[] shape = Arrays.stream(parts[1].split(",")).mapToLong(Long::parseLong).toArray();
                tensors.add(new TensorSpec(parts[0], DType.F16, shape));
            }
            tensors.sort(Comparator.comparing(TensorSpec::name));
            out.add(new SynthComponent(c[0], c[1], resource(base + ".config.json"), tensors));
        }
        return out;
    }

    /** A bundled text resource under the synth root. */
    static String resource(String path) {
        return new String(bytes(path), StandardCharsets.UTF_8);
    }

    /** A bundled resource's bytes; a missing one is a packaging error. */
    static byte[] bytes(String path) {
        try (InputStream in = Preset.class.getResourceAsStream(path)) {
            if (in == null) throw new IllegalStateException("missing resource " + path);
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
