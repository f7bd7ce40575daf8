package refiner.loader.safetensors;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import refiner.loader.DType;
import refiner.loader.Weights;

/**
 * A safetensors file mapped read-only with FFM: an 8-byte little-endian header length N, N bytes of
 * UTF-8 JSON header, then the data region. Opening reads and validates the header only; every
 * tensor is then a zero-copy slice of the mapping, valid until {@link #close()}. Files of any size
 * (beyond 2 GiB) are mapped whole.
 *
 * <p>Validation is strict, and every failure is a one-line {@link SafetensorsException} naming the
 * file and, where there is one, the tensor: the header must fit in the file and be at most 100 MB;
 * be a UTF-8 JSON object without duplicate keys; each entry must be an object of exactly
 * {@code dtype} (a known name), {@code shape} (non-negative integers) and {@code data_offsets} (a
 * begin/end pair); {@code __metadata__} must map strings to strings; the byte length of each tensor
 * must equal its element count times its dtype size; and the tensors, sorted by offset, must tile the
 * data region exactly, without overlaps or gaps.
 */
public final class SafetensorsFile implements Weights {
    /** The reserved header key holding the string-to-string metadata. */
    public static final String METADATA_KEY = "__metadata__";
    /** The largest header accepted, in bytes. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private final Path path;
    private final Arena arena;
    private final MemorySegment data;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, Arena arena, MemorySegment data, Map<String, TensorInfo> tensors,
                            Map<String, String> metadata) {
        this.path = path;
        this.arena = arena;
        this.data = data;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /** Maps and validates {@code path}; a damaged file gives a one-line {@link SafetensorsException}. */
    public static SafetensorsFile open(Path path) throws IOException {
        if (!Files.isRegularFile(path)) {
            throw new SafetensorsException(path, Files.exists(path) ? "not a regular file" : "no such file");
        }
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) throw new SafetensorsException(path, "not a safetensors file: " + size + " bytes, too short for a header length");
            long headerLen = readFully(ch, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
            if (headerLen < 0 || headerLen > size - 8) {
                throw new SafetensorsException(path, "header length " + Long.toUnsignedString(headerLen)
                        + " goes beyond the end of the file (" + size + " bytes)");
            }
            if (headerLen > MAX_HEADER_BYTES) {
                throw new SafetensorsException(path, "header length " + headerLen + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes");
            }
            JsonNode root = parseHeader(path, readFully(ch, 8, (int) headerLen));
            Header header = Header.of(path, root, size - 8 - headerLen);
            MemorySegment data = ch.map(FileChannel.MapMode.READ_ONLY, 8 + headerLen, size - 8 - headerLen, arena);
            Map<String, TensorInfo> tensors = new LinkedHashMap<>();
            for (Header.Entry e : header.entries()) {
                tensors.put(e.name(), new TensorInfo(e.name(), e.dtype(), e.shape(), data.asSlice(e.begin(), e.end() - e.begin())));
            }
            return new SafetensorsFile(path, arena, data, Collections.unmodifiableMap(tensors), header.metadata());
        } catch (SafetensorsException | RuntimeException | Error e) {
            arena.close();
            throw e;
        } catch (IOException e) {
            arena.close();
            throw new SafetensorsException(path, "cannot be read: " + e);
        }
    }

    public Path path() {
        return path;
    }

    /** All tensors by name, in header order. */
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    /** The {@code __metadata__} map, empty when the header has none. */
    public Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public Set<String> names() {
        return tensors.keySet();
    }

    @Override
    public TensorInfo get(String name) {
        return Weights.find(tensors, name, path);
    }

    @Override
    public String source() {
        return path.toString();
    }

    /** Drops the mapping's resident pages (madvise DONTNEED); the file's pages stay in the page cache. */
    @Override
    public void release() {
        data.unload();
    }

    /** Unmaps the file; every {@link TensorInfo#data()} of this file becomes inaccessible. */
    @Override
    public void close() {
        arena.close();
    }

