package refiner.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import refiner.engine.pipeline.TensorSink;
import refiner.loader.safetensors.SafetensorsWriter;

/** Keeps a run's intermediates and writes them as one safetensors file ({@code --dump-tensors}). */
final class TensorDump implements TensorSink {
    private final Map<String, float[]> values = new LinkedHashMap<>();
    private final Map<String, long[]> shapes = new LinkedHashMap<>();

    @Override
    public void put(String name, float[] data, int... shape) {
        long[] s = new long[shape.length];
        for (int i = 0; i < s.length; i++) s[i] = shape[i];
        values.put(name, data);
        shapes.put(name, s);
    }

    /** Writes every intermediate kept, atomically. */
    void write(Path file) throws IOException {
        SafetensorsWriter.writeF32(file, values, shapes);
    }
}
