package refiner.engine.backend.cpu;

import static refiner.engine.backend.cpu.VectorMath.S;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import refiner.engine.tensor.Tensor;

/**
 * 3x3 convolutions of stride 1 and padding 1 by Winograd's minimal filtering F(2x2, 3x3) (Lavin
 * and Gray, "Fast Algorithms for Convolutional Neural Networks", 2016). Each 2x2 block of outputs
 * (a tile) is A^T [(G g G^T) . (B^T d B)] A, with d the 4x4 input patch around it and g the 3x3
 * filter; summed over the input channels, the 16 positions p of the 4x4 transformed tile become 16
 * independent products U_p[O, C] V_p[C, T] over the T tiles, run by {@link Gemm}: 16 multiply-adds
 * per tile and channel pair where the direct convolution needs 36, 2.25 times fewer. The
 * transforms only add, subtract and halve, so the result differs from the direct sum by rounding
 * alone (measured against the plain-loop oracle in the tests).
 *
 * <p>Steps: the filters are transformed once per call into U[16, O, C], laid out as {@link Gemm}
 * packs its A side; then, a chunk of tile rows at a time (to bound the scratch), the input is
 * transformed into V[16, C, Tc], stored strip by strip as the product reads its B side, the 16
 * products give M[16, O, Tc], and the output transform writes the 2x2 blocks and the bias into y. Both
 * data transforms run on whole vectors of tiles along a row: each input row is first split into
 * its even and odd columns, so tile tx reads columns 2tx - 1 .. 2tx + 2 as the lanes tx and tx + 1
 * of those halves, and the output's two columns per tile are interleaved back on the way out.
 * U and V with M (at most 512 and 64 MB) are kept between calls, grown to the largest
 * convolution's, until {@link #trim}: pooled by exact length, as activations are, every shape
 * would keep a set of its own (1.8 GB more peak RSS at 512 px). The transforms pass no vector
 * across a call: a helper the JIT leaves out of line boxes the vectors it takes or returns, and
 * that garbage (about 130 MB/s) made G1 expand its heap by 1.5 GB at 1024 px.
 */
final class Winograd {
    /** Positions of the transformed 4x4 tile. */
    private static final int P = 16;
    private static final int L = S.length();
    private static final int NR = Gemm.NR;
    /** Floats of V and M together per chunk of tile rows (64 MB). */
    private static final long CHUNK_FLOATS = 1L << 24;
    /**
     * Fewest tiles and channels for which the transforms pay off. Measured against the direct
     * convolution, side by side on two threads: 1536 channels over 32 tiles 0.46 times its speed,
     * over 128 tiles 0.83 (3072 in: 0.67), over 512 tiles 1.89; 384 to 2304 channels over 512 to
     * 2048 tiles 1.2 to 1.6; 128 channels over 256 x 256 and 512 x 512 pixels 1.11 and 1.40.
     */
    private static final int MIN_TILES = 512, MIN_CHANNELS = 128;
    /** Most floats of transformed filters (512 MB): every convolution of the SDXL UNet and VAE fits. */
    private static final long MAX_FILTER_FLOATS = 1L << 27;
    /** Lanes of the even, odd and interleaving selections, as {@code selectFrom} indexes over two vectors. */
    private static final FloatVector EVEN = indexes(0, 2);
    private static final FloatVector ODD = indexes(1, 2);
    private static final FloatVector LOW = interleave(0);
    private static final FloatVector HIGH = interleave(L / 2);
    /** The two patch rows that row i of B^T combines: row 0 - row 2, 1 + 2, 2 - 1, 1 - 3. */
    private static final int[] FIRST = {0, 1, 2, 1}, SECOND = {2, 2, 1, 3};
    private final WorkerPool pool;
    private final Gemm gemm;
    private final ThreadLocal<float[]> perThread = ThreadLocal.withInitial(() -> new float[0]);
    /** Scratch kept between calls, grown to the largest convolution's: U, and V followed by M. */
    private float[] uScratch = new float[0], vmScratch = new float[0];

