package refiner.engine.backend.cpu;

import static refiner.engine.backend.cpu.VectorMath.S;

import java.util.Arrays;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import refiner.engine.backend.Backend;
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
 * <p>Steps: the filters are transformed once per call into U[16, O, C]; then, a chunk of tile rows
 * at a time (to bound the scratch), the input is transformed into V[16, C, Tc], the 16 products
 * give M[16, O, Tc], and the output transform writes the 2x2 blocks and the bias into y. Both
 * data transforms run on whole vectors of tiles along a row: each input row is first split into
 * its even and odd columns, so tile tx reads columns 2tx - 1 .. 2tx + 2 as the lanes tx and tx + 1
 * of those halves, and the output's two columns per tile are interleaved back on the way out.
 */
final class Winograd {
    /** Positions of the transformed 4x4 tile. */
    static final int P = 16;
    private static final int L = S.length();
    private static final int NR = Gemm.NR;
    /** Floats of V and M together per chunk of tile rows (128 MB). */
    private static final long CHUNK_FLOATS = 1L << 25;
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
    private final WorkerPool pool;
    private final Gemm gemm;
    private final ThreadLocal<float[]> rows = ThreadLocal.withInitial(() -> new float[0]);

    Winograd(WorkerPool pool, Gemm gemm) {
        this.pool = pool;
        this.gemm = gemm;
    }

    /** Whether a k x k convolution of this stride and padding over x[B, C, H, W] to O channels runs here. */
    static boolean suits(int k, int stride, int pad, int b, int c, int h, int w, int o) {
        return k == 3 && stride == 1 && pad == 1 && (long) b * ((h + 1) / 2) * ((w + 1) / 2) >= MIN_TILES
                && Math.min(c, o) >= MIN_CHANNELS && (long) P * o * c <= MAX_FILTER_FLOATS;
    }

    /** Tile rows per chunk for C input and O output channels over an image {@code w} wide. */
    static int chunkRows(int c, int o, int w) {
        return (int) Math.max(1, CHUNK_FLOATS / ((long) P * (c + o) * paddedRow(w)));
    }

    /** Tiles per tile row, rounded up to whole vectors. */
    private static int paddedRow(int w) {
        return ((w + 1) / 2 + L - 1) / L * L;
    }

    /**
     * y[b, o, oy, ox] = bias[o] + sum over c, ky, kx of w[o, c, ky, kx] x[b, c, oy + ky - 1, ox + kx - 1],
     * zero outside the image, {@code rowsPerChunk} rows of tiles at a time, with its scratch from
     * {@code scratch}.
     */
    void conv(float[] x, Tensor w, float[] bias, float[] y, int b, int c, int h, int wd, int o, int rowsPerChunk, Backend scratch) {
        int th = (h + 1) / 2, tw = (wd + 1) / 2, twp = paddedRow(wd), rows = Math.min(rowsPerChunk, b * th);
        int n = (rows * twp + NR - 1) / NR * NR, ld = n + L, filter = Gemm.packedSize(o, c);
        try (Tensor ut = scratch.allocate(P, filter); Tensor vt = scratch.allocate(P, c, n); Tensor mt = scratch.allocate(P, o, ld)) {
            float[] u = HostTensors.array(ut), v = HostTensors.array(vt), m = HostTensors.array(mt);
            pool.range(o, 1, (o0, o1) -> filters(w, u, c, o, o0, o1, filter));
            for (int r0 = 0; r0 < b * th; r0 += rows) {
                int r1 = Math.min(b * th, r0 + rows), nc = ((r1 - r0) * twp + NR - 1) / NR * NR, first = r0;
                pool.range(c, 1, (c0, c1) -> {
                    for (int ch = c0; ch < c1; ch++) input(x, v, ch, c, h, wd, th, twp, first, r1, n);
                });
                for (int p = 0; p < P; p++) gemm.multiplyPacked(o, nc, c, u, p * filter, strips(v, p * c * n, c), m, p * o * ld, ld);
                pool.range(o, 1, (o0, o1) -> {
                    for (int ch = o0; ch < o1; ch++) output(m, y, bias, ch, o, h, wd, th, tw, twp, first, r1, ld);
                });
            }
        }
    }

    /**
     * The B side of one position's product: V_p is stored strip by strip ([tiles / NR, C, NR] from
     * float {@code base} of {@code v}), so packing a strip's K slice is one contiguous copy.
     */
    private static Gemm.Packer strips(float[] v, int base, int c) {
        return (dst, off, from, count, width, k0, kc) -> MemorySegment.copy(v, base + from / NR * c * NR + k0 * NR, dst, Gemm.FLOAT, 4 * off, kc * NR);
    }

