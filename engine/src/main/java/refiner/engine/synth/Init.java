package refiner.engine.synth;

/** How a synthetic parameter is filled so that activations stay finite through the network. */
public enum Init {
    /** All ones: the scale of a norm. */
    ONES,
    /** All zeros: biases and the shift of a norm. */
    ZEROS,
    /** Normal with variance 1/fan_in, fan_in = product of the shape after the first dimension. */
    FAN_IN,
    /** Normal with standard deviation 0.02: token and position embeddings. */
    EMBEDDING
}
