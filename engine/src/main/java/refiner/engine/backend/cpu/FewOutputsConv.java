package refiner.engine.backend.cpu;

import static refiner.engine.backend.cpu.VectorMath.S;

import jdk.incubator.vector.FloatVector;
import refiner.engine.tensor.Tensor;

/**
 * 3x3 convolutions of stride 1 and padding 1 to at most {@link #MAX_OUTPUTS} channels (the UNet's
 * conv_out, 384 -> 4, and the VAE decoder's, 128 -> 3), directly: each output row a vector of
 * columns at a time, an accumulator per output channel, the taps summed in the order c, ky, kx
 * from the bias, the order and the operations of the product's kernel, so the results are the
 * same. As a product those outputs would fill 3 or 4 of the register tile's 12 rows, every tile
 * through the partial-tile path: 7.8 GFLOP/s on two threads.
 *
 * <p>Every load is a whole vector inside the image's row. The column to the left of a row's first
 * vector and the one to the right of its last are the zero padding: the vector shifted by a lane,
 * a zero shifted in. A row whose width is not a multiple of the vector length ends with a vector
 * that overlaps the one before it (those outputs are computed twice, the same way). With masked
 * loads instead, the first row's left taps start before the array, which the Vector API serves
 * by a slow path that C2's first compilation of the method leaves out: the call that first met
 * it trapped and ran while the method was compiled again (the UNet's conv_out at its second
 * call, once per run: 0.171 s against 0.007 s).
 *
 * <p>The kernel always runs {@link #MAX_OUTPUTS} accumulators, the filters and bias padded with
 * zeros: a branch on the count made C2 throw its code away at the VAE's first call after the
 * UNet's (a trap for the branch never taken), so the decoder's last convolution ran in the
 * interpreter for a second or two.
 */
final class FewOutputsConv {
    static final int MAX_OUTPUTS = 4;
    private static final int L = S.length();

    private FewOutputsConv() {
    }

    /** Whether a k x k convolution of this stride and padding to O channels over rows of {@code width} runs here. */
    static boolean suits(int k, int stride, int pad, int o, int width) {
        return k == 3 && stride == 1 && pad == 1 && o <= MAX_OUTPUTS && width >= L;
    }

    /** y[b, o, oy, ox] = bias[o] + sum over c, ky, kx of w[o, c, ky, kx] x[b, c, oy + ky - 1, ox + kx - 1], zero outside. */
    static void conv(WorkerPool pool, float[] x, Tensor w, float[] bias, float[] y, int b, int c, int h, int wd, int o) {
        float[] filters = new float[MAX_OUTPUTS * 9 * c], start = new float[MAX_OUTPUTS];
        HostTensors.read(w, 0, filters, 0, o * 9 * c);
        if (bias != null) System.arraycopy(bias, 0, start, 0, o);
        int plane = h * wd;
        pool.range(b * h, 1, (r0, r1) -> {
            float[] lanes = new float[MAX_OUTPUTS * L];
            for (int r = r0; r < r1; r++) {
                int rowStart = (r / h * o * h + r % h) * wd;
                for (int v = 0; v < wd; v += L) {
                    int x0 = Math.min(v, wd - L);
                    row(x, filters, start, lanes, r / h, r % h, x0, c, h, wd);
                    for (int ch = 0; ch < o; ch++) System.arraycopy(lanes, ch * L, y, rowStart + x0 + ch * plane, L);
                }
            }
        });
    }

    /** Outputs [x0, x0 + L) of row oy of image n, all {@link #MAX_OUTPUTS} channels, to {@code lanes[ch * L]}; x0 + L <= wd. */
    private static void row(float[] x, float[] w, float[] bias, float[] lanes, int n, int oy, int x0, int c, int h, int wd) {
        boolean first = x0 == 0, last = x0 + L == wd;
        FloatVector a0 = FloatVector.broadcast(S, bias[0]);
        FloatVector a1 = FloatVector.broadcast(S, bias[1]);
        FloatVector a2 = FloatVector.broadcast(S, bias[2]);
        FloatVector a3 = FloatVector.broadcast(S, bias[3]);
        int taps = 9 * c, ky0 = Math.max(0, 1 - oy), ky1 = Math.min(3, h + 1 - oy);
        for (int ch = 0; ch < c; ch++) {
            for (int ky = ky0; ky < ky1; ky++) {
                int at = ((n * c + ch) * h + oy + ky - 1) * wd + x0, k = ch * 9 + ky * 3;
                FloatVector mid = FloatVector.fromArray(S, x, at);
                FloatVector left = first ? mid.unslice(1) : FloatVector.fromArray(S, x, at - 1);
                FloatVector right = last ? mid.slice(1) : FloatVector.fromArray(S, x, at + 1);
                a0 = left.fma(FloatVector.broadcast(S, w[k]), a0);
                a1 = left.fma(FloatVector.broadcast(S, w[taps + k]), a1);
                a2 = left.fma(FloatVector.broadcast(S, w[2 * taps + k]), a2);
                a3 = left.fma(FloatVector.broadcast(S, w[3 * taps + k]), a3);
                a0 = mid.fma(FloatVector.broadcast(S, w[k + 1]), a0);
                a1 = mid.fma(FloatVector.broadcast(S, w[taps + k + 1]), a1);
                a2 = mid.fma(FloatVector.broadcast(S, w[2 * taps + k + 1]), a2);
                a3 = mid.fma(FloatVector.broadcast(S, w[3 * taps + k + 1]), a3);
                a0 = right.fma(FloatVector.broadcast(S, w[k + 2]), a0);
                a1 = right.fma(FloatVector.broadcast(S, w[taps + k + 2]), a1);
                a2 = right.fma(FloatVector.broadcast(S, w[2 * taps + k + 2]), a2);
                a3 = right.fma(FloatVector.broadcast(S, w[3 * taps + k + 2]), a3);
            }
        }
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, L);
        a2.intoArray(lanes, 2 * L);
        a3.intoArray(lanes, 3 * L);
    }
}
