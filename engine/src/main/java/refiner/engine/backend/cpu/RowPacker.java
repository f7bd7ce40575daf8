package refiner.engine.backend.cpu;

import static refiner.engine.backend.cpu.VectorMath.S;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import refiner.engine.tensor.Tensor;

/**
 * Copies strips of a row-major [rows, K] matrix (an activation, or a weight widened on the fly):
 * row by row as the A side of a product, or transposed as the B side of x * W^T.
 */
final class RowPacker implements Gemm.Packer, Gemm.Ahead {
    private static final int L = S.length();
    private static final ThreadLocal<float[]> STRIP = ThreadLocal.withInitial(() -> new float[Gemm.NR * Gemm.KC]);
    private static final ThreadLocal<int[]> ROW_STARTS = ThreadLocal.withInitial(() -> new int[L]);

    private final Tensor t;
    private final long offset;
    private final int k;

    /** Rows of {@code t} starting at element {@code offset}, each {@code k} long. */
    RowPacker(Tensor t, long offset, int k) {
        this.t = t;
        this.offset = offset;
        this.k = k;
    }

    /**
     * Writes rows {@code [from, from + count)} for k in {@code [k0, k0 + kc)} to
     * {@code dst[off + i * stride + k]}, and zeros for rows {@code count <= i < width}.
     */
    void rows(float[] dst, int off, int from, int count, int width, int k0, int kc, int stride) {
        for (int i = 0; i < count; i++) HostTensors.read(t, offset + (long) (from + i) * k + k0, dst, off + i * stride, kc);
        for (int i = count; i < width; i++) Arrays.fill(dst, off + i * stride, off + i * stride + kc, 0f);
    }

    @Override
    public boolean mapped() {
        return t.storage() instanceof MemorySegment;
    }

    /**
     * Reads one value from every 64 bytes of rows {@code [from, from + count)} over k in
     * {@code [k0, k0 + kc)} of a mapped weight and returns their sum: issued between products, the
     * reads bring the lines a later {@link #rows} needs into the cache while the products run.
     */
    @Override
    public int touch(int from, int count, int k0, int kc) {
        MemorySegment m = (MemorySegment) t.storage();
        int bytes = t.dtype().bytes(), sum = 0;
        for (int i = 0; i < count; i++) {
            long at = bytes * (offset + (long) (from + i) * k + k0);
            for (int j = 0; j < bytes * kc; j += 64) sum += m.get(ValueLayout.JAVA_BYTE, at + j);
        }
        return sum;
    }

    /**
     * The transposed strip: its rows copied (and widened) into a scratch strip, then each k's
     * column gathered a vector of rows at a time (half the time of storing it element by element).
     */
    @Override
    public void pack(MemorySegment dst, long off, int from, int count, int width, int k0, int kc) {
        float[] strip = STRIP.get();
        if (strip.length < width * kc) {
            strip = new float[width * kc];
            STRIP.set(strip);
        }
        rows(strip, 0, from, count, width, k0, kc, kc);
        int[] rowStarts = ROW_STARTS.get();
        for (int l = 0; l < L; l++) rowStarts[l] = l * kc;
        for (int i0 = 0; i0 + L <= width; i0 += L) {
            for (int kk = 0; kk < kc; kk++) {
                FloatVector.fromArray(S, strip, i0 * kc + kk, rowStarts, 0).intoMemorySegment(dst, 4 * (off + kk * width + i0), Gemm.ORDER);
            }
        }
        for (int i = width / L * L; i < width; i++) {
            for (int kk = 0; kk < kc; kk++) dst.setAtIndex(Gemm.FLOAT, off + kk * width + i, strip[i * kc + kk]);
        }
    }
}
