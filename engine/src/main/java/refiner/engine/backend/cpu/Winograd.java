package refiner.engine.backend.cpu;

import static refiner.engine.backend.cpu.VectorMath.S;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import refiner.engine.tensor.Tensor;

/**
 * 3x3 convolutions of stride 1 and padding 1 by Winograd's minimal filtering F(m x m, 3 x 3)
 * (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", 2016), m = 4 or 2 (see
 * {@link WinogradTiling}). Each m x m block of outputs (a tile) is A^T [(G g G^T) . (B^T d B)] A,
 * with d the n x n input patch around it (n = m + 2) and g the 3x3 filter; summed over the input
 * channels, the n^2 positions p of the transformed tile become independent products
 * U_p[O, C] V_p[C, T] over the T tiles, run by {@link Gemm}: n^2 / m^2 multiply-adds per output
 * and channel pair where the direct convolution needs 9 (4 for F(2x2), 2.25 for F(4x4)).
 *
 * <p>Steps: the filters are transformed once per call into U[n^2, O, C], laid out as {@link Gemm}
 * packs its A side; then, a chunk of tile rows at a time (to bound the scratch), the input is
 * transformed into V[n^2, C, Tc], stored strip by strip as the product reads its B side, the n^2
 * products give M[n^2, O, Tc], and the output transform writes the m x m blocks and the bias into
 * y. Both data transforms run on vectors of consecutive tiles along a row: each input row is
 * split into its m phases (columns q, q + m, ...) with {@code selectFrom} over two vectors, so
 * that column j of L consecutive tiles is a plain vector of phase j % m, and the m columns of
 * each output row are interleaved back the same way. The transforms apply their tables row by
 * row as chains of multiply-adds over all n inputs, zeros included: branching on the coefficients
 * (and looping over a variable stride, which keeps a bounds check per load) took 2.4 to 2.6
 * times as long.
 * U and V with M (at most 512 and 64 MB) are kept between calls, grown to the largest
 * convolution's, until {@link #trim}: pooled by exact length, as activations are, every shape
 * would keep a set of its own (1.8 GB more peak RSS at 512 px). The transforms pass no vector
 * across a call: a helper the JIT leaves out of line boxes the vectors it takes or returns, and
 * that garbage (about 130 MB/s) made G1 expand its heap by 1.5 GB at 1024 px.
 */
final class Winograd {
    private static final int L = S.length();
    private static final int NR = Gemm.NR;
    /** Floats of V and M together per chunk of tile rows (64 MB). */
    private static final long CHUNK_FLOATS = 1L << 24;
    /** Fewest input and output channels for which the transforms pay off (see {@link WinogradTiling#minTiles} for the tiles). */
    private static final int MIN_CHANNELS = 128;
    /** The tilings in the order they are tried: the one with fewer products first. */
    private static final WinogradTiling[] TILINGS = {WinogradTiling.F4, WinogradTiling.F2};
    /** Most floats of transformed filters (512 MB): every convolution of the SDXL UNet and VAE fits one of the tilings. */
    private static final long MAX_FILTER_FLOATS = 1L << 27;
    /** Lanes of the even, odd and interleaving selections, as {@code selectFrom} indexes over two vectors. */
    static final FloatVector EVEN = indexes(0, 2);
    private static final FloatVector ODD = indexes(1, 2);
    private static final FloatVector LOW = interleave(0);
    private static final FloatVector HIGH = interleave(L / 2);
    /** Lane l of a vector from lane (l + 1) / 2: a row doubled from an odd column. */
    private static final VectorShuffle<Float> TWICE_FROM_ODD = VectorShuffle.fromOp(S, l -> (l + 1) / 2);
    private final WorkerPool pool;
    private final Gemm gemm;
    private final ThreadLocal<float[]> perThread = ThreadLocal.withInitial(() -> new float[0]);
    /** Scratch kept between calls, grown to the largest convolution's: U, and V followed by M. */
    private float[] uScratch = new float[0], vmScratch = new float[0];

    Winograd(WorkerPool pool, Gemm gemm) {
        this.pool = pool;
        this.gemm = gemm;
    }

