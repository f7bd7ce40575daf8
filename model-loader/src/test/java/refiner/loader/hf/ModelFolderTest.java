package refiner.loader.hf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import refiner.loader.Shared;
import refiner.loader.Weights;
import refiner.loader.safetensors.SafetensorsException;
import refiner.loader.safetensors.SafetensorsFile;

class ModelFolderTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @TempDir
    Path tmp;

    @Test
    void readsComponentsOfAFolder() throws IOException {
        ModelFolder m = ModelFolder.open(Fixtures.refinerLike(tmp.resolve("m")));
        assertEquals(tmp.resolve("m"), m.root());
        assertEquals(List.of("unet", "tokenizer_2", "scheduler").stream().sorted().toList(), m.componentNames().stream().sorted().toList());
        assertFalse(m.hasComponent("text_encoder"), "[null, null] is no component");
        assertTrue(m.hasComponent("unet"));
        assertTrue(m.modelIndex().get("requires_aesthetics_score").asBoolean());
        m.requireComponents("unet", "tokenizer_2", "scheduler");
        Component unet = m.component("unet");
        assertEquals(Component.Kind.MODEL, unet.kind());
        assertEquals("UNet2DConditionModel", unet.className());
        assertEquals("diffusers", unet.library());
        assertEquals(4, unet.config().get("in_channels").asInt());
        assertEquals(Component.Kind.SCHEDULER, m.component("scheduler").kind());
        assertEquals(1000, m.component("scheduler").config().get("num_train_timesteps").asInt());
        assertEquals(Component.Kind.TOKENIZER, m.component("tokenizer_2").kind());
        assertEquals(77, m.component("tokenizer_2").config().get("model_max_length").asInt());
        assertOneLine(assertThrows(ModelException.class, () -> m.component("scheduler").openWeights()),
                "component 'scheduler' (EulerDiscreteScheduler) holds no weights");
        assertOneLine(assertThrows(ModelException.class, () -> m.component("text_encoder")),
                "model_index.json: no component 'text_encoder' (it names ");
    }

    @Test
    void prefersTheFp16Variant() throws IOException {
        Path root = Fixtures.refinerLike(tmp.resolve("m"));
        Path unet = root.resolve("unet");
        Fixtures.tensors(unet.resolve("diffusion_pytorch_model.safetensors"), "conv_in.weight", 2f);
        Files.writeString(unet.resolve("diffusion_pytorch_model.bin"), "pickle");
        Component c = ModelFolder.open(root).component("unet");
        assertEquals(List.of(unet.resolve("diffusion_pytorch_model.fp16.safetensors")), c.weightFiles());
        try (Weights w = c.openWeights()) {
            assertInstanceOf(SafetensorsFile.class, w);
            assertEquals(1f, w.get("conv_in.weight").data().get(F32, 0));
        }
        Files.delete(unet.resolve("diffusion_pytorch_model.fp16.safetensors"));
        try (Weights w = c.openWeights()) {
            assertEquals(2f, w.get("conv_in.weight").data().get(F32, 0));
        }
    }

    @Test
    void readsShardedWeightsOfBothIndexNamings() throws IOException {
        Path root = Fixtures.refinerLike(tmp.resolve("m"));
        Path unet = root.resolve("unet");
        Files.delete(unet.resolve("diffusion_pytorch_model.fp16.safetensors"));
        Fixtures.tensors(unet.resolve("diffusion_pytorch_model-00001-of-00002.safetensors"), "a", 1f, "b");
        Fixtures.tensors(unet.resolve("diffusion_pytorch_model-00002-of-00002.safetensors"), "c", 2f);
        Files.writeString(unet.resolve("diffusion_pytorch_model.safetensors.index.json"), """
                {"metadata": {"total_size": 24}, "weight_map": {
                  "a": "diffusion_pytorch_model-00001-of-00002.safetensors",
                  "c": "diffusion_pytorch_model-00002-of-00002.safetensors",
                  "b": "diffusion_pytorch_model-00001-of-00002.safetensors"}}""");
        Component c = ModelFolder.open(root).component("unet");
        assertEquals(List.of(unet.resolve("diffusion_pytorch_model-00001-of-00002.safetensors"),
                unet.resolve("diffusion_pytorch_model-00002-of-00002.safetensors")), c.weightFiles());
        try (Weights w = c.openWeights()) {
            ShardedWeights s = assertInstanceOf(ShardedWeights.class, w);
            assertEquals(List.of("a", "b", "c"), List.copyOf(s.names()));
            assertEquals(2f, s.get("c").data().get(F32, 4));
            assertEquals(2, s.files().size());
            assertTrue(s.source().endsWith("diffusion_pytorch_model.safetensors.index.json"));
            assertOneLine(assertThrows(IllegalArgumentException.class, () -> s.get("d")), "index.json: no tensor named 'd'");
        }

        for (String fp16Index : List.of("diffusion_pytorch_model.safetensors.index.fp16.json", "diffusion_pytorch_model.fp16.safetensors.index.json")) {
            Fixtures.tensors(unet.resolve("diffusion_pytorch_model-00001-of-00001.fp16.safetensors"), "a", 5f, "b", "c");
            Files.writeString(unet.resolve(fp16Index), """
                    {"weight_map": {"a": "diffusion_pytorch_model-00001-of-00001.fp16.safetensors",
                      "b": "diffusion_pytorch_model-00001-of-00001.fp16.safetensors",
                      "c": "diffusion_pytorch_model-00001-of-00001.fp16.safetensors"}}""");
            try (Weights w = c.openWeights()) {
                assertEquals(5f, w.get("c").data().get(F32, 0), fp16Index);
                assertTrue(w.source().endsWith(fp16Index));
            }
            Files.delete(unet.resolve(fp16Index));
        }
    }

    @Test
    void rejectsIndexAndShardsThatDisagree() throws IOException {
        Path unet = Files.createDirectories(tmp.resolve("unet"));
        Fixtures.tensors(unet.resolve("s1.safetensors"), "a", 1f, "b");
        Fixtures.tensors(unet.resolve("s2.safetensors"), "c", 1f, "a");
        Path index = unet.resolve("w.safetensors.index.json");
        Map<String, String> cases = pairs(
                "{\"weight_map\":{\"b\":\"s1.safetensors\",\"a\":\"s1.safetensors\",\"x\":\"s2.safetensors\"}}", "tensor 'c' of shard s2.safetensors is not in the weight_map",
                "{\"weight_map\":{\"a\":\"s1.safetensors\",\"b\":\"s1.safetensors\",\"c\":\"s1.safetensors\"}}", "weight_map puts tensor 'c' in s1.safetensors, which does not hold it",
                "{\"weight_map\":{\"a\":\"s1.safetensors\",\"b\":\"s1.safetensors\",\"c\":\"s2.safetensors\"}}", "tensor 'a' is in shard s2.safetensors but the weight_map puts it in s1.safetensors",
                "{\"weight_map\":{\"a\":\"s1.safetensors\"}}", "tensor 'b' of shard s1.safetensors is not in the weight_map",
                "{\"weight_map\":{\"a\":\"s1.safetensors\",\"b\":\"s1.safetensors\",\"z\":\"s1.safetensors\"}}", "weight_map puts tensor 'z' in s1.safetensors, which does not hold it",
                "{\"weight_map\":{\"a\":\"../s1.safetensors\"}}", "weight_map entry 'a' names '../s1.safetensors', not a file beside the index",
                "{\"weight_map\":{\"a\":1}}", "weight_map entry 'a' is not a file name",
                "{\"weight_map\":[]}", "weight_map is missing or not an object",
                "{\"weight_map\":{}}", "weight_map is empty",
                "{\"weight_map\":{\"a\":\"s1.safetensors\",\"a\":\"s1.safetensors\"}}", "not valid JSON: Duplicate field 'a'",
                "{\"weight_map\":{\"a\":\"s1.safetensors\"}} x", "not valid JSON");
        for (Map.Entry<String, String> e : cases.entrySet()) {
            Files.writeString(index, e.getKey());
            ModelException x = assertThrows(ModelException.class, () -> ShardedWeights.open(index), e.getKey());
            assertOneLine(x, index + ": " + e.getValue());
        }
        Files.writeString(index, "{\"weight_map\":{\"a\":\"s3.safetensors\"}}");
        IOException missing = assertThrows(IOException.class, () -> ShardedWeights.open(index));
        assertOneLine(missing, "s3.safetensors");
        Files.write(unet.resolve("s3.safetensors"), new byte[3]);
        assertOneLine(assertThrows(SafetensorsException.class, () -> ShardedWeights.open(index)), "s3.safetensors: not a safetensors file");
    }

    @Test
    void rejectsMissingOrAmbiguousWeights() throws IOException {
        Path root = Fixtures.refinerLike(tmp.resolve("m"));
        Path unet = root.resolve("unet");
        Fixtures.tensors(unet.resolve("other.fp16.safetensors"), "x", 1f);
        Component c = ModelFolder.open(root).component("unet");
        assertOneLine(assertThrows(ModelException.class, c::openWeights),
                unet + ": ambiguous weights, several candidates: diffusion_pytorch_model.fp16.safetensors, other.fp16.safetensors");
        Files.delete(unet.resolve("other.fp16.safetensors"));
        Files.delete(unet.resolve("diffusion_pytorch_model.fp16.safetensors"));
        assertOneLine(assertThrows(ModelException.class, c::weightFiles), unet + ": no safetensors weights");
        Files.writeString(unet.resolve("diffusion_pytorch_model.bin"), "pickle");
        assertOneLine(assertThrows(ModelException.class, c::weightFiles),
                unet + ": no safetensors weights (only PyTorch pickle files diffusion_pytorch_model.bin, which are not read)");
        Fixtures.tensors(unet.resolve("diffusion_pytorch_model-00001-of-00001.safetensors"), "x", 1f);
        assertOneLine(assertThrows(ModelException.class, c::weightFiles),
                unet + ": safetensors shards (diffusion_pytorch_model-00001-of-00001.safetensors) but no *.safetensors.index.json naming them");
    }

    @Test
    void requireComponentsReportsEveryProblemOnOneLine() throws IOException {
        Path root = Fixtures.refinerLike(tmp.resolve("m"));
        Fixtures.modelIndex(root, Map.of(
                "unet", new String[] {"diffusers", "UNet2DConditionModel"},
                "vae", new String[] {"diffusers", "AutoencoderKL"},
                "text_encoder_2", new String[] {"transformers", "CLIPTextModelWithProjection"},
                "tokenizer_2", new String[] {"transformers", "CLIPTokenizer"},
                "scheduler", new String[] {"diffusers", "EulerDiscreteScheduler"}));
        Files.delete(root.resolve("unet").resolve("config.json"));
        Files.delete(root.resolve("unet").resolve("diffusion_pytorch_model.fp16.safetensors"));
        Path te = Files.createDirectories(root.resolve("text_encoder_2"));
        Files.writeString(te.resolve("config.json"), "{\"hidden_size\": 32,");
        Fixtures.tensors(te.resolve("model.fp16.safetensors"), "w", 1f);
        Files.delete(root.resolve("tokenizer_2").resolve("merges.txt"));
        Files.writeString(root.resolve("scheduler").resolve("scheduler_config.json"), "[]");
        ModelFolder m = ModelFolder.open(root);
        ModelException e = assertThrows(ModelException.class,
                () -> m.requireComponents("unet", "vae", "text_encoder_2", "tokenizer_2", "scheduler", "text_encoder"));
        assertOneLine(e, root + ": model folder is incomplete: ");
        String msg = e.getMessage();
        for (String expected : List.of(
                root.resolve("unet").resolve("config.json") + ": missing",
                root.resolve("unet") + ": no safetensors weights",
                root.resolve("vae") + ": folder of component 'vae' is missing",
                root.resolve("text_encoder_2").resolve("config.json") + ": not valid JSON: Unexpected end-of-input",
                root.resolve("tokenizer_2").resolve("merges.txt") + ": missing",
                root.resolve("scheduler").resolve("scheduler_config.json") + ": not a JSON object",
                root.resolve("model_index.json") + ": no component 'text_encoder'")) {
            assertTrue(msg.contains(expected), "expected '" + expected + "' in: " + msg);
        }
        assertEquals(7, msg.split("; ").length, msg);
        m.requireComponents();
    }

    @Test
    void rejectsBadModelIndexes() throws IOException {
        Path root = Files.createDirectories(tmp.resolve("m"));
        assertOneLine(assertThrows(ModelException.class, () -> ModelFolder.open(root)), root + ": not a diffusers model folder (no model_index.json)");
        Path index = root.resolve("model_index.json");
        Map<String, String> cases = pairs(
                "{\"unet\": [\"diffusers\"]}", "component 'unet' must be [library, class] or [null, null], not [\"diffusers\"]",
                "{\"unet\": [\"diffusers\", null]}", "component 'unet' must be [library, class]",
                "{\"unet\": [\"diffusers\", 3]}", "component 'unet' must be [library, class]",
                "{\"..\": [\"diffusers\", \"UNet2DConditionModel\"]}", "component name '..' is not a folder name",
                "[1]", "not a JSON object",
                "", "not a JSON object",
                "{\"unet\": [\"diffusers\", \"A\"], \"unet\": [\"diffusers\", \"B\"]}", "not valid JSON: Duplicate field 'unet'",
                "{\"unet\": ", "not valid JSON: Unexpected end-of-input");
        for (Map.Entry<String, String> e : cases.entrySet()) {
            Files.writeString(index, e.getKey());
            assertOneLine(assertThrows(ModelException.class, () -> ModelFolder.open(root), e.getKey()), index + ": " + e.getValue());
        }
        Files.delete(index);
        Files.delete(root);
        assertOneLine(assertThrows(ModelException.class, () -> ModelFolder.open(root)), root + ": not a folder");
    }

    @Test
    void readsTheSharedTinyRefiner() throws IOException {
        ModelFolder m = ModelFolder.resolve(Shared.model("tiny-refiner").toString(), HubCache.at(tmp));
        assertEquals(List.of("scheduler", "text_encoder_2", "tokenizer_2", "unet", "vae"), m.componentNames());
        m.requireComponents("text_encoder_2", "tokenizer_2", "unet", "vae", "scheduler");
        assertEquals("EulerDiscreteScheduler", m.component("scheduler").className());
        assertEquals(4, m.component("unet").config().get("in_channels").asInt());
        for (String name : List.of("text_encoder_2", "unet", "vae")) {
            Component c = m.component(name);
            assertEquals(1, c.weightFiles().size());
            assertTrue(c.weightFiles().getFirst().getFileName().toString().endsWith(".fp16.safetensors"));
            try (Weights w = c.openWeights()) {
                assertFalse(w.names().isEmpty(), name);
                for (String t : w.names()) assertEquals(refiner.loader.DType.F16, w.get(t).dtype(), name + " " + t);
            }
        }
    }

    @Test
    void readsTheSharedTinyBase() throws IOException {
        ModelFolder m = ModelFolder.open(Shared.model("tiny-base"));
        m.requireComponents("text_encoder", "text_encoder_2", "tokenizer", "tokenizer_2", "unet", "vae", "scheduler");
        try (Weights w = m.component("text_encoder").openWeights()) {
            assertTrue(w.names().stream().anyMatch(n -> n.startsWith("text_model.")), w.source());
        }
    }

    /** Key, value, key, value... in order. */
    private static Map<String, String> pairs(String... kv) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) out.put(kv[i], kv[i + 1]);
        return out;
    }

    static void assertOneLine(Exception e, String expected) {
        String m = e.getMessage();
        assertFalse(m.contains("\n") || m.contains("\r"), m);
        assertTrue(m.contains(expected), "expected '" + expected + "' in: " + m);
    }
}
