package refiner.loader.safetensors;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import refiner.loader.DType;

/**
 * Where a {@link SafetensorsWriter.Source} writes the bytes of one declared tensor. Bytes go to the
 * file through a bounded buffer, so a tensor of any size streams through; the writer checks that
 * exactly {@link TensorSpec#byteSize()} bytes arrive.
 */
public final class TensorSink {
    private static final int BUFFER_BYTES = 1 << 20;
    private static final long SEGMENT_PIECE = 1L << 30;

    private final Path file;
    private final FileChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private final short[] halves = new short[BUFFER_BYTES / 2];
    private TensorSpec spec;
    private long remaining;

    TensorSink(Path file, FileChannel channel) {
        this.file = file;
        this.channel = channel;
    }

    /** The tensor being written. */
    public TensorSpec spec() {
        return spec;
    }

    /** Bytes still expected for the current tensor. */
    public long remaining() {
        return remaining;
    }

    /** Raw little-endian bytes, from the buffer's position to its limit. */
    public void write(ByteBuffer src) throws IOException {
        claim(src.remaining());
        while (src.hasRemaining()) {
            if (!buffer.hasRemaining()) flush();
            int n = Math.min(src.remaining(), buffer.remaining());
            ByteBuffer part = src.slice(src.position(), n);
            buffer.put(part);
            src.position(src.position() + n);
        }
    }

    /** Raw little-endian bytes, the whole segment (of any size: it is taken 1 GiB at a time). */
    public void write(MemorySegment src) throws IOException {
        for (long at = 0; at < src.byteSize(); at += SEGMENT_PIECE) {
            write(src.asSlice(at, Math.min(SEGMENT_PIECE, src.byteSize() - at)).asByteBuffer());
        }
    }

    /** Raw little-endian bytes. */
    public void write(byte[] src) throws IOException {
        write(ByteBuffer.wrap(src));
    }

    /**
     * Floats converted to the tensor's dtype (F32, F64, F16 or BF16; F16 and BF16 round to nearest
     * even).
     */
    public void writeFloats(float[] values, int offset, int length) throws IOException {
        DType dtype = spec.dtype();
        if (dtype != DType.F32 && dtype != DType.F64 && dtype != DType.F16 && dtype != DType.BF16) {
            throw new SafetensorsException(file, spec.name(), "cannot write floats to a tensor of dtype " + dtype);
        }
        claim(Math.multiplyExact((long) length, dtype.bytes()));
        int size = dtype.bytes();
        for (int done = 0; done < length; ) {
            if (buffer.remaining() < size) flush();
            int n = Math.min(length - done, buffer.remaining() / size);
            int at = offset + done;
            switch (dtype) {
                case F32 -> buffer.asFloatBuffer().put(values, at, n);
                case F64 -> {
                    DoubleBuffer d = buffer.asDoubleBuffer();
                    for (int i = 0; i < n; i++) d.put(values[at + i]);
                }
                case F16 -> {
                    for (int i = 0; i < n; i++) halves[i] = Float.floatToFloat16(values[at + i]);
                    buffer.asShortBuffer().put(halves, 0, n);
                }
                default -> {
                    for (int i = 0; i < n; i++) halves[i] = toBFloat16(values[at + i]);
                    buffer.asShortBuffer().put(halves, 0, n);
                }
            }
            buffer.position(buffer.position() + n * size);
            done += n;
        }
    }

    /** All of {@code values}, converted as in {@link #writeFloats(float[], int, int)}. */
    public void writeFloats(float[] values) throws IOException {
        writeFloats(values, 0, values.length);
    }

    void begin(TensorSpec next) {
        spec = next;
        remaining = next.byteSize();
    }

    void end() throws IOException {
        if (remaining != 0) {
            throw new SafetensorsException(file, spec.name(), "source wrote " + (spec.byteSize() - remaining)
                    + " bytes, expected " + spec.byteSize());
        }
    }

    void flush() throws IOException {
        buffer.flip();
        while (buffer.hasRemaining()) channel.write(buffer);
        buffer.clear();
    }

    private void claim(long bytes) throws IOException {
        if (spec == null) throw new IllegalStateException("no tensor is being written");
        if (bytes > remaining) {
            throw new SafetensorsException(file, spec.name(), "source wrote more than the declared "
                    + spec.byteSize() + " bytes");
        }
        remaining -= bytes;
    }

    /** bfloat16 bits of {@code v}, rounded to nearest even; NaN stays a quiet NaN. */
    static short toBFloat16(float v) {
        if (Float.isNaN(v)) return (short) 0x7fc0;
        int bits = Float.floatToRawIntBits(v);
        return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
    }
}
