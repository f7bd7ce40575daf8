package refiner.loader.hf;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** JSON files of a model folder, read strictly (no duplicate keys, nothing after the value). */
final class Json {
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private Json() {
    }

    /** The JSON object in {@code file}; a one-line {@link ModelException} when missing or malformed. */
    static JsonNode readObject(Path file) throws ModelException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new ModelException(file, "missing");
        } catch (IOException e) {
            throw new ModelException(file, "cannot be read: " + e.getMessage());
        }
        JsonNode root;
        JsonLocation trailing;
        try (JsonParser parser = MAPPER.createParser(bytes)) {
            root = MAPPER.readTree(parser);
            trailing = parser.nextToken() == null ? null : parser.currentTokenLocation();
        } catch (JsonProcessingException e) {
            throw new ModelException(file, "not valid JSON: " + e.getOriginalMessage().replaceAll("\\s+", " ") + at(e.getLocation()));
        } catch (IOException e) {
            throw new ModelException(file, "cannot be read: " + e.getMessage());
        }
        if (root == null || !root.isObject()) throw new ModelException(file, "not a JSON object");
        if (trailing != null) throw new ModelException(file, "not valid JSON: content after the object" + at(trailing));
        return root;
    }

    private static String at(JsonLocation where) {
        return where == null ? "" : " (line " + where.getLineNr() + ", column " + where.getColumnNr() + ")";
    }
}