    Winograd(WorkerPool pool, Gemm gemm) {
        this.pool = pool;
        this.gemm = gemm;
    }

    /** Whether a k x k convolution of this stride and padding over x[B, C, H, W] to O channels runs here. */
    static boolean suits(int k, int stride, int pad, int b, int c, int h, int w, int o) {
        return k == 3 && stride == 1 && pad == 1 && (long) b * ((h + 1) / 2) * ((w + 1) / 2) >= MIN_TILES
                && Math.min(c, o) >= MIN_CHANNELS && (long) P * Gemm.packedSize(o, c) <= MAX_FILTER_FLOATS
                && chunkFloats(c, o, 1, w) <= CHUNK_FLOATS;
    }

    /** Floats of V and M for a chunk of {@code rows} rows of tiles: rows padded to whole vectors, the chunk to whole strips, M's rows one vector more. */
    private static long chunkFloats(int c, int o, int rows, int w) {
        long n = ((long) rows * paddedRow(w) + NR - 1) / NR * NR;
        return P * (c * n + o * (n + L));
    }

    /** Tile rows per chunk for C input and O output channels over an image {@code w} wide. */
    private static int chunkRows(int c, int o, int w) {
        int rows = (int) Math.max(1, CHUNK_FLOATS / ((long) P * (c + o) * paddedRow(w)));
        while (rows > 1 && chunkFloats(c, o, rows, w) > CHUNK_FLOATS) rows--;
        return rows;
    }

    /** Tiles per tile row, rounded up to whole vectors. */
    private static int paddedRow(int w) {
        return ((w + 1) / 2 + L - 1) / L * L;
    }

    /** Drops the scratch; the next convolution allocates it again. */
    synchronized void trim() {
        uScratch = vmScratch = new float[0];
    }

    /**
     * y[b, o, oy, ox] = bias[o] + sum over c, ky, kx of w[o, c, ky, kx] x[b, c, oy + ky - 1, ox + kx - 1],
     * zero outside the image, for a convolution that {@link #suits}.
     */
    void conv(float[] x, Tensor w, float[] bias, float[] y, int b, int c, int h, int wd, int o) {
        conv(x, w, bias, y, b, c, h, wd, o, chunkRows(c, o, wd));
    }

    /** As above, {@code rowsPerChunk} rows of tiles at a time (the tests take small chunks). */
    synchronized void conv(float[] x, Tensor w, float[] bias, float[] y, int b, int c, int h, int wd, int o, int rowsPerChunk) {
        int th = (h + 1) / 2, tw = (wd + 1) / 2, twp = paddedRow(wd), rows = Math.min(rowsPerChunk, b * th);
        int n = (rows * twp + NR - 1) / NR * NR, ld = n + L, filter = Gemm.packedSize(o, c);
        long chunk = chunkFloats(c, o, rows, wd);
        if (P * (long) filter > MAX_FILTER_FLOATS || chunk > CHUNK_FLOATS) {
            throw new IllegalArgumentException("winograd: " + o + " x " + c + " filters over chunks of " + rows + " rows of an image " + wd + " wide exceed the scratch");
        }
        if (uScratch.length < P * filter) uScratch = new float[P * filter];
        if (vmScratch.length < chunk) vmScratch = new float[(int) chunk];
        float[] u = uScratch, vm = vmScratch;
        int mBase = P * c * n;  // V from float 0 of vm, M from mBase
        pool.range(o, 1, (o0, o1) -> filters(w, u, c, o, o0, o1, filter));
        for (int r0 = 0; r0 < b * th; r0 += rows) {
            int r1 = Math.min(b * th, r0 + rows), nc = ((r1 - r0) * twp + NR - 1) / NR * NR, first = r0;
            pool.range(c, 1, (c0, c1) -> {
                for (int ch = c0; ch < c1; ch++) input(x, vm, ch, c, h, wd, th, twp, first, r1, n);
            });
            for (int p = 0; p < P; p++) gemm.multiplyPacked(o, nc, c, u, p * filter, strips(vm, p * c * n, c), vm, mBase + p * o * ld, ld);
            pool.range(o, 1, (o0, o1) -> {
                for (int ch = o0; ch < o1; ch++) output(vm, mBase, y, bias, ch, o, h, wd, th, tw, twp, first, r1, ld);
            });
        }
    }

