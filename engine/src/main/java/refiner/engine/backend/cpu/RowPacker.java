package refiner.engine.backend.cpu;

import java.util.Arrays;
import refiner.engine.tensor.Tensor;

/**
 * Copies strips of a row-major [rows, K] matrix (an activation, or a weight widened on the fly):
 * row by row as the A side of a product, or transposed as the B side of x * W^T.
 */
final class RowPacker implements Gemm.Packer {
    private static final ThreadLocal<float[]> ROW = ThreadLocal.withInitial(() -> new float[Gemm.KC]);

    private final Tensor t;
    private final float[] array;
    private final long offset;
    private final int k;

    /** Rows of {@code t} starting at element {@code offset}, each {@code k} long. */
    RowPacker(Tensor t, long offset, int k) {
        this.t = t;
        this.array = HostTensors.array(t);
        this.offset = offset;
        this.k = k;
    }

    /**
     * Writes rows {@code [from, from + count)} for k in {@code [k0, k0 + kc)} to
     * {@code dst[off + i * kc + k]}, and zeros for rows {@code count <= i < width}.
     */
    void rows(float[] dst, int off, int from, int count, int width, int k0, int kc) {
        for (int i = 0; i < count; i++) HostTensors.read(t, offset + (long) (from + i) * k + k0, dst, off + i * kc, kc);
        Arrays.fill(dst, off + count * kc, off + width * kc, 0f);
    }

    @Override
    public void pack(float[] dst, int off, int from, int count, int width, int k0, int kc) {
        float[] row = array != null ? array : ROW.get();
        for (int i = 0; i < count; i++) {
            long start = offset + (long) (from + i) * k + k0;
            int src = (int) start;
            if (array == null) {
                HostTensors.read(t, start, row, 0, kc);
                src = 0;
            }
            for (int kk = 0, d = off + i; kk < kc; kk++, d += width) dst[d] = row[src + kk];
        }
        for (int i = count; i < width; i++) {
            for (int kk = 0, d = off + i; kk < kc; kk++, d += width) dst[d] = 0f;
        }
    }
}