    private static ByteBuffer readFully(FileChannel ch, long position, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length);
        while (b.hasRemaining()) {
            if (ch.read(b, position + b.position()) < 0) throw new EOFException("file shrank while being read");
        }
        return b.flip();
    }

    private static JsonNode parseHeader(Path path, ByteBuffer bytes) throws IOException {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(bytes).toString();
        } catch (CharacterCodingException e) {
            throw new SafetensorsException(path, "header is not valid UTF-8");
        }
        if (!text.startsWith("{")) throw new SafetensorsException(path, "header is not a JSON object (it does not start with '{')");
        try (JsonParser parser = JSON.createParser(text)) {
            JsonNode root = JSON.readTree(parser);
            if (parser.nextToken() != null) {
                throw new SafetensorsException(path, "header has content after its JSON object at column "
                        + parser.currentTokenLocation().getColumnNr());
            }
            return root;
        } catch (JsonProcessingException e) {
            throw new SafetensorsException(path, "header is not valid JSON: " + e.getOriginalMessage().replaceAll("\\s+", " "));
        }
    }

    /** The validated header: tensor entries in header order, and the metadata. */
    private record Header(List<Entry> entries, Map<String, String> metadata) {

        record Entry(String name, DType dtype, long[] shape, long begin, long end) {
        }

        static Header of(Path path, JsonNode root, long dataBytes) throws SafetensorsException {
            List<Entry> entries = new ArrayList<>();
            Map<String, String> metadata = Map.of();
            for (Map.Entry<String, JsonNode> field : root.properties()) {
                if (field.getKey().equals(METADATA_KEY)) {
                    metadata = metadata(path, field.getValue());
                } else {
                    entries.add(entry(path, field.getKey(), field.getValue()));
                }
            }
            checkTiling(path, entries, dataBytes);
            return new Header(List.copyOf(entries), metadata);
        }

        private static Map<String, String> metadata(Path path, JsonNode node) throws SafetensorsException {
            if (!node.isObject()) throw new SafetensorsException(path, METADATA_KEY + " is not an object");
            Map<String, String> out = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> e : node.properties()) {
                if (!e.getValue().isTextual()) {
                    throw new SafetensorsException(path, METADATA_KEY + " entry '" + e.getKey() + "' is not a string");
                }
                out.put(e.getKey(), e.getValue().textValue());
            }
            return Collections.unmodifiableMap(out);
        }

        private static Entry entry(Path path, String name, JsonNode node) throws SafetensorsException {
            if (!node.isObject()) throw new SafetensorsException(path, name, "header entry is not an object");
            for (Map.Entry<String, JsonNode> f : node.properties()) {
                String k = f.getKey();
                if (!k.equals("dtype") && !k.equals("shape") && !k.equals("data_offsets")) {
                    throw new SafetensorsException(path, name, "unexpected field '" + k + "'");
                }
            }
            JsonNode dt = node.get("dtype");
            if (dt == null || !dt.isTextual()) throw new SafetensorsException(path, name, "dtype is missing or not a string");
            DType dtype = DType.parse(dt.textValue());
            if (dtype == null) throw new SafetensorsException(path, name, "unknown dtype '" + dt.textValue() + "'");
            long[] shape = naturals(path, name, "shape", node.get("shape"));
            long[] offsets = naturals(path, name, "data_offsets", node.get("data_offsets"));
            if (offsets.length != 2) throw new SafetensorsException(path, name, "data_offsets must be a [begin, end] pair");
            long begin = offsets[0], end = offsets[1];
            if (begin > end) throw new SafetensorsException(path, name, "data_offsets begin " + begin + " is after end " + end);
            long expected;
            try {
                long n = 1;
                for (long d : shape) n = Math.multiplyExact(n, d);
                expected = Math.multiplyExact(n, dtype.bytes());
            } catch (ArithmeticException e) {
                throw new SafetensorsException(path, name, "shape " + Arrays.toString(shape) + " is too large");
            }
            if (expected != end - begin) {
                throw new SafetensorsException(path, name, "shape " + Arrays.toString(shape) + " of " + dtype + " needs "
                        + expected + " bytes but data_offsets [" + begin + ", " + end + "] hold " + (end - begin));
            }
            return new Entry(name, dtype, shape, begin, end);
        }

        /** An array of non-negative integers that fit in a long. */
        private static long[] naturals(Path path, String name, String field, JsonNode node) throws SafetensorsException {
            if (node == null || !node.isArray()) throw new SafetensorsException(path, name, field + " is missing or not an array");
            long[] out = new long[node.size()];
            for (int i = 0; i < out.length; i++) {
                JsonNode v = node.get(i);
                if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
                    throw new SafetensorsException(path, name, field + " holds " + v + ", not a non-negative integer");
                }
                out[i] = v.longValue();
            }
            return out;
        }

        /** Sorted by begin, the tensors must cover [0, dataBytes) exactly. */
        private static void checkTiling(Path path, List<Entry> entries, long dataBytes) throws SafetensorsException {
            List<Entry> sorted = new ArrayList<>(entries);
            sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
            long covered = 0;
            String previous = null;
            for (Entry e : sorted) {
                if (e.end() > dataBytes) {
                    throw new SafetensorsException(path, e.name(), "data_offsets [" + e.begin() + ", " + e.end()
                            + "] go beyond the data region of " + dataBytes + " bytes");
                }
                if (e.begin() < covered) {
                    throw new SafetensorsException(path, e.name(), "data_offsets [" + e.begin() + ", " + e.end()
                            + "] overlap tensor '" + previous + "' (which ends at " + covered + ")");
                }
                if (e.begin() > covered) {
                    throw new SafetensorsException(path, e.name(), "gap of " + (e.begin() - covered) + " bytes before data offset "
                            + e.begin() + (previous == null ? "" : " (after tensor '" + previous + "')"));
                }
                covered = e.end();
                previous = e.name();
            }
            if (covered != dataBytes) {
                throw new SafetensorsException(path, "tensors cover " + covered + " bytes of the data region but it holds "
                        + dataBytes + " (trailing bytes)");
            }
        }
    }
}