    /**
     * The B side of one position's product: V_p is stored strip by strip ([tiles / NR, C, NR] from
     * float {@code base} of {@code v}), so packing a strip's K slice is one contiguous copy.
     */
    private static Gemm.Packer strips(float[] v, int base, int c) {
        return (dst, off, from, count, width, k0, kc) -> MemorySegment.copy(v, base + from / NR * c * NR + k0 * NR, dst, Gemm.FLOAT, 4 * off, kc * NR);
    }

    /**
     * U_p = (G g G^T)[p] for the filters of output channels [o0, o1), packed as {@link Gemm} reads
     * A, {@code size} floats apart; G = [[1, 0, 0], [1/2, 1/2, 1/2], [1/2, -1/2, 1/2], [0, 0, 1]].
     */
    private void filters(Tensor w, float[] u, int c, int o, int o0, int o1, int size) {
        int stride = c + L;
        float[] g = scratch(9 * c + 9 * stride);
        for (int oc = o0; oc < o1; oc++) {
            HostTensors.read(w, (long) oc * c * 9, g, 0, 9 * c);
            // taps of all channels, tap by tap: g[9c + k * stride + ch] = w[oc, ch, k / 3, k % 3]
            for (int ch = 0; ch < c; ch++) {
                for (int k = 0; k < 9; k++) g[9 * c + k * stride + ch] = g[9 * ch + k];
            }
            for (int c0 = 0; c0 < c; c0 += L) {
                int to = Gemm.packedIndex(o, oc, c0);
                for (int i = 0; i < 4; i++) filterRow(g, 9 * c + c0, stride, i, u, i * 4 * size + to, size);
            }
        }
    }

    /**
     * Row i of G g G^T for L channels, the taps of channel c0 + lane from float {@code at} of
     * {@code g}, tap k {@code k * stride} floats on, stored {@code size} floats apart from {@code to}.
     * The row loads and stores its own vectors: only the few nodes of {@code gRow} take vectors
     * from it, so nothing is boxed if the JIT leaves the call to this method out of line.
     */
    private static void filterRow(float[] g, int at, int stride, int i, float[] u, int to, int size) {
        // row i of G applied down each column of taps: g[0][x], g[1][x], g[2][x] for x = 0, 1, 2
        FloatVector t0 = gRow(i, FloatVector.fromArray(S, g, at), FloatVector.fromArray(S, g, at + 3 * stride), FloatVector.fromArray(S, g, at + 6 * stride));
        FloatVector t1 = gRow(i, FloatVector.fromArray(S, g, at + stride), FloatVector.fromArray(S, g, at + 4 * stride), FloatVector.fromArray(S, g, at + 7 * stride));
        FloatVector t2 = gRow(i, FloatVector.fromArray(S, g, at + 2 * stride), FloatVector.fromArray(S, g, at + 5 * stride), FloatVector.fromArray(S, g, at + 8 * stride));
        t0.intoArray(u, to);
        t0.add(t1).add(t2).mul(0.5f).intoArray(u, to + size);
        t0.sub(t1).add(t2).mul(0.5f).intoArray(u, to + 2 * size);
        t2.intoArray(u, to + 3 * size);
    }

    /** Row i of G applied to (a, b, c). */
    private static FloatVector gRow(int i, FloatVector a, FloatVector b, FloatVector c) {
        return i == 0 ? a : i == 3 ? c : (i == 1 ? a.add(b) : a.sub(b)).add(c).mul(0.5f);
    }

