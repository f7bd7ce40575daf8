package refiner.engine.bench;

/**
 * Multiply-accumulate counts of a forward pass, by kind of operation: dense layers, convolutions,
 * and the two matrix products of attention (Q.K^T and P.V). Norms, softmax, activations, residual
 * adds, bias adds and upsampling are not counted.
 */
public record Macs(long linear, long conv2d, long attentionQk, long attentionPv) {

    public static final Macs ZERO = new Macs(0, 0, 0, 0);

    public long total() {
        return linear + conv2d + attentionQk + attentionPv;
    }

    public Macs plus(Macs o) {
        return new Macs(linear + o.linear, conv2d + o.conv2d, attentionQk + o.attentionQk, attentionPv + o.attentionPv);
    }

    /** This count repeated {@code n} times. */
    public Macs times(long n) {
        return new Macs(linear * n, conv2d * n, attentionQk * n, attentionPv * n);
    }
}
