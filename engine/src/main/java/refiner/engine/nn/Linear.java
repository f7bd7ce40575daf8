package refiner.engine.nn;

import refiner.engine.tensor.Tensor;

/** Fully connected layer: {@code weight} [out, in], optional {@code bias} [out]. */
public final class Linear {
    private final Tensor weight;
    private final Tensor bias;

    /** Binds {@code weight} and, when {@code withBias}, {@code bias} under {@code p}. */
    public Linear(Params p, int in, int out, boolean withBias) {
        this.weight = p.get("weight", out, in);
        this.bias = withBias ? p.get("bias", out) : null;
    }

    /** x[..., in] -> [..., out]. */
    public Tensor forward(Tensor x) {
        return x.backend().linear(x, weight, bias);
    }

    /** x[..., in] -> the GEGLU of the layer's output, [..., out / 2]. */
    public Tensor forwardGeglu(Tensor x) {
        return x.backend().linearGeglu(x, weight, bias);
    }

    /** x[..., in] -> residual[..., out] + the layer's output (residual null: the output alone). */
    public Tensor forward(Tensor x, Tensor residual) {
        return residual == null ? forward(x) : x.backend().linear(x, weight, bias, residual);
    }
}
