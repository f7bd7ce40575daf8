package refiner.engine.nn;

import refiner.engine.backend.Backend;
import refiner.engine.tensor.Tensor;

/**
 * Sinusoidal embedding of scalars (timesteps, size and crop conditions), computed on the host in
 * float32 the way the reference does: frequencies {@code f_i = exp(-ln(10000) * i / (half - shift))},
 * arguments {@code v * f_i} rounded to float32, then {@code [cos, sin]} with {@code flip_sin_to_cos}
 * (else {@code [sin, cos]}).
 */
public final class Timesteps {
    private static final float LOG_MAX_PERIOD = (float) -Math.log(10000.0);

    private final int channels;
    private final boolean flipSinToCos;
    private final float[] freqs;

    public Timesteps(int channels, boolean flipSinToCos, float freqShift) {
        if (channels <= 0 || channels % 2 != 0) {
            throw new IllegalArgumentException("sinusoidal embedding width must be even and positive, got " + channels);
        }
        this.channels = channels;
        this.flipSinToCos = flipSinToCos;
        int half = channels / 2;
        float denominator = half - freqShift;
        this.freqs = new float[half];
        for (int i = 0; i < half; i++) {
            float exponent = (LOG_MAX_PERIOD * i) / denominator;
            freqs[i] = (float) Math.exp(exponent);
        }
    }

    public int channels() {
        return channels;
    }

    /** The float32 frequency table, {@code channels / 2} entries. */
    public float[] frequencies() {
        return freqs.clone();
    }

    /** values[n] -> row-major [n, channels] on the host. */
    public float[] embed(float[] values) {
        int half = channels / 2;
        float[] out = new float[values.length * channels];
        for (int r = 0; r < values.length; r++) {
            int row = r * channels;
            int first = flipSinToCos ? 0 : half;
            int second = flipSinToCos ? half : 0;
            for (int i = 0; i < half; i++) {
                float arg = values[r] * freqs[i];
                out[row + first + i] = (float) Math.cos(arg);
                out[row + second + i] = (float) Math.sin(arg);
            }
        }
        return out;
    }

    /** values[n] -> [n, channels] on {@code backend}. */
    public Tensor forward(Backend backend, float[] values) {
        return backend.upload(embed(values), values.length, channels);
    }
}