    /**
     * V[p, ch, t] = (B^T d B)[p] for channel ch and the tiles of tile rows [r0, r1) (image r / th,
     * tile row r % th; tile t = (r - r0) twp + tx), with B^T = [[1, 0, -1, 0], [0, 1, 1, 0],
     * [0, -1, 1, 0], [0, 1, 0, -1]]; position p is {@code n} C floats on, tile t of a channel in
     * strip t / NR. The tiles past a row's end get the transform of zeros.
     */
    private void input(float[] x, float[] v, int ch, int c, int h, int wd, int th, int twp, int r0, int r1, int n) {
        int stride = twp + 1 + L, step = c * n;
        float[] s = scratch(8 * stride);
        for (int r = r0; r < r1; r++) {
            int image = r / th, ty = r % th;
            for (int i = 0; i < 4; i++) split(x, (image * c + ch) * h * wd, 2 * ty - 1 + i, h, wd, s, 2 * i * stride, (2 * i + 1) * stride, twp);
            for (int tx = 0; tx < twp; tx += L) {
                int t = (r - r0) * twp + tx, out = t / NR * c * NR + ch * NR + t % NR;
                for (int i = 0; i < 4; i++) inputRow(s, tx, stride, i, v, out + 4 * i * step, step);
            }
        }
    }

    /**
     * Row i of B^T d B for the L tiles from tx: rows (first, second) of the patch combined as row i
     * of B^T says (0 - 2, 1 + 2, 2 - 1, 1 - 3), each read at its split columns odd[tx], even[tx],
     * odd[tx + 1], even[tx + 1] (input row k's odd half at {@code 2k stride}, its even half one
     * stride on), then B^T along the row; stored {@code step} floats apart from {@code out}.
     */
    private static void inputRow(float[] s, int tx, int stride, int i, float[] v, int out, int step) {
        int a = 2 * FIRST[i] * stride + tx, b = 2 * SECOND[i] * stride + tx;
        boolean add = i == 1;
        FloatVector a0 = FloatVector.fromArray(S, s, a), b0 = FloatVector.fromArray(S, s, b);
        FloatVector a1 = FloatVector.fromArray(S, s, a + stride), b1 = FloatVector.fromArray(S, s, b + stride);
        FloatVector a2 = FloatVector.fromArray(S, s, a + 1), b2 = FloatVector.fromArray(S, s, b + 1);
        FloatVector a3 = FloatVector.fromArray(S, s, a + stride + 1), b3 = FloatVector.fromArray(S, s, b + stride + 1);
        FloatVector d0 = add ? a0.add(b0) : a0.sub(b0), d1 = add ? a1.add(b1) : a1.sub(b1);
        FloatVector d2 = add ? a2.add(b2) : a2.sub(b2), d3 = add ? a3.add(b3) : a3.sub(b3);
        d0.sub(d2).intoArray(v, out);
        d1.add(d2).intoArray(v, out + step);
        d2.sub(d1).intoArray(v, out + 2 * step);
        d1.sub(d3).intoArray(v, out + 3 * step);
    }

    /**
     * Input row iy of a plane split by columns: odd[t] = x[2t - 1] at {@code s[odd + t]} and
     * even[t] = x[2t] at {@code s[even + t]}, for t in [0, twp], zero outside the image.
     */
    private static void split(float[] x, int plane, int iy, int h, int wd, float[] s, int odd, int even, int twp) {
        int n = twp + 1;
        if (iy < 0 || iy >= h) {
            Arrays.fill(s, odd, odd + n, 0f);
            Arrays.fill(s, even, even + n, 0f);
            return;
        }
        int row = plane + iy * wd;
        s[odd] = 0f;
        int t = 0;
        for (; 2 * t + 2 * L <= wd; t += L) {
            FloatVector lo = FloatVector.fromArray(S, x, row + 2 * t), hi = FloatVector.fromArray(S, x, row + 2 * t + L);
            EVEN.selectFrom(lo, hi).intoArray(s, even + t);
            ODD.selectFrom(lo, hi).intoArray(s, odd + t + 1);
        }
        for (; t < n; t++) {
            s[even + t] = 2 * t < wd ? x[row + 2 * t] : 0f;
            if (t + 1 < n) s[odd + t + 1] = 2 * t + 1 < wd ? x[row + 2 * t + 1] : 0f;
        }
    }

