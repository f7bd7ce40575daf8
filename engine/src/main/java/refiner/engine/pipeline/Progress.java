package refiner.engine.pipeline;

/** What a run reports while it works; every method has an empty default. */
public interface Progress {

    /** A stage begins: "text_encoder", "vae_encode", "unet", "vae_decode". */
    default void stage(String name) {
    }

    /** UNet step {@code done} of {@code total} has finished. */
    default void step(int done, int total) {
    }

    /** Reports nothing. */
    Progress NONE = new Progress() {
    };
}