    /**
     * How a k x k convolution of this stride and padding over x[B, C, H, W] to O channels runs
     * here: the larger tiling with enough tiles whose scratch fits, F(4x4) before F(2x2), or null
     * where none does (or the convolution is not 3x3 of stride 1 and padding 1).
     */
    static WinogradTiling tiling(int k, int stride, int pad, int b, int c, int h, int w, int o) {
        if (k != 3 || stride != 1 || pad != 1 || Math.min(c, o) < MIN_CHANNELS) return null;
        for (WinogradTiling t : TILINGS) {
            int m = t.m();
            if ((long) b * ((h + m - 1) / m) * ((w + m - 1) / m) >= t.minTiles()
                    && (long) t.positions() * Gemm.packedSize(o, c) <= MAX_FILTER_FLOATS
                    && chunkFloats(t, c, o, 1, w) <= CHUNK_FLOATS) {
                return t;
            }
        }
        return null;
    }

    /** Floats of V and M for a chunk of {@code rows} rows of tiles: rows padded to whole vectors, the chunk to whole strips, M's rows one vector more. */
    private static long chunkFloats(WinogradTiling t, int c, int o, int rows, int w) {
        long n = ((long) rows * paddedRow(t, w) + NR - 1) / NR * NR;
        return t.positions() * (c * n + o * (n + L));
    }

    /** Tile rows per chunk for C input and O output channels over an image {@code w} wide. */
    private static int chunkRows(WinogradTiling t, int c, int o, int w) {
        int rows = (int) Math.max(1, CHUNK_FLOATS / ((long) t.positions() * (c + o) * paddedRow(t, w)));
        while (rows > 1 && chunkFloats(t, c, o, rows, w) > CHUNK_FLOATS) rows--;
        return rows;
    }

    /** Tiles per tile row, rounded up to whole vectors. */
    private static int paddedRow(WinogradTiling t, int w) {
        return ((w + t.m() - 1) / t.m() + L - 1) / L * L;
    }

    /** Drops the scratch; the next convolution allocates it again. */
    synchronized void trim() {
        uScratch = vmScratch = new float[0];
    }

    /**
     * y[b, o, oy, ox] = bias[o] + sum over c, ky, kx of w[o, c, ky, kx] x[b, c, oy + ky - 1, ox + kx - 1],
     * zero outside the image, by the tiling {@link #tiling} chose for it; plus
     * {@code residual[b, o, oy, ox]} unless that is null.
     */
    void conv(float[] x, Tensor w, float[] bias, float[] residual, float[] y, int b, int c, int h, int wd, int o, WinogradTiling t) {
        conv(x, w, bias, residual, y, b, c, h, wd, o, t, chunkRows(t, c, o, wd), false);
    }

    /**
     * As above, over the nearest 2x upsampling of x[B, C, H / 2, W / 2] (H and W even): the input
     * transform reads each source pixel twice, so the upsampled image never exists.
     */
    void convUpsampled(float[] x, Tensor w, float[] bias, float[] y, int b, int c, int h, int wd, int o, WinogradTiling t) {
        conv(x, w, bias, null, y, b, c, h, wd, o, t, chunkRows(t, c, o, wd), true);
    }

