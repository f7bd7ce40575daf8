package refiner.loader.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import refiner.loader.DType;
import refiner.loader.Shared;

class SafetensorsWriterTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @EnumSource(DType.class)
    void roundTripsEveryDtype(DType dtype) throws IOException {
        long[] shape = {3, 5};
        byte[] bytes = new byte[15 * dtype.bytes()];
        new Random(dtype.ordinal()).nextBytes(bytes);
        if (dtype == DType.BOOL) for (int i = 0; i < bytes.length; i++) bytes[i] &= 1;
        byte[] odd = new byte[7];
        new Random(42).nextBytes(odd);
        Path file = dir.resolve("t.safetensors");
        SafetensorsWriter.builder()
                .add("odd", DType.U8, new long[] {7}, odd)
                .add("x", dtype, shape, bytes)
                .add("scalar", dtype, new long[0], java.util.Arrays.copyOf(bytes, dtype.bytes()))
                .add("empty", dtype, new long[] {0, 4}, new byte[0])
                .metadata("format", "pt")
                .write(file);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(List.of("odd", "x", "scalar", "empty"), new ArrayList<>(f.names()));
            assertEquals(Map.of("format", "pt"), f.metadata());
            TensorInfo x = f.get("x");
            assertEquals(dtype, x.dtype());
            assertArrayEquals(shape, x.shape());
            assertEquals(15, x.numel());
            assertArrayEquals(bytes, x.data().toArray(ValueLayout.JAVA_BYTE));
            assertArrayEquals(odd, f.get("odd").data().toArray(ValueLayout.JAVA_BYTE));
            assertEquals(0, f.get("scalar").shape().length);
            assertEquals(dtype.bytes(), f.get("scalar").byteSize());
            assertEquals(0, f.get("empty").byteSize());
        }
    }

    @Test
    void headerIsPaddedWithSpacesToEightBytes() throws IOException {
        Path file = dir.resolve("p.safetensors");
        SafetensorsWriter.builder().f32("a", new long[] {1}, new float[] {1f}).write(file);
        byte[] all = Files.readAllBytes(file);
        long n = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertEquals(0, n % 8);
        String header = new String(all, 8, (int) n, java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}"), header);
        assertEquals("", header.substring(header.lastIndexOf('}') + 1).replace(" ", ""));
        assertEquals(8 + n + 4, all.length);
    }

    /** Rewritten in offset order with the same metadata, the reference's own files come out byte for byte. */
    @Test
    void reproducesTheReferenceWritersFiles() throws IOException {
        Path model = Shared.model("tiny-refiner");
        for (String file : List.of("unet/diffusion_pytorch_model.fp16.safetensors", "text_encoder_2/model.fp16.safetensors",
                "vae/diffusion_pytorch_model.fp16.safetensors")) {
            Path original = model.resolve(file);
            Path copy = dir.resolve("copy.safetensors");
            try (SafetensorsFile f = SafetensorsFile.open(original)) {
                List<TensorInfo> inOrder = new ArrayList<>(f.tensors().values());
                inOrder.sort(java.util.Comparator.comparingLong(t -> t.data().address()));
                List<TensorSpec> specs = inOrder.stream().map(t -> new TensorSpec(t.name(), t.dtype(), t.shape())).toList();
                java.util.Iterator<TensorInfo> data = inOrder.iterator();
                SafetensorsWriter.write(copy, specs, f.metadata(), (t, sink) -> sink.write(data.next().data()));
            }
            assertArrayEquals(Files.readAllBytes(original), Files.readAllBytes(copy), file);
        }
    }

    @Test
    void writeF32MapRoundTrips() throws IOException {
        Map<String, float[]> values = new LinkedHashMap<>();
        values.put("h", new float[] {1.5f, -2f, 3.25f, Float.NaN, Float.NEGATIVE_INFINITY, 0f});
        values.put("v", new float[] {42f});
        Path file = dir.resolve("dump.safetensors");
        SafetensorsWriter.writeF32(file, values, Map.of("h", new long[] {2, 3}, "v", new long[] {1}));
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertArrayEquals(values.get("h"), f.get("h").data().toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN)));
            assertArrayEquals(new long[] {2, 3}, f.get("h").shape());
            assertEquals(42f, f.get("v").data().get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0));
        }
    }

    @Test
    void streamsFloatsConvertedToTheDeclaredDtype() throws IOException {
        float[] v = {1f, -0.5f, 65504f, 0.1f, 3.140625f, Float.NaN, 1.00390625f, 1.01171875f};
        // bfloat16 worked out by hand: 65504 and 0.1 round up, 1 + 2^-8 is a tie to even (1), 1 + 3 * 2^-8 a tie up to 1 + 2^-6
        float[] bf16 = {1f, -0.5f, 65536f, 0.10009765625f, 3.140625f, Float.NaN, 1f, 1.015625f};
        List<TensorSpec> specs = List.of(
                new TensorSpec("f16", DType.F16, new long[] {v.length}),
                new TensorSpec("bf16", DType.BF16, new long[] {v.length}),
                new TensorSpec("f32", DType.F32, new long[] {v.length}),
                new TensorSpec("f64", DType.F64, new long[] {v.length}));
        Path file = dir.resolve("s.safetensors");
        SafetensorsWriter.write(file, specs, Map.of(), (t, sink) -> {
            sink.writeFloats(v, 0, 3);
            sink.writeFloats(v, 3, v.length - 3);
        });
        ValueLayout.OfShort s = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (int i = 0; i < v.length; i++) {
                assertEquals(Float.float16ToFloat(Float.floatToFloat16(v[i])), Float.float16ToFloat(f.get("f16").data().getAtIndex(s, i)));
                float bf = Float.intBitsToFloat(f.get("bf16").data().getAtIndex(s, i) << 16);
                assertEquals(bf16[i], bf, "bf16 of " + v[i]);
                assertEquals(v[i], f.get("f32").data().getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i));
                assertEquals(v[i], (float) f.get("f64").data().getAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i));
            }
        }
    }

    @Test
    void streamsTensorsLargerThanTheBuffer() throws IOException {
        int n = 3 << 20;
        List<TensorSpec> specs = List.of(new TensorSpec("big", DType.F16, new long[] {n}), new TensorSpec("tail", DType.U8, new long[] {3}));
        Path file = dir.resolve("big.safetensors");
        SafetensorsWriter.write(file, specs, Map.of(), (t, sink) -> {
            if (t.name().equals("tail")) {
                sink.write(java.lang.foreign.MemorySegment.ofArray(new byte[] {7, 8}));
                sink.write(ByteBuffer.wrap(new byte[] {0, 9}, 1, 1));
                return;
            }
            float[] chunk = new float[100_000];
            for (long done = 0; done < n; done += chunk.length) {
                int len = (int) Math.min(chunk.length, n - done);
                for (int i = 0; i < len; i++) chunk[i] = (done + i) % 1000;
                sink.writeFloats(chunk, 0, len);
            }
        });
        ValueLayout.OfShort s = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            TensorInfo big = f.get("big");
            for (long i : new long[] {0, 999, 1_048_577, n - 1}) {
                assertEquals(i % 1000, Float.float16ToFloat(big.data().getAtIndex(s, i)));
            }
            assertArrayEquals(new byte[] {7, 8, 9}, f.get("tail").data().toArray(ValueLayout.JAVA_BYTE));
        }
    }

    @Test
    void shortSourceFailsAndLeavesNoFile() throws IOException {
        Path file = dir.resolve("short.safetensors");
        List<TensorSpec> specs = List.of(new TensorSpec("w", DType.F32, new long[] {4}));
        IOException e = assertThrows(IOException.class,
                () -> SafetensorsWriter.write(file, specs, Map.of(), (t, sink) -> sink.writeFloats(new float[3])));
        assertOneLine(e, "'w'");
        assertFalse(Files.exists(file));
        assertEquals(0, listing().count());
    }

    @Test
    void longSourceFailsAndKeepsThePreviousFile() throws IOException {
        Path file = dir.resolve("keep.safetensors");
        Files.writeString(file, "previous");
        List<TensorSpec> specs = List.of(new TensorSpec("w", DType.U8, new long[] {2}));
        IOException e = assertThrows(IOException.class,
                () -> SafetensorsWriter.write(file, specs, Map.of(), (t, sink) -> sink.write(new byte[3])));
        assertOneLine(e, "'w'");
        assertEquals("previous", Files.readString(file));
        assertEquals(1, listing().count());
    }

    @Test
    void failingSourceLeavesNoTemporaryFile() {
        Path file = dir.resolve("boom.safetensors");
        List<TensorSpec> specs = List.of(new TensorSpec("w", DType.U8, new long[] {2}));
        assertThrows(IllegalStateException.class, () -> SafetensorsWriter.write(file, specs, Map.of(), (t, sink) -> {
            throw new IllegalStateException("boom");
        }));
        assertEquals(0, listing().count());
    }

    @Test
    void rejectsBadDeclarations() {
        Path file = dir.resolve("bad.safetensors");
        List<TensorSpec> twice = List.of(new TensorSpec("w", DType.U8, new long[] {1}), new TensorSpec("w", DType.U8, new long[] {1}));
        assertOneLine(assertThrows(IOException.class, () -> SafetensorsWriter.write(file, twice, Map.of(), (t, s) -> s.write(new byte[1]))), "'w'");
        assertThrows(IllegalArgumentException.class, () -> new TensorSpec("n", DType.F16, new long[] {2, -1}));
        assertThrows(IllegalArgumentException.class, () -> new TensorSpec("__metadata__", DType.F16, new long[] {1}));
        assertThrows(IllegalArgumentException.class, () -> SafetensorsWriter.builder().add("w", DType.F32, new long[] {2}, new byte[4]));
        List<TensorSpec> ints = List.of(new TensorSpec("i", DType.I32, new long[] {1}));
        assertOneLine(assertThrows(IOException.class, () -> SafetensorsWriter.write(file, ints, Map.of(), (t, s) -> s.writeFloats(new float[1]))), "'i'");
        assertFalse(Files.exists(file));
        Path nowhere = dir.resolve("no-such-folder").resolve("x.safetensors");
        assertOneLine(assertThrows(IOException.class, () -> SafetensorsWriter.builder().write(nowhere)), "folder " + nowhere.getParent() + " does not exist");
    }

    private Stream<Path> listing() {
        try {
            return Files.list(dir).toList().stream();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static void assertOneLine(Exception e, String mention) {
        String m = e.getMessage();
        assertFalse(m.contains("\n"), m);
        assertTrue(m.contains(mention), "expected '" + mention + "' in: " + m);
    }
}