    /**
     * y[image, ch, 2ty + a, 2tx + b] = bias[ch] + (A^T M A)[a, b] for the tiles of tile rows
     * [r0, r1), with A^T = [[1, 1, 1, 0], [0, 1, -1, -1]], within the image's bounds; M's rows
     * are {@code ld} floats from float {@code base}, position p {@code o} rows on.
     */
    private static void output(float[] m, int base, float[] y, float[] bias, int ch, int o, int h, int wd, int th, int tw, int twp, int r0, int r1, int ld) {
        float beta = bias == null ? 0f : bias[ch];
        for (int r = r0; r < r1; r++) {
            int image = r / th, ty = r % th, row = (image * o + ch) * h * wd + 2 * ty * wd;
            for (int tx = 0; tx < tw; tx += L) {
                int at = base + ch * ld + (r - r0) * twp + tx;
                outputRow(m, at, o * ld, 0, beta, y, row, 2 * tx, wd);
                if (2 * ty + 1 < h) outputRow(m, at, o * ld, 1, beta, y, row + wd, 2 * tx, wd);
            }
        }
    }

    /**
     * Output row a of the L tiles from float {@code at} of M (position p {@code step} floats on):
     * rows 0 + 1 + 2 (a = 0) or 1 - 2 - 3 (a = 1) of M, then the same along the row, plus the
     * bias; the tiles' two columns interleaved into y from column {@code col}, within the width.
     */
    private static void outputRow(float[] m, int at, int step, int a, float bias, float[] y, int row, int col, int wd) {
        FloatVector q0 = column(m, at, step, a), q1 = column(m, at + step, step, a);
        FloatVector q2 = column(m, at + 2 * step, step, a), q3 = column(m, at + 3 * step, step, a);
        FloatVector beta = FloatVector.broadcast(S, bias);
        FloatVector y0 = q0.add(q1).add(q2).add(beta), y1 = q1.sub(q2).sub(q3).add(beta);
        LOW.selectFrom(y0, y1).intoArray(y, row + col, S.indexInRange(col, wd));
        HIGH.selectFrom(y0, y1).intoArray(y, row + col + L, S.indexInRange(col + L, wd));
    }

    /** Row a of A^T down column j of M (M[i][j] at {@code at + 4 i step}). */
    private static FloatVector column(float[] m, int at, int step, int a) {
        FloatVector m1 = FloatVector.fromArray(S, m, at + 4 * step), m2 = FloatVector.fromArray(S, m, at + 8 * step);
        return a == 0 ? FloatVector.fromArray(S, m, at).add(m1).add(m2) : m1.sub(m2).sub(FloatVector.fromArray(S, m, at + 12 * step));
    }

    /** This thread's scratch of at least {@code n} floats. */
    private float[] scratch(int n) {
        float[] s = perThread.get();
        if (s.length < n) {
            s = new float[n];
            perThread.set(s);
        }
        return s;
    }

    /** Lane i holds {@code first + step * i}: lane indexes into the concatenation of two vectors. */
    private static FloatVector indexes(int first, int step) {
        float[] a = new float[L];
        for (int i = 0; i < L; i++) a[i] = first + step * i;
        return FloatVector.fromArray(S, a, 0);
    }

    /** Lanes (from, from + L + 0), (from + 1, from + L + 1), ...: two vectors' lanes from {@code from} interleaved. */
    private static FloatVector interleave(int from) {
        float[] a = new float[L];
        for (int i = 0; i < L; i++) a[i] = i % 2 == 0 ? from + i / 2 : L + from + i / 2;
        return FloatVector.fromArray(S, a, 0);
    }
}
