package refiner.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import refiner.engine.pipeline.RefineOptions;
import refiner.engine.pipeline.RefineResult;
import refiner.loader.hf.ModelFolder;

/** How a picture was made, for its PNG text chunks, and the run's timings for the console. */
final class RunParameters {
    private static final ObjectMapper JSON = new ObjectMapper();

    private RunParameters() {
    }

    /**
     * Two text chunks: {@code parameters}, a readable summary in the form other SDXL tools write,
     * and {@code refiner}, every parameter as JSON.
     */
    static Map<String, String> text(RefineOptions o, ModelFolder model, RefineResult r, Path input) {
        String negative = o.negativePrompt() == null ? "" : o.negativePrompt();
        String summary = o.prompt() + "\nNegative prompt: " + negative + "\n"
                + String.format(Locale.ROOT, "Steps: %d, Sampler: Euler, CFG scale: %s, Seed: %d, Size: %dx%d, Denoising strength: %s, "
                        + "Aesthetic score: %s, Negative aesthetic score: %s, Model: %s",
                o.steps(), o.guidance(), o.seed(), r.width(), r.height(),
                o.denoisingStart() != null ? "start " + o.denoisingStart() : o.strength(),
                o.aestheticScore(), o.negativeAestheticScore(), model.root().getFileName());
        ObjectNode json = JSON.createObjectNode();
        json.put("prompt", o.prompt());
        json.put("negative_prompt", negative);
        json.put("steps", o.steps());
        json.put("steps_run", r.stepsRun());
        json.put("strength", o.strength());
        json.put("guidance", o.guidance());
        json.put("guidance_rescale", o.guidanceRescale());
        json.put("aesthetic_score", o.aestheticScore());
        json.put("negative_aesthetic_score", o.negativeAestheticScore());
        if (o.originalSize() != null) json.putArray("original_size_hw").add(o.originalSize()[0]).add(o.originalSize()[1]);
        json.putArray("crop_top_left").add(o.cropTopLeft()[0]).add(o.cropTopLeft()[1]);
        if (o.denoisingStart() != null) json.put("denoising_start", o.denoisingStart());
        json.put("seed", o.seed());
        json.put("generator", "torch.Generator('cpu').manual_seed(seed)");
        json.put("model", model.root().toString());
        json.put("input", input.getFileName().toString());
        json.put("width", r.width());
        json.put("height", r.height());
        Map<String, String> text = new LinkedHashMap<>();
        text.put("parameters", summary);
        text.put("refiner", json.toString());
        return text;
    }

    /** "text_encoder 0.12 s, vae_encode 0.40 s, unet_context 0.03 s, unet 3.10 s (10 steps, 0.31 s/step), vae_decode 0.80 s". */
    static String timings(RefineResult r) {
        StringBuilder sb = new StringBuilder("time:");
        double total = 0;
        for (var e : r.times().seconds().entrySet()) {
            total += e.getValue();
            sb.append(String.format(Locale.ROOT, " %s %.2f s", e.getKey(), e.getValue()));
            if (e.getKey().equals("unet") && r.stepsRun() > 0) {
                sb.append(String.format(Locale.ROOT, " (%d steps, %.2f s/step)", r.stepsRun(), e.getValue() / r.stepsRun()));
            }
            sb.append(',');
        }
        sb.append(String.format(Locale.ROOT, " total %.2f s", total));
        return sb.toString();
    }
}
