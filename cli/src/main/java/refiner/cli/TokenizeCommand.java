package refiner.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import refiner.loader.hf.Component;
import refiner.loader.hf.ModelException;
import refiner.loader.hf.ModelFolder;
import refiner.tokenizer.ClipTokenizer;

/**
 * {@code refiner tokenize}: the 77 token ids the text encoder receives for each prompt, from the
 * model's own tokenizer folder.
 */
@Command(name = "tokenize",
        description = "Print the 77 CLIP token ids of each prompt: one line per prompt, or one JSON array of arrays.")
final class TokenizeCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--model", paramLabel = "MODEL",
            description = "A model folder, a Hugging Face repo id in the local hub cache, or 'demo' (the default).")
    String model;

    @Option(names = "--tokenizer", paramLabel = "FOLDER", defaultValue = "tokenizer_2",
            description = "The tokenizer component of the model: tokenizer_2 (the default) or, for a base model, tokenizer.")
    String tokenizer;

    @Option(names = "--json", description = "Print one JSON array holding one array of ids per prompt.")
    boolean json;

    @Parameters(arity = "1..*", paramLabel = "PROMPT", description = "The prompts; quote each one, and put -- before the first if it starts with a dash.")
    List<String> prompts;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        ModelFolder folder = ModelArgument.resolve(model, spec.commandLine().getErr());
        Component c = folder.component(tokenizer);
        if (c.kind() != Component.Kind.TOKENIZER) {
            throw new ModelException(c.dir(), "component '" + tokenizer + "' is a " + c.className() + ", not a tokenizer");
        }
        ClipTokenizer clip = ClipTokenizer.load(c.dir());
        List<int[]> ids = new ArrayList<>();
        for (String prompt : prompts) ids.add(clip.encode(prompt));
        if (json) {
            out.println(JSON.writeValueAsString(ids));
        } else {
            for (int[] row : ids) out.println(IntStream.of(row).mapToObj(Integer::toString).collect(Collectors.joining(" ")));
        }
        out.flush();
        return 0;
    }
}
