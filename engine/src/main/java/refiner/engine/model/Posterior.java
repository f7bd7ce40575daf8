package refiner.engine.model;

import refiner.engine.tensor.Tensor;

/**
 * The VAE encoder's diagonal Gaussian over latents, each [B, latent, h, w]: {@code mean},
 * {@code logvar} clamped to [-30, 20], and {@code std = exp(0.5 * logvar)}. Closing it frees all three.
 */
public record Posterior(Tensor mean, Tensor logvar, Tensor std) implements AutoCloseable {
    @Override
    public void close() {
        mean.close();
        logvar.close();
        std.close();
    }
}
