package refiner.engine.backend.cpu;

import static refiner.engine.backend.cpu.Gemm.NR;

import java.lang.foreign.MemorySegment;

/**
 * The B side of a GEGLU projection x W^T, W[2F, K] (F value rows, then their F gate rows), with
 * its columns in pairs of strips: NR value rows of W, then the NR gate rows F further on. Each
 * pair of the product's strips then holds a run of values beside their gates (zeros past F),
 * which {@link Gemm.Epilogue#geglu} gates while the block's rows are in cache; the [M, 2F]
 * projection is never read back from memory in a pass of its own.
 */
final class GegluColumns implements Gemm.Packer, Gemm.Ahead {
    private final RowPacker w;
    private final int f;

    GegluColumns(RowPacker w, int f) {
        this.w = w;
        this.f = f;
    }

    /** Columns of the paired product for F outputs: ceil(F / NR) pairs of NR values and NR gates. */
    static int columns(int f) {
        return (f + NR - 1) / NR * 2 * NR;
    }

    /** The bias of W[2F, K] in the paired columns' order (zeros for the padding), or null for none. */
    static float[] bias(float[] b, int f) {
        if (b == null) return null;
        float[] paired = new float[columns(f)];
        for (int q = 0; q * NR < f; q++) {
            int first = q * NR, real = Math.min(NR, f - first);
            System.arraycopy(b, first, paired, 2 * first, real);
            System.arraycopy(b, f + first, paired, 2 * first + NR, real);
        }
        return paired;
    }

    /** A strip is a half of a pair, so {@code from} is a multiple of NR. */
    @Override
    public void pack(MemorySegment dst, long off, int from, int count, int width, int k0, int kc) {
        int first = from / (2 * NR) * NR, half = from / NR % 2;
        w.pack(dst, off, half * f + first, Math.min(count, f - first), width, k0, kc);
    }

    @Override
    public boolean mapped() {
        return w.mapped();
    }

    /** Reads ahead the rows of W behind the paired columns {@code [from, from + count)}. */
    @Override
    public int touch(int from, int count, int k0, int kc) {
        int sum = 0;
        for (int j = from, end = from + count; j < end; ) {
            int inStrip = j % NR, run = Math.min(NR - inStrip, end - j), first = j / (2 * NR) * NR + inStrip;
            int real = Math.min(run, f - first);
            if (real > 0) sum += w.touch(j / NR % 2 * f + first, real, k0, kc);
            j += run;
        }
        return sum;
    }
}
