package refiner.loader.hf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import refiner.loader.safetensors.SafetensorsWriter;

/** Small model folders built in temporary folders. */
final class Fixtures {
    private Fixtures() {
    }

    /** A model_index.json naming {@code components} (name to [library, class]), with text_encoder set to [null, null]. */
    static void modelIndex(Path root, Map<String, String[]> components) throws IOException {
        StringBuilder json = new StringBuilder("{\"_class_name\":\"StableDiffusionXLImg2ImgPipeline\",\"requires_aesthetics_score\":true,"
                + "\"text_encoder\":[null,null]");
        components.forEach((name, lc) -> json.append(",\"").append(name).append("\":[\"").append(lc[0]).append("\",\"").append(lc[1]).append("\"]"));
        Files.createDirectories(root);
        Files.writeString(root.resolve("model_index.json"), json.append('}').toString());
    }

    /** A folder of the three SDXL-refiner component kinds: unet (fp16 weights), tokenizer_2, scheduler. */
    static Path refinerLike(Path root) throws IOException {
        modelIndex(root, Map.of(
                "unet", new String[] {"diffusers", "UNet2DConditionModel"},
                "tokenizer_2", new String[] {"transformers", "CLIPTokenizer"},
                "scheduler", new String[] {"diffusers", "EulerDiscreteScheduler"}));
        Path unet = Files.createDirectories(root.resolve("unet"));
        Files.writeString(unet.resolve("config.json"), "{\"in_channels\":4}");
        tensors(unet.resolve("diffusion_pytorch_model.fp16.safetensors"), "conv_in.weight", 1f);
        Path tok = Files.createDirectories(root.resolve("tokenizer_2"));
        Files.writeString(tok.resolve("tokenizer_config.json"), "{\"model_max_length\":77}");
        Files.writeString(tok.resolve("vocab.json"), "{}");
        Files.writeString(tok.resolve("merges.txt"), "#version: 0.2\n");
        Path sched = Files.createDirectories(root.resolve("scheduler"));
        Files.writeString(sched.resolve("scheduler_config.json"), "{\"num_train_timesteps\":1000}");
        return root;
    }

    /** A safetensors file of F32 tensors named as given, each [2] filled with {@code value}. */
    static void tensors(Path file, String name, float value, String... more) throws IOException {
        SafetensorsWriter.Builder b = SafetensorsWriter.builder().f32(name, new long[] {2}, new float[] {value, value});
        for (String n : more) b.f32(n, new long[] {2}, new float[] {value, value});
        b.write(file);
    }
}
