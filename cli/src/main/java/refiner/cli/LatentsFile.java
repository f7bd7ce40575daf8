package refiner.cli;

import java.io.IOException;
import java.nio.ByteOrder;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Map;
import refiner.engine.pipeline.InitImage;
import refiner.loader.DType;
import refiner.loader.safetensors.SafetensorsFile;
import refiner.loader.safetensors.SafetensorsWriter;
import refiner.loader.safetensors.TensorInfo;

/**
 * Latents as a safetensors file: the tensor {@code latents} [n, C, h, w] in F32 (read also as F16
 * or BF16, and from a file holding a single tensor of any name), the base -> refiner hand-off.
 */
final class LatentsFile {
    static final String KEY = "latents";

    private LatentsFile() {
    }

    /** The first latents [1, C, h, w] of {@code file}. */
    static InitImage read(Path file) throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            TensorInfo t = f.names().contains(KEY) ? f.tensors().get(KEY)
                    : f.names().size() == 1 ? f.tensors().values().iterator().next() : null;
            if (t == null) throw new IOException(file + ": no tensor named '" + KEY + "' among " + f.names());
            long[] s = t.shape();
            if (s.length != 4 || s[0] < 1) {
                throw new IOException(file + ": tensor '" + t.name() + "' is not latents [n, C, h, w]");
            }
            int c = (int) s[1], h = (int) s[2], w = (int) s[3];
            float[] all = floats(t, file);
            float[] first = new float[c * h * w];
            System.arraycopy(all, 0, first, 0, first.length);
            return InitImage.latents(first, c, h, w);
        }
    }

    /** Writes latents [n, C, h, w] atomically. */
    static void write(Path file, float[] latents, int[] shape) throws IOException {
        long[] s = new long[shape.length];
        for (int i = 0; i < s.length; i++) s[i] = shape[i];
        SafetensorsWriter.writeF32(file, Map.of(KEY, latents), Map.of(KEY, s));
    }

    private static float[] floats(TensorInfo t, Path file) throws IOException {
        int n = Math.toIntExact(t.numel());
        float[] out = new float[n];
        var le = ByteOrder.LITTLE_ENDIAN;
        switch (t.dtype()) {
            case F32 -> {
                return t.data().toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(le));
            }
            case F16 -> {
                for (int i = 0; i < n; i++) out[i] = Float.float16ToFloat(t.data().getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(le), i));
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) out[i] = Float.intBitsToFloat(t.data().getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(le), i) << 16);
            }
            default -> throw new IOException(file + ": latents '" + t.name() + "' are " + t.dtype() + ", expected F32, F16 or BF16");
        }
        return out;
    }
}
