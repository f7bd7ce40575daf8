package refiner.engine.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import refiner.engine.backend.Backend;
import refiner.engine.model.AutoencoderKL;
import refiner.engine.model.ClipTextModel;
import refiner.engine.model.UNet2DConditionModel;
import refiner.engine.schedule.EulerDiscreteConfig;
import refiner.engine.schedule.EulerDiscreteScheduler;
import refiner.loader.Weights;
import refiner.loader.hf.Component;
import refiner.loader.hf.ModelException;
import refiner.loader.hf.ModelFolder;
import refiner.tokenizer.ClipTokenizer;

/**
 * The components of an SDXL refiner, loaded from a Hugging Face folder onto one backend:
 * tokenizer_2, text_encoder_2, unet, vae and the Euler scheduler. Everything is checked before
 * any network is built: a missing component, a config that does not parse, or a model that is
 * not a refiner (a base model among them) is a one-line {@link ModelException}.
 */
public final class RefinerModel implements AutoCloseable {
    /** Components the refiner needs. */
    public static final String[] COMPONENTS = {"tokenizer_2", "text_encoder_2", "unet", "vae", "scheduler"};

    private final ModelFolder folder;
    private final ClipTokenizer tokenizer;
    private final ClipTextModel textEncoder;
    private final UNet2DConditionModel unet;
    private final AutoencoderKL vae;
    private final Backend vaeBackend;
    private final EulerDiscreteScheduler scheduler;
    private final Weights textEncoderWeights;
    private final Weights unetWeights;
    private final List<Weights> opened;

    private RefinerModel(ModelFolder folder, ClipTokenizer tokenizer, ClipTextModel textEncoder, UNet2DConditionModel unet,
                         AutoencoderKL vae, Backend vaeBackend, EulerDiscreteScheduler scheduler, List<Weights> opened) {
        this.folder = folder;
        this.tokenizer = tokenizer;
        this.textEncoder = textEncoder;
        this.unet = unet;
        this.vae = vae;
        this.vaeBackend = vaeBackend;
        this.scheduler = scheduler;
        this.textEncoderWeights = opened.get(0);
        this.unetWeights = opened.get(1);
        this.opened = opened;
    }

    /** Checks that {@code folder} holds an SDXL refiner, without reading any weights. */
    public static void check(ModelFolder folder) throws ModelException {
        folder.requireComponents(COMPONENTS);
        JsonNode unet = folder.component("unet").config();
        JsonNode te = folder.component("text_encoder_2").config();
        int timeIds = timeIdCount(unet, te);
        if (timeIds == 6 || folder.hasComponent("text_encoder")) {
            throw new ModelException(folder.root(), "this is an SDXL base model; refine needs the refiner "
                    + "(stabilityai/stable-diffusion-xl-refiner-1.0)");
        }
        if (timeIds != 5) {
            throw new ModelException(folder.root(), "unet/config.json does not describe an SDXL refiner "
                    + "(its added embedding takes " + unet.path("projection_class_embeddings_input_dim").asInt()
                    + " values, a refiner's takes projection_dim + 5 x addition_time_embed_dim)");
        }
    }

    /** Loads and binds every component of {@code folder} on {@code backend}. */
    public static RefinerModel load(ModelFolder folder, Backend backend) throws IOException {
        return load(folder, backend, backend);
    }

    /** Loads every component on {@code backend}, except the VAE, which goes on {@code vaeBackend}. */
    public static RefinerModel load(ModelFolder folder, Backend backend, Backend vaeBackend) throws IOException {
        check(folder);
        EulerDiscreteScheduler scheduler = new EulerDiscreteScheduler(EulerDiscreteConfig.fromJson(
                folder.component("scheduler").config(), folder.component("scheduler").configFile().toString()));
        ClipTokenizer tokenizer = ClipTokenizer.load(folder.component("tokenizer_2").dir());
        List<Weights> opened = new ArrayList<>();   // text_encoder_2, unet, vae
        try {
            Component te = folder.component("text_encoder_2");
            ClipTextModel textEncoder = new ClipTextModel(backend, te.config(), open(te, opened));
            Component u = folder.component("unet");
            UNet2DConditionModel unet = new UNet2DConditionModel(backend, u.config(), open(u, opened));
            Component v = folder.component("vae");
            AutoencoderKL vae = new AutoencoderKL(vaeBackend, v.config(), open(v, opened));
            return new RefinerModel(folder, tokenizer, textEncoder, unet, vae, vaeBackend, scheduler, opened);
        } catch (IOException | RuntimeException e) {
            closeAll(opened);
            throw e;
        }
    }

    private static Weights open(Component c, List<Weights> opened) throws IOException {
        Weights w = c.openWeights();
        opened.add(w);
        return w;
    }

    /** Time ids the UNet's added embedding takes: (input - projection_dim) / addition_time_embed_dim. */
    private static int timeIdCount(JsonNode unet, JsonNode textEncoder) throws ModelException {
        int input = unet.path("projection_class_embeddings_input_dim").asInt(-1);
        int per = unet.path("addition_time_embed_dim").asInt(-1);
        int pooled = textEncoder.path("projection_dim").asInt(-1);
        if (input <= 0 || per <= 0 || pooled <= 0 || (input - pooled) % per != 0) return -1;
        return (input - pooled) / per;
    }

    public ModelFolder folder() {
        return folder;
    }

    public ClipTokenizer tokenizer() {
        return tokenizer;
    }

    public ClipTextModel textEncoder() {
        return textEncoder;
    }

    public UNet2DConditionModel unet() {
        return unet;
    }

    public AutoencoderKL vae() {
        return vae;
    }

    /** The backend the VAE's tensors live on. */
    public Backend vaeBackend() {
        return vaeBackend;
    }

    public EulerDiscreteScheduler scheduler() {
        return scheduler;
    }

    /**
     * Drops the text encoder's mapped weights from resident memory once the prompts of a run are
     * encoded; a later run reads them back (from the page cache when the system kept them).
     */
    public void releaseTextEncoder() {
        textEncoderWeights.release();
    }

    /** Drops the UNet's mapped weights from resident memory once a run's denoising is done. */
    public void releaseUnet() {
        unetWeights.release();
    }

    /** Unmaps the weight files; the networks must not be used afterwards. */
    @Override
    public void close() {
        closeAll(opened);
    }

    private static void closeAll(List<Weights> weights) {
        weights.forEach(Weights::close);
        weights.clear();
    }
}