    /** U_p = (G g G^T)[p] for the filters of output channels [o0, o1), packed as {@link Gemm} reads A, {@code size} floats apart. */
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
                int at = 9 * c + c0, to = Gemm.packedIndex(o, oc, c0);
                FloatVector g00 = tap(g, at), g01 = tap(g, at + stride), g02 = tap(g, at + 2 * stride);
                FloatVector g10 = tap(g, at + 3 * stride), g11 = tap(g, at + 4 * stride), g12 = tap(g, at + 5 * stride);
                FloatVector g20 = tap(g, at + 6 * stride), g21 = tap(g, at + 7 * stride), g22 = tap(g, at + 8 * stride);
                for (int i = 0; i < 4; i++) {
                    FloatVector t0 = combine(i, g00, g10, g20), t1 = combine(i, g01, g11, g21), t2 = combine(i, g02, g12, g22);
                    for (int j = 0; j < 4; j++) combine(j, t0, t1, t2).intoArray(u, (4 * i + j) * size + to);
                }
            }
        }
    }

    private static FloatVector tap(float[] g, int at) {
        return FloatVector.fromArray(S, g, at);
    }

    /** Row i of G = [[1, 0, 0], [1/2, 1/2, 1/2], [1/2, -1/2, 1/2], [0, 0, 1]] applied to (a, b, c). */
    private static FloatVector combine(int i, FloatVector a, FloatVector b, FloatVector c) {
        return switch (i) {
            case 0 -> a;
            case 1 -> a.add(b).add(c).mul(0.5f);
            case 2 -> a.sub(b).add(c).mul(0.5f);
            default -> c;
        };
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
                // column j of the L tiles' patches, rows 0..3: odd[tx], even[tx], odd[tx + 1], even[tx + 1] of each input row
                int a = tx, b = stride + tx, s1 = 2 * stride;
                FloatVector d00 = at(s, a), d01 = at(s, b), d02 = at(s, a + 1), d03 = at(s, b + 1);
                FloatVector d10 = at(s, a + s1), d11 = at(s, b + s1), d12 = at(s, a + s1 + 1), d13 = at(s, b + s1 + 1);
                FloatVector d20 = at(s, a + 2 * s1), d21 = at(s, b + 2 * s1), d22 = at(s, a + 2 * s1 + 1), d23 = at(s, b + 2 * s1 + 1);
                FloatVector d30 = at(s, a + 3 * s1), d31 = at(s, b + 3 * s1), d32 = at(s, a + 3 * s1 + 1), d33 = at(s, b + 3 * s1 + 1);
                int t = (r - r0) * twp + tx, out = t / NR * c * NR + ch * NR + t % NR;
                transform(d00.sub(d20), d01.sub(d21), d02.sub(d22), d03.sub(d23), v, out, step);
                transform(d10.add(d20), d11.add(d21), d12.add(d22), d13.add(d23), v, out + 4 * step, step);
                transform(d20.sub(d10), d21.sub(d11), d22.sub(d12), d23.sub(d13), v, out + 8 * step, step);
                transform(d10.sub(d30), d11.sub(d31), d12.sub(d32), d13.sub(d33), v, out + 12 * step, step);
            }
        }
    }

    private static FloatVector at(float[] s, int i) {
        return FloatVector.fromArray(S, s, i);
    }

    /** B^T (a, b, c, d) = (a - c, b + c, c - b, b - d), stored {@code step} floats apart from {@code at}. */
    private static void transform(FloatVector a, FloatVector b, FloatVector c, FloatVector d, float[] v, int at, int step) {
        a.sub(c).intoArray(v, at);
        b.add(c).intoArray(v, at + step);
        c.sub(b).intoArray(v, at + 2 * step);
        b.sub(d).intoArray(v, at + 3 * step);
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
     * are {@code ld} floats, position p {@code o} rows on.
     */
    private static void output(float[] m, float[] y, float[] bias, int ch, int o, int h, int wd, int th, int tw, int twp, int r0, int r1, int ld) {
        FloatVector beta = FloatVector.broadcast(S, bias == null ? 0f : bias[ch]);
        int step = o * ld;
        for (int r = r0; r < r1; r++) {
            int image = r / th, ty = r % th, plane = (image * o + ch) * h * wd;
            for (int tx = 0; tx < tw; tx += L) {
                int at = ch * ld + (r - r0) * twp + tx;
                // (M A) row by row: m_i0 + m_i1 + m_i2 and m_i1 - m_i2 - m_i3
                FloatVector h00 = sum(m, at, step), h01 = difference(m, at, step);
                FloatVector h10 = sum(m, at + 4 * step, step), h11 = difference(m, at + 4 * step, step);
                FloatVector h20 = sum(m, at + 8 * step, step), h21 = difference(m, at + 8 * step, step);
                FloatVector h30 = sum(m, at + 12 * step, step), h31 = difference(m, at + 12 * step, step);
                int row = plane + 2 * ty * wd, col = 2 * tx;
                store(h00.add(h10).add(h20).add(beta), h01.add(h11).add(h21).add(beta), y, row, col, wd);
                if (2 * ty + 1 < h) store(h10.sub(h20).sub(h30).add(beta), h11.sub(h21).sub(h31).add(beta), y, row + wd, col, wd);
            }
        }
    }

    /** m[at] + m[at + step] + m[at + 2 step]. */
    private static FloatVector sum(float[] m, int at, int step) {
        return at(m, at).add(at(m, at + step)).add(at(m, at + 2 * step));
    }

    /** m[at + step] - m[at + 2 step] - m[at + 3 step]. */
    private static FloatVector difference(float[] m, int at, int step) {
        return at(m, at + step).sub(at(m, at + 2 * step)).sub(at(m, at + 3 * step));
    }

    /** Columns col, col + 1, ... of an output row from the tiles' left (y0) and right (y1) values, interleaved, within the width. */
    private static void store(FloatVector y0, FloatVector y1, float[] y, int row, int col, int wd) {
        LOW.selectFrom(y0, y1).intoArray(y, row + col, S.indexInRange(col, wd));
        HIGH.selectFrom(y0, y1).intoArray(y, row + col + L, S.indexInRange(col + L, wd));
    }

    /** This thread's scratch of at least {@code n} floats. */
    private float[] scratch(int n) {
        float[] s = rows.get();
        if (s.length < n) {
            s = new float[n];
            rows.set(s);
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
