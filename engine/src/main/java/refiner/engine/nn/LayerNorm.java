package refiner.engine.nn;

import refiner.engine.tensor.Tensor;

/** LayerNorm over the last dimension with affine {@code weight}, {@code bias} [D]. */
public final class LayerNorm {
    private final Tensor weight;
    private final Tensor bias;
    private final float eps;

    public LayerNorm(Params p, int dim, float eps) {
        this.weight = p.get("weight", dim);
        this.bias = p.get("bias", dim);
        this.eps = eps;
    }

    /** x[..., D] -> [..., D]. */
    public Tensor forward(Tensor x) {
        return x.backend().layerNorm(x, weight, bias, eps);
    }
}
