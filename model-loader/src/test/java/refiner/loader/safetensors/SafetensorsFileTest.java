package refiner.loader.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import refiner.loader.DType;

class SafetensorsFileTest {
    @TempDir
    Path dir;

    /** A file of an 8-byte length, the header bytes as given, then {@code dataBytes} zero bytes. */
    private Path craft(byte[] header, long dataBytes) throws IOException {
        Path file = Files.createTempFile(dir, "crafted", ".safetensors");
        ByteBuffer b = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length).put(header);
        Files.write(file, b.array());
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(8L + header.length + dataBytes);
        }
        return file;
    }

    private Path craft(String header, long dataBytes) throws IOException {
        return craft(header.getBytes(StandardCharsets.UTF_8), dataBytes);
    }

    static Stream<Arguments> badHeaders() {
        String ok = "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";
        return Stream.of(
                Arguments.of("not JSON", "{\"a\":", 0, "not valid JSON"),
                Arguments.of("an array", "[1,2]", 0, "not a JSON object"),
                Arguments.of("leading garbage", "x{}", 0, "not a JSON object"),
                Arguments.of("trailing tokens", "{} {}", 0, "header has content after its JSON object at column 4"),
                Arguments.of("entry not an object", "{\"a\":5}", 0, "'a': header entry is not an object"),
                Arguments.of("dtype missing", "{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "'a': dtype is missing"),
                Arguments.of("dtype a number", "{\"a\":{\"dtype\":4,\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "'a': dtype is missing or not a string"),
                Arguments.of("unknown dtype", "{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2, "'a': unknown dtype 'F8_E4M3'"),
                Arguments.of("shape missing", "{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", 8, "'a': shape is missing"),
                Arguments.of("shape not an array", "{\"a\":{\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]}}", 8, "'a': shape is missing or not an array"),
                Arguments.of("negative dim", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, "'a': shape holds -2"),
                Arguments.of("fractional dim", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", 8, "'a': shape holds 2.0"),
                Arguments.of("string dim", "{\"a\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}}", 8, "'a': shape holds \"2\""),
                Arguments.of("huge dim", "{\"a\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,8]}}", 8, "'a': shape holds"),
                Arguments.of("overflowing shape", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", 8, "'a': shape [4294967296, 4294967296] is too large"),
                Arguments.of("offsets missing", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, "'a': data_offsets is missing"),
                Arguments.of("offsets not a pair", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4,8]}}", 8, "'a': data_offsets must be a [begin, end] pair"),
                Arguments.of("negative offset", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}}", 8, "'a': data_offsets holds -8"),
                Arguments.of("begin after end", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, "'a': data_offsets begin 8 is after end 0"),
                Arguments.of("unexpected field", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":1}}", 8, "'a': unexpected field 'x'"),
                Arguments.of("size mismatch", "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "'a': shape [3] of F32 needs 12 bytes but data_offsets [0, 8] hold 8"),
                Arguments.of("beyond the data", "{" + ok + "}", 4, "'a': data_offsets [0, 8] go beyond the data region of 4 bytes"),
                Arguments.of("trailing data", "{" + ok + "}", 12, "tensors cover 8 bytes of the data region but it holds 12"),
                Arguments.of("gap at start", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "'a': gap of 4 bytes before data offset 4"),
                Arguments.of("gap between", "{" + ok + ",\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[10,12]}}", 12, "'b': gap of 2 bytes before data offset 10 (after tensor 'a')"),
                Arguments.of("overlap", "{" + ok + ",\"b\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[6,10]}}", 10, "'b': data_offsets [6, 10] overlap tensor 'a'"),
                Arguments.of("same range twice", "{" + ok + ",\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "overlap tensor"),
                Arguments.of("duplicate name", "{" + ok + "," + ok + "}", 8, "Duplicate field 'a'"),
                Arguments.of("metadata not an object", "{\"__metadata__\":[1]," + ok + "}", 8, "__metadata__ is not an object"),
                Arguments.of("metadata value not a string", "{\"__metadata__\":{\"format\":1}," + ok + "}", 8, "__metadata__ entry 'format' is not a string"),
                Arguments.of("metadata nested", "{\"__metadata__\":{\"m\":{}}," + ok + "}", 8, "__metadata__ entry 'm' is not a string"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badHeaders")
    void rejectsBadHeaders(String name, String header, long dataBytes, String expected) throws IOException {
        Path file = craft(header, dataBytes);
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(file));
        assertOneLine(e, file, expected);
    }

    @Test
    void rejectsAFileTooShortForTheLength() throws IOException {
        Path file = dir.resolve("short.safetensors");
        Files.write(file, new byte[] {1, 0, 0});
        assertOneLine(assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(file)), file, "too short");
    }

    @Test
    void rejectsWhatIsNotAFile() {
        Path missing = dir.resolve("missing.safetensors");
        assertOneLine(assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(missing)), missing, "no such file");
        assertOneLine(assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(dir)), dir, "not a regular file");
    }

    @Test
    void rejectsAHeaderLengthBeyondTheFile() throws IOException {
        Path file = dir.resolve("long.safetensors");
        Files.write(file, ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN).putLong(3).array());
        assertOneLine(assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(file)), file,
                "header length 3 goes beyond the end of the file (10 bytes)");
        Files.write(file, ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN).putLong(-1).array());
        assertOneLine(assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(file)), file,
                "header length 18446744073709551615 goes beyond");
    }

    @Test
    void rejectsAHeaderAbove100MB() throws IOException {
        Path file = dir.resolve("huge-header.safetensors");
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(100_000_001L).array());
            f.setLength(8 + 100_000_001L);
        }
        assertOneLine(assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(file)), file,
                "header length 100000001 exceeds the limit of 100000000 bytes");
    }

    @Test
    void rejectsAHeaderThatIsNotUtf8() throws IOException {
        byte[] header = "{\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]}}".getBytes(StandardCharsets.UTF_8);
        header[2] = (byte) 0xff;
        Path file = craft(header, 0);
        assertOneLine(assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(file)), file, "header is not valid UTF-8");
    }

    @Test
    void readsAnEmptyFileAndUnicodeNames() throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(craft("{}      ", 0))) {
            assertTrue(f.names().isEmpty());
            assertTrue(f.metadata().isEmpty());
        }
        String h = "{\"__metadata__\":{\"format\":\"pt\"},\"poids.é\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}}";
        try (SafetensorsFile f = SafetensorsFile.open(craft(h, 2))) {
            assertEquals(Map.of("format", "pt"), f.metadata());
            assertEquals(2, f.get("poids.é").byteSize());
        }
    }

    @Test
    void acceptsTensorsListedOutOfOffsetOrder() throws IOException {
        String h = "{\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[4,6]},"
                + "\"z\":{\"dtype\":\"F16\",\"shape\":[0],\"data_offsets\":[4,4]},"
                + "\"a\":{\"dtype\":\"I32\",\"shape\":[],\"data_offsets\":[0,4]}}";
        try (SafetensorsFile f = SafetensorsFile.open(craft(h, 6))) {
            assertEquals(java.util.List.of("b", "z", "a"), java.util.List.copyOf(f.names()));
            assertEquals(1, f.get("a").numel());
        }
    }

    @Test
    void missingTensorNamesTheFile() throws IOException {
        Path file = craft("{}", 0);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> f.get("nope"));
            assertOneLine(e, file, "'nope'");
            assertEquals(file.toString(), f.source());
            assertEquals(file, f.path());
        }
    }

    @Test
    void viewsAreUnusableAfterClose() throws IOException {
        Path file = dir.resolve("c.safetensors");
        SafetensorsWriter.builder().f32("a", new long[] {1}, new float[] {2f}).write(file);
        SafetensorsFile f = SafetensorsFile.open(file);
        var data = f.get("a").data();
        f.close();
        assertThrows(IllegalStateException.class, () -> data.get(ValueLayout.JAVA_BYTE, 0));
    }

    @Test
    void viewsReadTheSameAfterTheirPagesAreReleased() throws IOException {
        Path file = dir.resolve("r.safetensors");
        float[] values = new float[5000];
        for (int i = 0; i < values.length; i++) values[i] = i * 0.5f - 7f;
        SafetensorsWriter.builder().f32("a", new long[] {values.length}, values).write(file);
        try (SafetensorsFile f = SafetensorsFile.open(file); SafetensorsFile empty = SafetensorsFile.open(craft("{}", 0))) {
            ValueLayout.OfFloat le = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
            var data = f.get("a").data();
            assertEquals(values[4999], data.getAtIndex(le, 4999));
            f.release();
            empty.release();
            for (int i = 0; i < values.length; i++) assertEquals(values[i], data.getAtIndex(le, i));
        }
    }

    /** A sparse file whose F16 tensor spans 2.5 GB: mapped whole, read near its end. */
    @Test
    void mapsFilesAbove2GiB() throws IOException {
        long n = 1_250_000_000L;
        long bytes = 2 * n;
        String h = "{\"big\":{\"dtype\":\"F16\",\"shape\":[50000," + (n / 50000) + "],\"data_offsets\":[0," + bytes + "]},"
                + "\"tail\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[" + bytes + "," + (bytes + 4) + "]}}";
        byte[] header = h.getBytes(StandardCharsets.UTF_8);
        Path file = craft(header, bytes + 4);
        long dataStart = 8 + header.length;
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(dataStart + bytes - 2);
            f.write(ByteBuffer.allocate(6).order(ByteOrder.LITTLE_ENDIAN)
                    .putShort(Float.floatToFloat16(-3.5f)).put(new byte[] {9, 8, 7, 6}).array());
        }
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            TensorInfo big = f.get("big");
            assertEquals(n, big.numel());
            assertEquals(bytes, big.byteSize());
            ValueLayout.OfShort h16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
            assertEquals(-3.5f, Float.float16ToFloat(big.data().getAtIndex(h16, n - 1)));
            assertEquals(0f, Float.float16ToFloat(big.data().getAtIndex(h16, n - 2)));
            assertArrayEquals(new byte[] {9, 8, 7, 6}, f.get("tail").data().toArray(ValueLayout.JAVA_BYTE));
            assertEquals(DType.U8, f.get("tail").dtype());
        }
    }

    static void assertOneLine(Exception e, Path file, String expected) {
        String m = e.getMessage();
        assertFalse(m.contains("\n") || m.contains("\r"), m);
        assertTrue(m.startsWith(file.toString()), "message should name " + file + ": " + m);
        assertTrue(m.contains(expected), "expected '" + expected + "' in: " + m);
    }
}
