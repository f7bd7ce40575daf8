package refiner.engine.nn;

import refiner.engine.tensor.Tensor;

/** GroupNorm over x[B, C, ...] with a per-channel affine {@code weight}, {@code bias} [C]. */
public final class GroupNorm {
    private final Tensor weight;
    private final Tensor bias;
    private final int groups;
    private final float eps;

    public GroupNorm(Params p, int groups, int channels, float eps) {
        if (channels % groups != 0) {
            throw new IllegalArgumentException(p.key("weight") + ": " + channels + " channels do not split into " + groups + " groups");
        }
        this.weight = p.get("weight", channels);
        this.bias = p.get("bias", channels);
        this.groups = groups;
        this.eps = eps;
    }

    /** Normalised x, same shape. */
    public Tensor forward(Tensor x) {
        return x.backend().groupNorm(x, groups, weight, bias, eps, false);
    }

    /** SiLU(normalised x), same shape. */
    public Tensor forwardSilu(Tensor x) {
        return x.backend().groupNorm(x, groups, weight, bias, eps, true);
    }
}
