package refiner.engine.image;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.StandardCopyOption;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.ImageOutputStream;
import org.w3c.dom.Node;

/**
 * Writes 8-bit RGB PNG files with key/value text chunks (such as {@code parameters}, the
 * generation settings), atomically: the file is written beside the target under a temporary name
 * and renamed over it, so a reader never sees a partial image. A value that Latin-1 can hold goes
 * into a {@code tEXt} chunk, any other into an uncompressed UTF-8 {@code iTXt} chunk (as PIL's
 * {@code PngInfo.add_text} does). Also reads those text chunks back.
 */
public final class PngFiles {
    private static final String FORMAT = "javax_imageio_png_1.0";
    private static final Charset LATIN1 = StandardCharsets.ISO_8859_1;

    private PngFiles() {
    }

    /**
     * Writes {@code image} to {@code target} with the text chunks {@code text} (in their iteration order).
     *
     * @throws IOException with a one-line message naming the file when it cannot be written
     * @throws IllegalArgumentException when a key is not a valid PNG keyword (1-79 Latin-1 characters,
     *     no leading, trailing or double spaces) or a value contains a NUL character
     */
    public static void write(Path target, RgbImage image, Map<String, String> text) throws IOException {
        text.forEach(PngFiles::checkEntry);
        Path dir = target.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) throw new IOException(target + ": the folder does not exist");
        // a plain new file (not createTempFile, which is private to the owner) so the picture gets the usual permissions
        Path tmp = dir.resolve("." + target.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
        OutputStream out;
        try {
            out = Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new IOException(target + ": cannot write in " + dir + " (" + e.getMessage() + ")");
        }
        try {
            try (out) {
                encode(out, image, text);
            }
            moveIntoPlace(tmp, target);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw new IOException(target + ": cannot write the PNG (" + e.getMessage() + ")");
        }
    }

    /**
     * The text chunks ({@code tEXt}, {@code zTXt}, {@code iTXt}) of a PNG file, in file order.
     *
     * @throws IOException naming the file when it is missing or not a PNG
     */
    public static Map<String, String> readText(Path path) throws IOException {
        try (ImageInputStream in = ImageIO.createImageInputStream(path.toFile())) {
            if (in == null) throw new IOException(path + ": cannot open the file");
            Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName("png");
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, false);
                IIOMetadata meta = reader.getImageMetadata(0);
                Map<String, String> out = new LinkedHashMap<>();
                collectText(meta.getAsTree(FORMAT), out);
                return out;
            } catch (IOException | RuntimeException e) {
                throw new IOException(path + ": not a readable PNG (" + e.getMessage() + ")");
            } finally {
                reader.dispose();
            }
        }
    }

    private static void encode(OutputStream sink, RgbImage image, Map<String, String> text) throws IOException {
        BufferedImage bi = new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_3BYTE_BGR);
        byte[] raster = ((DataBufferByte) bi.getRaster().getDataBuffer()).getData();
        byte[] rgb = image.rgb();
        for (int i = 0; i < rgb.length; i += 3) {
            raster[i] = rgb[i + 2];
            raster[i + 1] = rgb[i + 1];
            raster[i + 2] = rgb[i];
        }
        ImageWriter writer = ImageIO.getImageWritersByFormatName("png").next();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(sink)) {
            writer.setOutput(out);
            IIOMetadata meta = writer.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(bi), writer.getDefaultWriteParam());
            if (!text.isEmpty()) meta.mergeTree(FORMAT, textTree(text));
            writer.write(null, new IIOImage(bi, null, meta), writer.getDefaultWriteParam());
        } finally {
            writer.dispose();
        }
    }

    private static IIOMetadataNode textTree(Map<String, String> text) {
        IIOMetadataNode root = new IIOMetadataNode(FORMAT);
        IIOMetadataNode latin = new IIOMetadataNode("tEXt");
        IIOMetadataNode international = new IIOMetadataNode("iTXt");
        for (Map.Entry<String, String> e : text.entrySet()) {
            if (LATIN1.newEncoder().canEncode(e.getValue())) {
                IIOMetadataNode entry = new IIOMetadataNode("tEXtEntry");
                entry.setAttribute("keyword", e.getKey());
                entry.setAttribute("value", e.getValue());
                latin.appendChild(entry);
            } else {
                IIOMetadataNode entry = new IIOMetadataNode("iTXtEntry");
                entry.setAttribute("keyword", e.getKey());
                entry.setAttribute("compressionFlag", "FALSE");
                entry.setAttribute("compressionMethod", "0");
                entry.setAttribute("languageTag", "");
                entry.setAttribute("translatedKeyword", "");
                entry.setAttribute("text", e.getValue());
                international.appendChild(entry);
            }
        }
        if (latin.hasChildNodes()) root.appendChild(latin);
        if (international.hasChildNodes()) root.appendChild(international);
        return root;
    }

    private static void collectText(Node node, Map<String, String> out) {
        if (node instanceof IIOMetadataNode n) {
            switch (n.getNodeName()) {
                case "tEXtEntry", "zTXtEntry" -> out.put(n.getAttribute("keyword"), n.getAttribute(n.getNodeName().equals("tEXtEntry") ? "value" : "text"));
                case "iTXtEntry" -> out.put(n.getAttribute("keyword"), n.getAttribute("text"));
                default -> { }
            }
        }
        for (Node c = node.getFirstChild(); c != null; c = c.getNextSibling()) collectText(c, out);
    }

    private static void moveIntoPlace(Path tmp, Path target) throws IOException {
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void checkEntry(String key, String value) {
        boolean ok = !key.isEmpty() && key.length() <= 79 && !key.startsWith(" ") && !key.endsWith(" ") && !key.contains("  ")
                && key.chars().allMatch(c -> (c >= 32 && c <= 126) || (c >= 161 && c <= 255));
        if (!ok) throw new IllegalArgumentException("'" + key + "' is not a valid PNG text keyword (1-79 Latin-1 characters, single inner spaces)");
        if (value.indexOf('\0') >= 0) throw new IllegalArgumentException("PNG text '" + key + "' contains a NUL character");
    }
}