    /** As above, by tiling {@code t}, {@code rowsPerChunk} rows of tiles at a time (the tests choose both). */
    synchronized void conv(float[] x, Tensor w, float[] bias, float[] residual, float[] y, int b, int c, int h, int wd, int o, WinogradTiling t,
                           int rowsPerChunk, boolean upsampled) {
        int m = t.m(), positions = t.positions(), th = (h + m - 1) / m, tw = (wd + m - 1) / m, twp = paddedRow(t, wd);
        int rows = Math.min(rowsPerChunk, b * th), n = (rows * twp + NR - 1) / NR * NR, ld = n + L, filter = Gemm.packedSize(o, c);
        long chunk = chunkFloats(t, c, o, rows, wd);
        if (positions * (long) filter > MAX_FILTER_FLOATS || chunk > CHUNK_FLOATS) {
            throw new IllegalArgumentException("winograd: " + o + " x " + c + " filters over chunks of " + rows + " rows of an image " + wd + " wide exceed the scratch");
        }
        if (uScratch.length < positions * filter) uScratch = new float[positions * filter];
        if (vmScratch.length < chunk) vmScratch = new float[(int) chunk];
        float[] u = uScratch, vm = vmScratch;
        int mBase = positions * c * n;  // V from float 0 of vm, M from mBase
        pool.range(o, 1, (o0, o1) -> filters(t, w, u, c, o, o0, o1, filter));
        for (int r0 = 0; r0 < b * th; r0 += rows) {
            int r1 = Math.min(b * th, r0 + rows), nc = ((r1 - r0) * twp + NR - 1) / NR * NR, first = r0;
            int vectors = twp / L;
            pool.range((r1 - r0) * vectors, 1, (v0, v1) -> {
                for (int tv = v0; tv < v1; tv++) {
                    for (int ch = 0; ch < c; ch++) input(t, x, upsampled, vm, ch, c, h, wd, th, twp, first, first + tv / vectors, tv % vectors * L, n);
                }
            });
            for (int p = 0; p < positions; p++) gemm.multiplyPacked(o, nc, c, u, p * filter, strips(vm, p * c * n, c), vm, mBase + p * o * ld, ld);
            pool.range(o, 1, (o0, o1) -> {
                for (int ch = o0; ch < o1; ch++) output(t, vm, mBase, y, bias, residual, ch, o, h, wd, th, tw, twp, first, r1, ld);
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
     * U_p = (G g G^T)[p] for the filters of output channels [o0, o1), L input channels at a time,
     * packed as {@link Gemm} reads A, {@code size} floats apart.
     */
    private void filters(WinogradTiling t, Tensor w, float[] u, int c, int o, int o0, int o1, int size) {
        int n = t.n(), stride = c + L, taps = 9 * c, half = taps + 9 * stride;
        float[] g = scratch(half + 3 * n * L);
        for (int oc = o0; oc < o1; oc++) {
            HostTensors.read(w, (long) oc * c * 9, g, 0, taps);
            // taps of all channels, tap by tap: g[taps + k * stride + ch] = w[oc, ch, k / 3, k % 3]
            for (int ch = 0; ch < c; ch++) {
                for (int k = 0; k < 9; k++) g[taps + k * stride + ch] = g[9 * ch + k];
            }
            for (int c0 = 0; c0 < c; c0 += L) {
                int to = Gemm.packedIndex(o, oc, c0);
                // (G g)[i][x] at g[half + (3i + x) L], then row i of that times G^T
                for (int x = 0; x < 3; x++) apply(t.g(), n, 3, g, taps + c0 + x * stride, 3 * stride, 0f, g, half + x * L, 3 * L);
                for (int i = 0; i < n; i++) apply(t.g(), n, 3, g, half + 3 * i * L, L, 0f, u, i * n * size + to, size);
            }
        }
    }

    /**
     * V[p, ch, t] = (B^T d B)[p] for channel ch and the L tiles from tx of tile row r (image r / th,
     * tile row r % th; tile t = (r - r0) twp + tx of the chunk from tile row r0); position p is
     * {@code cols} C floats on, tile t of a channel in strip t / NR. The tiles past a row's end get
     * the transform of zeros. The channels of a vector of tiles run one after another, so each
     * position's stores advance through one strip. With {@code upsampled}, x holds the image at
     * half the size, each of its pixels read for a 2 x 2 block.
     */
    private void input(WinogradTiling t, float[] x, boolean upsampled, float[] v, int ch, int c, int h, int wd, int th, int twp, int r0, int r,
                       int tx, int cols) {
        int m = t.m(), n = t.n(), width = 2 * m * L, phase = 2 * L, step = c * cols, image = r / th, ty = r % th;
        int phases = width, tmp = phases + n * m * phase, e = tmp + 4 * L;
        float[] s = scratch(e + n * n * L);
        // patch row i is image row m ty - 1 + i; its columns m (tx + k) - 1 + j, for the 2 L values of k
        // from 0, split by j % m: phase q of row i at s[phases + (i m + q) phase + k]
        int x0 = m * tx - 1, from = Math.max(0, x0), to = Math.min(wd, x0 + width);
        for (int i = 0; i < n; i++) {
            int iy = m * ty - 1 + i;
            Arrays.fill(s, 0, width, 0f);
            if (iy >= 0 && iy < h && from < to) {
                if (upsampled) {
                    doubled(x, ((image * c + ch) * (h / 2) + iy / 2) * (wd / 2), from, to, s, from - x0);
                } else {
                    System.arraycopy(x, ((image * c + ch) * h + iy) * wd + from, s, from - x0, to - from);
                }
            }
            for (int at = 0; at < width; at += m * L) split(s, at, m, s, phases + i * m * phase + at / m, phase, tmp);
        }
        // (B^T d)[a][j] at s[e + (a n + j) L], column j of the patches being phase j % m from k = j / m
        for (int j = 0; j < n; j++) apply(t.bt(), n, n, s, phases + j % m * phase + j / m, m * phase, 0f, s, e + j * L, n * L);
        int tile = (r - r0) * twp + tx, out = tile / NR * c * NR + ch * NR + tile % NR;
        for (int a = 0; a < n; a++) apply(t.bt(), n, n, s, e + a * n * L, L, 0f, v, out + a * n * step, step);
    }

    /**
     * y[image, ch, m ty + a, m tx + b] = bias[ch] + (A^T M A)[a, b] (then + the residual at the
     * same place, unless it is null) for the tiles of tile rows [r0, r1), within the image's
     * bounds; M's rows are {@code ld} floats from float {@code base}, position p {@code o} rows on.
     */
    private void output(WinogradTiling t, float[] mm, int base, float[] y, float[] bias, float[] residual, int ch, int o, int h, int wd, int th,
                        int tw, int twp, int r0, int r1, int ld) {
        int m = t.m(), n = t.n(), width = m * twp, f = m * width, q = f + m * n * L, step = o * ld;
        float beta = bias == null ? 0f : bias[ch];
        float[] s = scratch(q + 2 * m * L);
        for (int r = r0; r < r1; r++) {
            int image = r / th, ty = r % th;
            for (int tx = 0; tx < tw; tx += L) {
                int at = base + ch * ld + (r - r0) * twp + tx;
                // (A^T M)[a][j] at s[f + (a n + j) L]; output row a's column b of the tiles at
                // s[q + b L], interleaved into s[a width + m tx ...]
                for (int j = 0; j < n; j++) apply(t.at(), m, n, mm, at + j * step, n * step, 0f, s, f + j * L, n * L);
                for (int a = 0; a < m; a++) {
                    apply(t.at(), m, n, s, f + a * n * L, L, beta, s, q, L);
                    merge(s, q, m, q + m * L, s, a * width + m * tx);
                }
            }
            for (int a = 0; a < m && m * ty + a < h; a++) {
                int at = ((image * o + ch) * h + m * ty + a) * wd;
                System.arraycopy(s, a * width, y, at, wd);
                if (residual != null) Elementwise.addInto(y, residual, at, wd);
            }
        }
    }

    /**
     * dst[at + j - from] = src[row + j / 2] for j in [from, to): columns of a row of the nearest
     * 2x upsampling of the row at {@code src[row]}, each vector of them one source vector
     * permuted (lane l takes source lane l / 2, or (l + 1) / 2 from an odd column).
     */
    private static void doubled(float[] src, int row, int from, int to, float[] dst, int at) {
        VectorShuffle<Float> twice = from % 2 == 0 ? Layout.LOWER_TWICE : TWICE_FROM_ODD;
        int j = from;
        for (; j + L <= to && row + j / 2 + L <= src.length; j += L, at += L) {
            FloatVector.fromArray(S, src, row + j / 2).rearrange(twice).intoArray(dst, at);
        }
        for (; j < to; j++) dst[at++] = src[row + j / 2];
    }

    /**
     * Phase q of the m L floats from {@code src[from]} (elements q, q + m, ...) to
     * {@code dst[to + q stride]}, for m = 2 or 4: even and odd lanes taken apart once or twice
     * (through four vectors of scratch at {@code tmp} for m = 4).
     */
    private static void split(float[] src, int from, int m, float[] dst, int to, int stride, int tmp) {
        if (m == 2) {
            unzip(src, from, from + L, dst, to, to + stride);
            return;
        }
        unzip(src, from, from + L, dst, tmp, tmp + 2 * L);
        unzip(src, from + 2 * L, from + 3 * L, dst, tmp + L, tmp + 3 * L);
        unzip(dst, tmp, tmp + L, dst, to, to + 2 * stride);
        unzip(dst, tmp + 2 * L, tmp + 3 * L, dst, to + stride, to + 3 * stride);
    }

    /**
     * The inverse of {@link #split}: y[k m + b] = (vector b from {@code src[from]})[k] to the m L
     * floats from {@code dst[to]} (through m vectors of scratch at {@code src[tmp]} for m = 4).
     */
    private static void merge(float[] src, int from, int m, int tmp, float[] dst, int to) {
        if (m == 2) {
            zip(src, from, from + L, dst, to);
            return;
        }
        zip(src, from, from + 2 * L, src, tmp);
        zip(src, from + L, from + 3 * L, src, tmp + 2 * L);
        zip(src, tmp, tmp + 2 * L, dst, to);
        zip(src, tmp + L, tmp + 3 * L, dst, to + 2 * L);
    }

    /** The even and odd lanes of the two vectors at {@code src[a]} and {@code src[b]} to {@code dst[even]} and {@code dst[odd]}. */
    private static void unzip(float[] src, int a, int b, float[] dst, int even, int odd) {
        FloatVector lo = FloatVector.fromArray(S, src, a), hi = FloatVector.fromArray(S, src, b);
        EVEN.selectFrom(lo, hi).intoArray(dst, even);
        ODD.selectFrom(lo, hi).intoArray(dst, odd);
    }

    /** The lanes of the vectors at {@code src[a]} and {@code src[b]} interleaved into the two vectors from {@code dst[to]}. */
    private static void zip(float[] src, int a, int b, float[] dst, int to) {
        FloatVector lo = FloatVector.fromArray(S, src, a), hi = FloatVector.fromArray(S, src, b);
        LOW.selectFrom(lo, hi).intoArray(dst, to);
        HIGH.selectFrom(lo, hi).intoArray(dst, to + L);
    }

    /**
     * dst[to + r dstStride + lane] = start + sum over i < n of table[r n + i] src[from + i stride + lane],
     * for the {@code rows} rows r of a table n wide, n = 3, 4 or 6: the n inputs are loaded once and
     * each row is a chain of n multiply-adds (zeros included), with no branch on the coefficients.
     */
    private static void apply(float[] table, int rows, int n, float[] src, int from, int stride, float start, float[] dst, int to, int dstStride) {
        FloatVector s0 = FloatVector.fromArray(S, src, from), s1 = FloatVector.fromArray(S, src, from + stride);
        FloatVector s2 = FloatVector.fromArray(S, src, from + 2 * stride), zero = FloatVector.zero(S);
        FloatVector s3 = n > 3 ? FloatVector.fromArray(S, src, from + 3 * stride) : zero;
        FloatVector s4 = n > 4 ? FloatVector.fromArray(S, src, from + 4 * stride) : zero;
        FloatVector s5 = n > 4 ? FloatVector.fromArray(S, src, from + 5 * stride) : zero;
        FloatVector base = FloatVector.broadcast(S, start);
        for (int r = 0; r < rows; r++) {
            int k = r * n;
            FloatVector acc = s0.fma(FloatVector.broadcast(S, table[k]), base);
            acc = s1.fma(FloatVector.broadcast(S, table[k + 1]), acc);
            acc = s2.fma(FloatVector.broadcast(S, table[k + 2]), acc);
            if (n > 3) acc = s3.fma(FloatVector.broadcast(S, table[k + 3]), acc);
            if (n > 4) acc = s5.fma(FloatVector.broadcast(S, table[k + 5]), s4.fma(FloatVector.broadcast(S, table[k + 4]), acc));
            acc.intoArray(dst, to + r * dstStride);
        }
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
