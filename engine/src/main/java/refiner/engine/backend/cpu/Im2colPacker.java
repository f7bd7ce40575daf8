package refiner.engine.backend.cpu;

import static refiner.engine.backend.cpu.VectorMath.S;

import static refiner.engine.backend.cpu.Gemm.FLOAT;
import static refiner.engine.backend.cpu.Gemm.ORDER;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

/**
 * The B side of a convolution as a product: B[(c, ky, kx), (b, oy, ox)] = x[b, c, oy*s - py + ky, ox*s - px + kx]
 * (zero outside the image, so also any padding below and right of it), gathered strip by strip
 * from x[B, C, H, W] while packing; column j is output pixel j % (OH * OW) of image j / (OH * OW),
 * counted from the image at {@code base}.
 *
 * <p>A strip's columns are first cut into runs along output rows, once per strip; then each k
 * (channel, ky, kx, stepped without division) copies every run. With stride 1 a run is a
 * contiguous piece of an input row, copied a vector at a time with the padding's lanes masked;
 * with stride 2 every other value of such a piece, a vector of them from two.
 */
final class Im2colPacker implements Gemm.Packer {
    private static final int L = S.length();
    /** Values kept per run of a strip, in a scratch array per thread. */
    private static final int RUN = 5;
    private static final ThreadLocal<int[]> RUNS = ThreadLocal.withInitial(() -> new int[RUN * Gemm.NR]);

    private final float[] x;
    private final int base, c, h, w, ks, stride, padY, padX, ow, pixels;

    Im2colPacker(float[] x, int base, int c, int h, int w, int ks, int stride, int padY, int padX, int oh, int ow) {
        this.x = x;
        this.base = base;
        this.c = c;
        this.pixels = oh * ow;
        this.h = h;
        this.w = w;
        this.ks = ks;
        this.stride = stride;
        this.padY = padY;
        this.padX = padX;
        this.ow = ow;
    }

    @Override
    public void pack(MemorySegment dst, long off, int from, int count, int width, int k0, int kc) {
        // runs along output rows, RUN values each: first column in the strip, length, image plane offset, oy, ox
        int[] run = RUNS.get();
        if (run.length < RUN * count) {
            run = new int[RUN * count];
            RUNS.set(run);
        }
        int runs = 0;
        for (int i = 0; i < count; runs++) {
            int col = from + i, p = col % pixels, ox = p % ow, r = RUN * runs;
            run[r] = i;
            run[r + 1] = Math.min(count - i, ow - ox);
            run[r + 2] = base + col / pixels * c * h * w;
            run[r + 3] = p / ow;
            run[r + 4] = ox;
            i += run[r + 1];
        }
        int kk2 = ks * ks, channel = k0 / kk2, ky = k0 % kk2 / ks, kx = k0 % ks;
        for (int kk = 0; kk < kc; kk++) {
            long d = off + (long) kk * width;
            int plane = channel * h * w;
            for (int r = 0; r < RUN * runs; r += RUN) {
                int iy = run[r + 3] * stride - padY + ky, n = run[r + 1], ox = run[r + 4];
                long di = d + run[r];
                if (iy < 0 || iy >= h) {
                    for (int t = 0; t < n; t++) dst.setAtIndex(FLOAT, di + t, 0f);
                } else if (stride == 1) {
                    copyRow(dst, di, run[r + 2] + plane + iy * w, ox - padX + kx, n);
                } else if (stride == 2) {
                    copyEvenColumns(dst, di, run[r + 2] + plane + iy * w, 2 * ox - padX + kx, n);
                } else {
                    int row = run[r + 2] + plane + iy * w;
                    for (int t = 0; t < n; t++) {
                        int ix = (ox + t) * stride - padX + kx;
                        dst.setAtIndex(FLOAT, di + t, ix >= 0 && ix < w ? x[row + ix] : 0f);
                    }
                }
            }
            for (int i = count; i < width; i++) dst.setAtIndex(FLOAT, d + i, 0f);
            if (++kx == ks) {
                kx = 0;
                if (++ky == ks) {
                    ky = 0;
                    channel++;
                }
            }
        }
    }

    /**
     * Float di + t of dst = row[ix0 + 2t] for t < n, zero where ix0 + 2t falls outside [0, w):
     * two vectors of the row at a time, their even lanes selected (a gather of every other value
     * one at a time took most of a stride-2 convolution's time).
     */
    private void copyEvenColumns(MemorySegment dst, long di, int row, int ix0, int n) {
        int lo = Math.clamp((1 - ix0) / 2, 0, n), hi = Math.clamp((w - ix0 + 1) / 2, lo, n);
        for (int t = 0; t < lo; t++) dst.setAtIndex(FLOAT, di + t, 0f);
        int t = lo;
        for (int end = x.length - row - ix0 - 2 * L; t + L <= hi && 2 * t <= end; t += L) {
            FloatVector a = FloatVector.fromArray(S, x, row + ix0 + 2 * t), b = FloatVector.fromArray(S, x, row + ix0 + 2 * t + L);
            Winograd.EVEN.selectFrom(a, b).intoMemorySegment(dst, 4 * (di + t), ORDER);
        }
        for (; t < hi; t++) dst.setAtIndex(FLOAT, di + t, x[row + ix0 + 2 * t]);
        for (t = hi; t < n; t++) dst.setAtIndex(FLOAT, di + t, 0f);
    }

    /** Float di + t of dst = row[ix0 + t] for t < n, zero where ix0 + t falls outside [0, w). */
    private void copyRow(MemorySegment dst, long di, int row, int ix0, int n) {
        int lo = Math.clamp(-ix0, 0, n), hi = Math.clamp(w - ix0, lo, n);
        for (int t = 0; t < lo; t++) dst.setAtIndex(FLOAT, di + t, 0f);
        int t = lo;
        for (; t + L <= hi; t += L) FloatVector.fromArray(S, x, row + ix0 + t).intoMemorySegment(dst, 4 * (di + t), ORDER);
        if (t < hi) {
            VectorMask<Float> m = S.indexInRange(0, hi - t);
            FloatVector.fromArray(S, x, row + ix0 + t, m).intoMemorySegment(dst, 4 * (di + t), ORDER, m);
        }
        for (t = hi; t < n; t++) dst.setAtIndex(FLOAT, di + t, 0f);
    }
}
