package refiner.tokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * CLIP's byte-level BPE tokenizer over a Hugging Face tokenizer folder, producing the ids of the
 * reference slow {@code CLIPTokenizer} without ftfy:
 * <ol>
 *   <li>the raw prompt is cut around the added special tokens (bos, eos, unk, pad; exact match),
 *       each of which becomes its own id: with pad {@code "!"} every {@code !} becomes the pad id;</li>
 *   <li>the text between them is cleaned and lowercased ({@link BasicCleaner});</li>
 *   <li>CLIP's word pattern splits it, and each word's UTF-8 bytes go through BPE
 *       ({@code </w>} on the last symbol);</li>
 *   <li>the ids are bos, at most {@code maxLength - 2} tokens, eos, then pad up to {@code maxLength}.</li>
 * </ol>
 * Instances are immutable apart from an internal cache and safe for concurrent use.
 */
public final class ClipTokenizer {
    /** Default number of words whose BPE result is kept. */
    public static final int DEFAULT_CACHE_CAPACITY = 4096;

    private static final String START_OF_TEXT = "<|startoftext|>";
    private static final String END_OF_TEXT = "<|endoftext|>";
    /**
     * CLIP's word pattern, case-insensitive. The reference's regex engine lets no alternative match
     * U+0345 COMBINING GREEK YPOGEGRAMMENI (it case-folds to the letter iota, so the last class
     * excludes it), which therefore drops out of the text; the last class excludes it here too.
     */
    private static final Pattern WORD = Pattern.compile(
            "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}\\u0345]+",
            Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);

    private final Map<String, Integer> vocab;
    private final AddedTokens added;
    private final BytePairEncoder bpe;
    private final String bos;
    private final String eos;
    private final int bosId;
    private final int eosId;
    private final int padId;
    private final int unkId;
    private final int maxLength;

    private ClipTokenizer(TokenizerFiles files, Path dir, int cacheCapacity) {
        this.vocab = files.vocab();
        Map<String, Integer> special = new LinkedHashMap<>();
        for (String token : List.of(files.bos(), files.eos(), files.unk(), files.pad())) {
            Integer id = vocab.get(token);
            if (id == null) {
                throw new IllegalArgumentException(dir.resolve("vocab.json") + ": no id for the special token " + token);
            }
            special.put(token, id);
        }
        this.added = new AddedTokens(special);
        this.bpe = new BytePairEncoder(files.merges(), cacheCapacity);
        this.bos = files.bos();
        this.eos = files.eos();
        this.bosId = special.get(files.bos());
        this.eosId = special.get(files.eos());
        this.padId = special.get(files.pad());
        this.unkId = special.get(files.unk());
        this.maxLength = files.maxLength();
    }

    /** Loads {@code vocab.json}, {@code merges.txt} and the optional configs of {@code tokenizerDir}. */
    public static ClipTokenizer load(Path tokenizerDir) throws IOException {
        return load(tokenizerDir, DEFAULT_CACHE_CAPACITY);
    }

    /** As {@link #load(Path)}, keeping the BPE of at most {@code cacheCapacity} words (0: no cache). */
    public static ClipTokenizer load(Path tokenizerDir, int cacheCapacity) throws IOException {
        return new ClipTokenizer(TokenizerFiles.read(tokenizerDir), tokenizerDir, cacheCapacity);
    }

    /** The {@link #maxLength()} ids of {@code prompt}: bos, its tokens (truncated), eos, padding. */
    public int[] encode(String prompt) {
        List<String> content = contentTokens(prompt);
        int n = Math.min(content.size(), maxLength - 2);
        int[] ids = new int[maxLength];
        Arrays.fill(ids, padId);
        ids[0] = bosId;
        for (int i = 0; i < n; i++) ids[i + 1] = idOf(content.get(i));
        ids[n + 1] = eosId;
        return ids;
    }

    /** The token strings of {@link #encode} without the padding: bos, the BPE tokens (truncated), eos. */
    public List<String> tokens(String prompt) {
        List<String> content = contentTokens(prompt);
        List<String> out = new ArrayList<>(Math.min(content.size(), maxLength - 2) + 2);
        out.add(bos);
        out.addAll(content.subList(0, Math.min(content.size(), maxLength - 2)));
        out.add(eos);
        return out;
    }

    public int bosId() {
        return bosId;
    }

    public int eosId() {
        return eosId;
    }

    public int padId() {
        return padId;
    }

    /** The length of every encoded sequence ({@code model_max_length}, 77 for CLIP). */
    public int maxLength() {
        return maxLength;
    }

    /** All tokens of {@code prompt}, untruncated, without bos and eos. */
    private List<String> contentTokens(String prompt) {
        List<String> tokens = new ArrayList<>();
        for (AddedTokens.Piece piece : added.split(prompt)) {
            if (piece.special()) {
                tokens.add(piece.text());
                continue;
            }
            Matcher m = WORD.matcher(BasicCleaner.clean(piece.text()));
            while (m.find()) {
                String word = ByteLevel.encode(m.group());
                if (word.equals(START_OF_TEXT) || word.equals(END_OF_TEXT)) {
                    tokens.add(word);
                } else {
                    tokens.addAll(Arrays.asList(bpe.encode(word)));
                }
            }
        }
        return tokens;
    }

    private int idOf(String token) {
        int id = added.id(token);
        return id >= 0 ? id : vocab.getOrDefault(token, unkId);
    }
}
