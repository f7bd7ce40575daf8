package refiner.loader.safetensors;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import refiner.loader.DType;

/**
 * Writes safetensors files. Every tensor is declared first (name, dtype, shape), so the header can
 * be written up front; then each tensor's bytes stream through a {@link TensorSink} in declaration
 * order, never the whole model in memory. The file appears atomically: it is written to a temporary
 * file in the same folder and renamed over the target only when complete.
 *
 * <p>Layout: tensors lie back to back in declaration order; the JSON header is padded with spaces to
 * a multiple of 8 bytes; {@code __metadata__}, when given, comes first in the header.
 */
public final class SafetensorsWriter {
    private static final JsonFactory JSON = new JsonFactory();
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Produces the bytes of each declared tensor, called once per tensor in declaration order. */
    @FunctionalInterface
    public interface Source {
        void write(TensorSpec tensor, TensorSink sink) throws IOException;
    }

    private SafetensorsWriter() {
    }

    /**
     * Writes {@code tensors} to {@code path}, asking {@code source} for each tensor's bytes in turn.
     * On any failure the target is left as it was and the temporary file is removed.
     */
    public static void write(Path path, List<TensorSpec> tensors, Map<String, String> metadata, Source source)
            throws IOException {
        byte[] header = header(path, tensors, metadata);
        Path dir = path.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) throw new SafetensorsException(path, "cannot be written: folder " + dir + " does not exist");
        Path tmp = dir.resolve("." + path.getFileName() + "." + Long.toHexString(RANDOM.nextLong()) + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
                while (len.hasRemaining()) ch.write(len);
                ByteBuffer h = ByteBuffer.wrap(header);
                while (h.hasRemaining()) ch.write(h);
                TensorSink sink = new TensorSink(path, ch);
                for (TensorSpec t : tensors) {
                    sink.begin(t);
                    source.write(t, sink);
                    sink.end();
                }
                sink.flush();
                ch.force(true);
            }
            Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException | Error e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
    }

    /** Writes small F32 tensors held in memory, e.g. a dump of activations; {@code shapes} has one entry per tensor. */
    public static void writeF32(Path path, Map<String, float[]> values, Map<String, long[]> shapes) throws IOException {
        Builder b = builder();
        for (Map.Entry<String, float[]> e : values.entrySet()) {
            long[] shape = shapes.get(e.getKey());
            if (shape == null) throw new IllegalArgumentException("no shape given for tensor '" + e.getKey() + "'");
            b.f32(e.getKey(), shape, e.getValue());
        }
        b.write(path);
    }

    /** A builder for small files whose tensors are all in memory. */
    public static Builder builder() {
        return new Builder();
    }

    /** Collects small in-memory tensors and metadata, then writes them as one file. */
    public static final class Builder {
        private final List<TensorSpec> specs = new ArrayList<>();
        private final List<byte[]> data = new ArrayList<>();
        private final Map<String, String> metadata = new LinkedHashMap<>();

        private Builder() {
        }

        /** A float tensor stored as F32. */
        public Builder f32(String name, long[] shape, float[] values) {
            ByteBuffer b = ByteBuffer.allocate(Math.multiplyExact(values.length, 4)).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(values);
            return add(new TensorSpec(name, DType.F32, shape), b.array());
        }

        /** A tensor of any dtype given as its raw little-endian bytes. */
        public Builder add(String name, DType dtype, long[] shape, byte[] littleEndian) {
            return add(new TensorSpec(name, dtype, shape), littleEndian);
        }

        /** One {@code __metadata__} entry. */
        public Builder metadata(String key, String value) {
            metadata.put(key, value);
            return this;
        }

        /** Writes the file atomically. */
        public void write(Path path) throws IOException {
            Iterator<byte[]> bytes = List.copyOf(data).iterator();
            SafetensorsWriter.write(path, specs, metadata, (t, sink) -> sink.write(bytes.next()));
        }

        private Builder add(TensorSpec spec, byte[] bytes) {
            if (bytes.length != spec.byteSize()) {
                throw new IllegalArgumentException("tensor '" + spec.name() + "': " + bytes.length + " bytes given, shape "
                        + Arrays.toString(spec.shape()) + " of " + spec.dtype() + " needs " + spec.byteSize());
            }
            specs.add(spec);
            data.add(bytes);
            return this;
        }
    }

    /** The JSON header, padded with spaces to a multiple of 8 bytes. */
    private static byte[] header(Path path, List<TensorSpec> tensors, Map<String, String> metadata) throws IOException {
        Set<String> seen = new HashSet<>();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            if (metadata != null && !metadata.isEmpty()) {
                g.writeObjectFieldStart(SafetensorsFile.METADATA_KEY);
                for (Map.Entry<String, String> e : metadata.entrySet()) g.writeStringField(e.getKey(), e.getValue());
                g.writeEndObject();
            }
            long offset = 0;
            for (TensorSpec t : tensors) {
                if (!seen.add(t.name())) throw new SafetensorsException(path, t.name(), "declared twice");
                long size;
                try {
                    size = t.byteSize();
                    Math.addExact(offset, size);
                } catch (ArithmeticException e) {
                    throw new SafetensorsException(path, t.name(), "size overflows a long: " + t);
                }
                g.writeObjectFieldStart(t.name());
                g.writeStringField("dtype", t.dtype().name());
                g.writeArrayFieldStart("shape");
                for (long d : t.shape()) g.writeNumber(d);
                g.writeEndArray();
                g.writeArrayFieldStart("data_offsets");
                g.writeNumber(offset);
                g.writeNumber(offset + size);
                g.writeEndArray();
                g.writeEndObject();
                offset += size;
            }
            g.writeEndObject();
        }
        int pad = (8 - out.size() % 8) % 8;
        for (int i = 0; i < pad; i++) out.write(' ');
        if (out.size() > SafetensorsFile.MAX_HEADER_BYTES) {
            throw new SafetensorsException(path, "header of " + out.size() + " bytes exceeds the limit of "
                    + SafetensorsFile.MAX_HEADER_BYTES + " bytes");
        }
        return out.toByteArray();
    }
}
