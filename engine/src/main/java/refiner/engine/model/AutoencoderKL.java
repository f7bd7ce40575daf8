package refiner.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import java.util.function.BiConsumer;
import refiner.engine.backend.Backend;
import refiner.engine.nn.Conv2d;
import refiner.engine.nn.Params;
import refiner.engine.tensor.Tensor;
import refiner.loader.Weights;

/**
 * The SDXL VAE ({@code AutoencoderKL}), built from its config.json, run in fp32: {@link #encode}
 * gives the posterior of an image in [-1, 1], {@link #decode} turns {@code z = latents /
 * scalingFactor()} back into an image in roughly [-1, 1]. Scaling by {@code scaling_factor} and
 * sampling the posterior are the caller's.
 */
public final class AutoencoderKL {
    private static final float EPS = 1e-6f;

    private final Backend backend;
    private final int inChannels;
    private final int latentChannels;
    private final int downFactor;
    private final float scalingFactor;
    private final VaeEncoder encoder;
    private final Conv2d quantConv;
    private final Conv2d postQuantConv;
    private final VaeDecoder decoder;

    /**
     * Builds the VAE from its config.json and binds every tensor of {@code weights} (either
     * spelling of the attention keys); an unsupported config value or a missing, misshapen or
     * unused tensor is a one-line {@link IllegalArgumentException}.
     */
    public AutoencoderKL(Backend backend, JsonNode config, Weights weights) {
        this.backend = backend;
        Configs.expect(config, "act_fn", "silu");
        Configs.expect(config, "mid_block_add_attention", true);
        Configs.expect(config, "use_quant_conv", true);
        Configs.expect(config, "use_post_quant_conv", true);
        int[] channels = Configs.intList(config, "block_out_channels");
        for (String t : Configs.strings(config, "down_block_types")) {
            if (!t.equals("DownEncoderBlock2D")) throw new IllegalArgumentException("config.json: VAE down block '" + t + "' is not supported");
        }
        for (String t : Configs.strings(config, "up_block_types")) {
            if (!t.equals("UpDecoderBlock2D")) throw new IllegalArgumentException("config.json: VAE up block '" + t + "' is not supported");
        }
        int layers = Configs.integer(config, "layers_per_block", 2);
        int groups = Configs.integer(config, "norm_num_groups", 32);
        this.inChannels = Configs.integer(config, "in_channels", 3);
        this.latentChannels = Configs.integer(config, "latent_channels", 4);
        this.downFactor = 1 << (channels.length - 1);
        this.scalingFactor = Configs.number(config, "scaling_factor", 0.13025f);

        Params p = Params.of(backend, weights);
        this.encoder = new VaeEncoder(p.child("encoder"), inChannels, channels, layers, latentChannels, groups, EPS);
        this.quantConv = new Conv2d(p.child("quant_conv"), 2 * latentChannels, 2 * latentChannels, 1, 1, 0);
        this.postQuantConv = new Conv2d(p.child("post_quant_conv"), latentChannels, latentChannels, 1, 1, 0);
        this.decoder = new VaeDecoder(p.child("decoder"), latentChannels, channels, layers,
                Configs.integer(config, "out_channels", 3), groups, EPS);
        p.requireAllUsed();
    }

    /** {@code scaling_factor} of config.json (0.13025 for SDXL): latents = scalingFactor * sample. */
    public float scalingFactor() {
        return scalingFactor;
    }

    /** Image pixels per latent pixel along each side (8 for SDXL). */
    public int downFactor() {
        return downFactor;
    }

    public int latentChannels() {
        return latentChannels;
    }

    /** {@link #encode(Tensor, BiConsumer)} without a debug hook. */
    public Posterior encode(Tensor image) {
        return encode(image, null);
    }

    /**
     * image[B, 3, H, W] in [-1, 1] (H, W multiples of {@link #downFactor()}) -> the posterior,
     * each part [B, latent, H / 8, W / 8]. {@code image} is left untouched. {@code debug}, when not
     * null, sees {@code encoder.conv_in}, {@code encoder.down_blocks.i}, {@code encoder.mid_block},
     * {@code encoder.conv_out} and {@code quant_conv}; it must not keep or close them.
     */
    public Posterior encode(Tensor image, BiConsumer<String, Tensor> debug) {
        if (image.rank() != 4 || image.dim(1) != inChannels || image.dim(2) % downFactor != 0 || image.dim(3) % downFactor != 0) {
            throw new IllegalArgumentException("vae: image " + Arrays.toString(image.shape()) + " is not [B, " + inChannels
                    + ", H, W] with H and W multiples of " + downFactor);
        }
        float[] moments;
        int[] shape;
        try (Tensor h = encoder.forward(image, debug);                  // [B, 2 * latent, h, w]
             Tensor q = quantConv.forward(h)) {                         // [B, 2 * latent, h, w]
            Debug.report(debug, "quant_conv", q);
            moments = backend.download(q);
            shape = q.shape();
        }
        int batch = shape[0], plane = shape[2] * shape[3], half = latentChannels * plane;
        float[] mean = new float[batch * half];
        float[] logvar = new float[batch * half];
        float[] std = new float[batch * half];
        for (int b = 0; b < batch; b++) {
            System.arraycopy(moments, 2 * b * half, mean, b * half, half);
            for (int i = 0; i < half; i++) {
                float lv = Math.min(Math.max(moments[2 * b * half + half + i], -30f), 20f);
                logvar[b * half + i] = lv;
                std[b * half + i] = (float) Math.exp(0.5f * lv);
            }
        }
        int[] latent = {batch, latentChannels, shape[2], shape[3]};
        return new Posterior(backend.upload(mean, latent), backend.upload(logvar, latent), backend.upload(std, latent));
    }

    /** {@link #decode(Tensor, BiConsumer)} without a debug hook. */
    public Tensor decode(Tensor z) {
        return decode(z, null);
    }

    /**
     * z[B, latent, h, w] (latents already divided by {@link #scalingFactor()}) -> image
     * [B, 3, 8h, 8w], not clamped. {@code z} is left untouched. {@code debug}, when not null,
     * sees {@code post_quant_conv}, {@code decoder.conv_in}, {@code decoder.mid_block},
     * {@code decoder.up_blocks.i} and {@code decoder.conv_out}; it must not keep or close them.
     */
    public Tensor decode(Tensor z, BiConsumer<String, Tensor> debug) {
        if (z.rank() != 4 || z.dim(1) != latentChannels) {
            throw new IllegalArgumentException("vae: latents " + Arrays.toString(z.shape()) + " are not [B, " + latentChannels + ", h, w]");
        }
        try (Tensor h = postQuantConv.forward(z)) {                     // [B, latent, h, w]
            Debug.report(debug, "post_quant_conv", h);
            return decoder.forward(h, debug);                           // [B, 3, 8h, 8w]
        }
    }
}
