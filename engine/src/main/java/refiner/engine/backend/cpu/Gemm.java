package refiner.engine.backend.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Blocked, packed single-precision matrix product C[M, N] = A[M, K] B[K, N] (+ row or column bias)
 * in the manner of the Goto scheme: B is packed in KC x NR strips, and MC-row blocks of A run an
 * MR x NR register-tiled kernel over them, KC at a time; the threads share a packed panel of B or
 * split the columns, by the product's shape (see {@link #multiply}). A's rows are copied (and
 * widened, for weights) in strips by a {@link RowPacker}; B comes from a {@link Packer}, which
 * widens weights or gathers image patches while packing, so neither side of fp16 weights is
 * ever materialised in fp32 whole.
 *
 * <p>The kernel reads the packed B strips as vectors, so they live off the heap, 64-byte aligned:
 * a Java array's elements start 16 bytes into a cache line or anywhere else, and every vector
 * load would then straddle two lines (8 to 15 % of a product's time where B streams from L2,
 * measured side by side). A's strips are copied at a fixed row stride of {@link #KC}, so the
 * kernel reads all twelve rows from one base register.
 *
 * <p>A weight's rows come from the mapped file, far past the caches, and the packers' reads of
 * them are short runs (a K slice of each row) that the hardware prefetchers barely follow; the
 * core waits on them with nothing to overlap. So a block, between its register tiles, reads one
 * byte of every cache line of the weight rows that come next ({@link RowPacker#touch}): the rows
 * of the next block of A in the shared schedule, a share of the next K slice of B in a column
 * task. Those misses then run while the tiles compute.
 */
final class Gemm {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    static final int MR = 12;
    static final int NR = 2 * L;
    static final int KC = 256;
    static final int MC = 24;
    static final int NC = 1024;
    /** Most floats the packed B columns may take: K x NC, with NC narrowed for long K. */
    private static final int PANEL = 1 << 23;
    /**
     * Panels of at least this many floats (16 MB) and at most {@link #COLUMNS} columns are read a
     * K slice at a time from a copy each task makes for itself, not in place: packed long before,
     * far past both L2 caches, the slice reaches the kernel's loads slowly, and one bulk copy
     * reaches it faster (the 3x3 convolutions of 1536 and 3072 channels over 2 x 16 x 16, panels
     * of 28 and 32 MB: 1.04 to 1.17 side by side). A smaller panel, or a slice of 1024 columns
     * (1 MB, beside the task's rows of C in L2), gains nothing (linear 2048 x 1536 -> 12288,
     * 6 MB: 0.92 to 0.94; 2048 x 6144 -> 1536, 24 MB in slices of 1024 columns: 0.92 to 1.05).
     */
    private static final long COPIED_PANEL = 1 << 22;
    /** MC-row blocks of A per task. */
    private static final int BLOCKS_PER_TASK = 4;
    /** Products of at most this many rows split their columns across the threads... */
    private static final int COLUMN_ROWS = 1024;
    /** ...in tasks of at most this many columns (a KC x COLUMNS slice of B takes half a megabyte). */
    private static final int COLUMNS = 512;

    static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;
    static final ByteOrder ORDER = ByteOrder.nativeOrder();
    /** The bias of a product without one, read at index 0: the kernel has no branch on a missing bias. */
    static final float[] NO_BIAS = new float[NR];

    static {
        // The first heap segment (the Vector API's interpreted code makes one to reinterpret a
        // vector's bits, in the text encoder's first softmax) loads the heap segments' classes.
        // Until then C2 compiles the kernels for native segments alone, and the load throws that
        // code away (a failed class-hierarchy dependency): a second of the product's kernel back
        // in the interpreter. Loaded here, before any kernel runs, they cost nothing later.
        MemorySegment.ofArray(new byte[0]);
        MemorySegment.ofArray(new char[0]);
        MemorySegment.ofArray(new short[0]);
        MemorySegment.ofArray(new int[0]);
        MemorySegment.ofArray(new float[0]);
        MemorySegment.ofArray(new long[0]);
        MemorySegment.ofArray(new double[0]);
    }

    /** Packs one strip of the B side: {@code width} columns over a range of K. */
    interface Packer {
        /**
         * Writes columns {@code [from, from + count)} for k in {@code [k0, k0 + kc)} to float
         * {@code off + k * width + i} of {@code dst}, and zeros for columns {@code count <= i < width}.
         */
        void pack(MemorySegment dst, long off, int from, int count, int width, int k0, int kc);
    }

    /** Rows of a mapped weight that a block may read ahead (see the class comment). */
    interface Ahead {
        /** Whether the rows are read from a mapped weight (not an array already in the heap). */
        boolean mapped();

        /** Reads one value from every 64 bytes of rows {@code [from, from + count)} over k in {@code [k0, k0 + kc)}; returns their sum. */
        int touch(int from, int count, int k0, int kc);
    }

    /**
     * What a block does to its rows of C once its last K slice is in, while they are in cache:
     * nothing; add {@code residual}, an array laid out as C (spans included); or, for a product
     * whose columns come in pairs of strips (NR values, then their NR gates), write
     * {@code gated[i * f + j]} = value times GELU(gate) for the f outputs of each row, the same
     * bits as {@link VectorMath#gelu} and {@link VectorMath#multiply} over the separate halves.
     */
    record Epilogue(float[] residual, float[] gated, int f) {
        static final Epilogue NONE = new Epilogue(null, null, 0);

        /** Adds {@code r}; nothing when it is null. */
        static Epilogue residual(float[] r) {
            return r == null ? NONE : new Epilogue(r, null, 0);
        }

        static Epilogue geglu(float[] gated, int f) {
            return new Epilogue(null, gated, f);
        }

        /** Strips per unit of column work: a task never splits a pair of strips. */
        int unit() {
            return gated == null ? 1 : 2;
        }
    }

    private final WorkerPool pool;
    /** Keeps the reads ahead alive: it changes when the sum of a block's {@link RowPacker#touch} reads is 1. */
    private int sink;
    private MemorySegment panel = floats(0);
    /** All of A, packed once for the column tasks of a product of few rows. */
    private float[] rows = new float[0];
    private final ThreadLocal<float[]> blocks = ThreadLocal.withInitial(() -> new float[MC * KC]);
    private final ThreadLocal<float[]> edges = ThreadLocal.withInitial(() -> new float[MR * NR]);
    private final ThreadLocal<MemorySegment> slices = ThreadLocal.withInitial(() -> floats(KC * COLUMNS));
    /** This thread's copy of a K slice of a large panel (see {@link #COPIED_PANEL}). */
    private final ThreadLocal<MemorySegment> locals = ThreadLocal.withInitial(() -> floats(KC * COLUMNS));
    /** This thread's scratch for the gates of a GEGLU epilogue and their normal CDF. */
    private final ThreadLocal<float[][]> gates = ThreadLocal.withInitial(() -> new float[2][VectorMath.CHUNK]);

    Gemm(WorkerPool pool) {
        this.pool = pool;
    }

    /** Drops the shared panel of B and the packed A; the next products allocate them again. */
    synchronized void trim() {
        panel = floats(0);
        rows = new float[0];
    }

    /** An off-heap buffer of {@code n} floats, 64-byte aligned, freed when no longer reachable. */
    static MemorySegment floats(long n) {
        return Arena.ofAuto().allocate(4 * n, 64);
    }

    /**
     * C[i, j] = sum_k A[i, k] B[k, j] + rowBias[i] + colBias[j], written to
     * {@code c[co + i * ldc + j]}; either bias may be null.
     */
    synchronized void multiply(int m, int n, int k, RowPacker a, Packer b, float[] c, int co, int ldc, float[] rowBias, float[] colBias) {
        multiply(m, n, k, a, b, c, co, ldc, n, 0, rowBias, colBias, Epilogue.NONE);
    }

    /**
     * As above, with the columns of C split in spans of {@code span} columns (a multiple of NR
     * unless there is one span), span s starting at {@code c[co + s * spanStride]}: one product
     * then covers a batch of images.
     *
     * <p>Products with many rows share B: each column block of B is packed whole (all of K) before
     * the row blocks run, so a product has two barriers per column block and a thread the system
     * preempts delays one small task, not every K step. Products with fewer rows (up to
     * {@link #COLUMN_ROWS}: tokens of the lower UNet levels and the text encoder, channels of
     * convolutions over many pixels) and enough columns split the columns instead: A is packed
     * whole once, then each task packs its own columns a K slice at a time into a panel of its
     * own, which stays in its core's L2 while all rows of A run over it, and no task waits for
     * another (10 to 25 % faster on such shapes, measured side by side; slower on products of
     * 2048 rows).
     */
    synchronized void multiply(int m, int n, int k, RowPacker a, Packer b, float[] c, int co, int ldc,
                               int span, int spanStride, float[] rowBias, float[] colBias) {
        multiply(m, n, k, a, b, c, co, ldc, span, spanStride, rowBias, colBias, Epilogue.NONE);
    }

    /**
     * As above, with an epilogue on each block of rows (for GEGLU, C laid out densely: {@code co}
     * 0, {@code ldc} n, one span, n a multiple of 2 NR).
     */
    synchronized void multiply(int m, int n, int k, RowPacker a, Packer b, float[] c, int co, int ldc,
                               int span, int spanStride, float[] rowBias, float[] colBias, Epilogue e) {
        int threads = pool.threads(), unit = e.unit() * NR;
        if (e.gated != null && (co != 0 || ldc != n || span != n || n % unit != 0)) {
            throw new IllegalArgumentException("Gemm: GEGLU needs C dense with whole pairs of strips, not n " + n + ", ldc " + ldc);
        }
        if (m <= COLUMN_ROWS && n >= 2L * threads * NR) {
            int strips = (m + MR - 1) / MR, kBlocks = (k + KC - 1) / KC;
            if (rows.length < packedSize(m, k)) rows = new float[packedSize(m, k)];
            float[] packed = rows;
            pool.run(kBlocks * strips, t -> {
                int k0 = t / strips * KC, s = t % strips;
                a.rows(packed, t * MR * KC, s * MR, Math.min(MR, m - s * MR), MR, k0, Math.min(KC, k - k0), KC);
            });
            splitColumns(new Call(m, k, a, packed, 0, c, co, ldc, span, spanStride, rowBias, colBias, e), n, b, unit);
            return;
        }
        Call p = new Call(m, k, a, null, 0, c, co, ldc, span, spanStride, rowBias, colBias, e);
        int mBlocks = (m + MC - 1) / MC, kBlocks = (k + KC - 1) / KC, tasks = (mBlocks + BLOCKS_PER_TASK - 1) / BLOCKS_PER_TASK;
        int ncMax = Math.clamp(PANEL / Math.max(1, k) / unit * unit, unit, NC);
        if (panel.byteSize() < 4L * k * ncMax) panel = floats((long) k * ncMax);
        for (int jc = 0; jc < n; jc += ncMax) {
            int nc = Math.min(ncMax, n - jc), strips = (nc + NR - 1) / NR, j0 = jc;
            int units = strips / e.unit(), groups = Math.clamp((2L * pool.threads() + tasks - 1) / tasks, 1, units);
            boolean copy = (long) k * nc >= COPIED_PANEL && nc <= COLUMNS;
            pool.run(kBlocks * strips, t -> {
                int pc = t / strips * KC, s = t % strips, kc = Math.min(KC, k - pc);
                b.pack(panel, (long) pc * ncMax + s * kc * NR, j0 + s * NR, Math.min(NR, nc - s * NR), NR, pc, kc);
            });
            pool.run(tasks * groups, t -> {
                int tb = t / groups, g = t % groups, ib1 = Math.min(mBlocks, (tb + 1) * BLOCKS_PER_TASK);
                int s0 = g * units / groups * e.unit(), s1 = g + 1 == groups ? strips : (g + 1) * units / groups * e.unit();
                MemorySegment slice = copy ? locals.get() : panel;
                for (int k0 = 0; k0 < k; k0 += KC) {
                    long at = (long) k0 * ncMax;
                    if (copy) {
                        long kc = Math.min(KC, k - k0);
                        MemorySegment.copy(panel, 4 * (at + s0 * kc * NR), slice, 4 * s0 * kc * NR, 4 * (s1 - s0) * kc * NR);
                        at = 0;
                    }
                    for (int ib = tb * BLOCKS_PER_TASK; ib < ib1; ib++) {
                        boolean last = ib + 1 == ib1;
                        int next = last ? tb * BLOCKS_PER_TASK * MC : (ib + 1) * MC;
                        block(p, ib * MC, k0, slice, at, s0, s1, nc, j0, a, next, Math.min(MC, m - next), last ? k0 + KC : k0);
                    }
                }
            });
        }
    }

    /**
     * C[M, N] = A B with A already packed whole from float {@code ao} of {@code a}, as
     * {@link #packedIndex} lays it out; the columns split across the threads as above.
     */
    synchronized void multiplyPacked(int m, int n, int k, float[] a, int ao, Packer b, float[] c, int co, int ldc) {
        splitColumns(new Call(m, k, null, a, ao, c, co, ldc, n, 0, null, null, Epilogue.NONE), n, b, NR);
    }

    /** Floats of an M x K matrix packed whole as the A side. */
    static int packedSize(int m, int k) {
        return (k + KC - 1) / KC * ((m + MR - 1) / MR) * MR * KC;
    }

    /** Where A[i, kk] of an M-row matrix packed whole goes: K slice, then strip of MR rows, then row. */
    static int packedIndex(int m, int i, int kk) {
        return ((kk / KC * ((m + MR - 1) / MR) + i / MR) * MR + i % MR) * KC + kk % KC;
    }

    /** The column tasks, each a whole number of {@code unit} columns wide. */
    private void splitColumns(Call p, int n, Packer b, int unit) {
        int width = (int) Math.clamp((n + 4L * pool.threads() * unit - 1) / (4L * pool.threads() * unit) * unit, unit, COLUMNS);
        pool.run((n + width - 1) / width, t -> columns(p, b, t * width, Math.min(width, n - t * width)));
    }

    /**
     * One product's operands and output, shared by its tasks; A either packed whole from float
     * {@code base} of {@code packed} (K slice ks, strip s of the ceil(m / MR) at
     * {@code packed[base + (ks * strips + s) * MR * KC]}) or null, to be copied a block at a time.
     */
    private record Call(int m, int k, RowPacker a, float[] packed, int base, float[] c, int co, int ldc, int span, int spanStride,
                        float[] rowBias, int rowStep, float[] colBias, int colStep, Epilogue epilogue) {
        /** A missing bias becomes {@link #NO_BIAS}, read at index 0 (step 0) for every row or column. */
        Call(int m, int k, RowPacker a, float[] packed, int base, float[] c, int co, int ldc, int span, int spanStride,
             float[] rowBias, float[] colBias, Epilogue epilogue) {
            this(m, k, a, packed, base, c, co, ldc, span, spanStride, rowBias == null ? NO_BIAS : rowBias, rowBias == null ? 0 : 1,
                    colBias == null ? NO_BIAS : colBias, colBias == null ? 0 : 1, epilogue);
        }
    }

    /** Columns [j0, j0 + nc) of C: B packed a K slice at a time into this thread's panel, all of A's row blocks over each. */
    private void columns(Call p, Packer b, int j0, int nc) {
        MemorySegment slice = slices.get();
        int strips = (nc + NR - 1) / NR;
        Ahead ahead = b instanceof Ahead r ? r : null;
        int blocks = (p.m + MC - 1) / MC;
        for (int k0 = 0; k0 < p.k; k0 += KC) {
            int kc = Math.min(KC, p.k - k0);
            for (int s = 0; s < strips; s++) b.pack(slice, s * kc * NR, j0 + s * NR, Math.min(NR, nc - s * NR), NR, k0, kc);
            for (int ib = 0; ib < blocks; ib++) {
                int r0 = ib * nc / blocks, r1 = (ib + 1) * nc / blocks;
                block(p, ib * MC, k0, slice, 0, 0, strips, nc, j0, ahead, j0 + r0, r1 - r0, k0 + KC);
            }
        }
    }

    /**
     * The MC rows of A from {@code i0}, over the K slice from {@code k0}, against strips
     * {@code [s0, s1)} of a packed slice of B (strip s at float {@code base + s * kc * NR} of
     * {@code bp}, for columns {@code j0 + s * NR} on); a block's A strips serve every B strip
     * while in L1. Between B strips it reads ahead rows {@code [aheadRow, aheadRow + aheadRows)}
     * of {@code ahead} over the K slice from {@code aheadK0}, where that weight is mapped and the
     * slice exists (see the class comment). After the last K slice it runs the call's epilogue
     * over the block's rows and strips.
     */
    private void block(Call p, int i0, int k0, MemorySegment bp, long base, int s0, int s1, int nc, int j0,
                       Ahead ahead, int aheadRow, int aheadRows, int aheadK0) {
        int kc = Math.min(KC, p.k - k0), mc = Math.min(MC, p.m - i0), mStrips = (mc + MR - 1) / MR;
        boolean first = k0 == 0;
        float[] ap = p.packed;
        int ao = p.base + (k0 / KC * ((p.m + MR - 1) / MR) + i0 / MR) * MR * KC;
        if (ap == null) {
            ap = blocks.get();
            ao = 0;
            for (int s = 0; s < mStrips; s++) p.a.rows(ap, s * MR * KC, i0 + s * MR, Math.min(MR, mc - s * MR), MR, k0, kc, KC);
        }
        boolean reads = ahead != null && aheadK0 < p.k && ahead.mapped();
        int aheadKc = Math.min(KC, p.k - aheadK0), touched = 0;
        for (int js = s0; js < s1; js++) {
            if (reads) {
                int r0 = (js - s0) * aheadRows / (s1 - s0), r1 = (js - s0 + 1) * aheadRows / (s1 - s0);
                touched += ahead.touch(aheadRow + r0, r1 - r0, aheadK0, aheadKc);
            }
            int j = j0 + js * NR, cols = Math.min(NR, nc - js * NR), cj = p.co + j / p.span * p.spanStride + j % p.span;
            long bo = base + (long) js * kc * NR;
            for (int is = 0; is < mStrips; is++) {
                int i = i0 + is * MR, rows = Math.min(MR, mc - is * MR);
                if (rows == MR && cols == NR) {
                    tile(kc, ap, ao + is * MR * KC, bp, bo, p.c, cj + i * p.ldc, p.ldc, first, p.rowBias, i * p.rowStep, p.colBias, j * p.colStep);
                } else {
                    edge(kc, ap, ao + is * MR * KC, bp, bo, p.c, cj + i * p.ldc, p.ldc, rows, cols, first, p.rowBias, i * p.rowStep, p.colBias,
                            j * p.colStep);
                }
            }
        }
        if (touched == 1) sink++;
        if (p.epilogue != Epilogue.NONE && k0 + KC >= p.k) finish(p, i0, mc, j0 + s0 * NR, j0 + Math.min(s1 * NR, nc));
    }

    /** The epilogue over rows {@code [i0, i0 + mc)} and columns {@code [from, to)} of C, final now. */
    private void finish(Call p, int i0, int mc, int from, int to) {
        float[] c = p.c, r = p.epilogue.residual, y = p.epilogue.gated;
        for (int i = i0; i < i0 + mc; i++) {
            int o = p.co + i * p.ldc;
            if (r != null) {
                for (int j = from; j < to; ) {
                    int within = j % p.span, run = Math.min(to - j, p.span - within), at = o + j / p.span * p.spanStride + within;
                    Elementwise.addInto(c, r, at, run);
                    j += run;
                }
            } else {
                int f = p.epilogue.f, j = from / 2, n = Math.min(f, to / 2) - j;
                float[][] scratch = gates.get();
                VectorMath.gegluPairs(c, o + from, NR, y, i * f + j, n, scratch[0], scratch[1]);
            }
        }
    }

    /** A partial tile at the bottom or right border, run through a full-size scratch tile. */
    private void edge(int kc, float[] as, int ao, MemorySegment bp, long bo, float[] c, int co, int ldc, int rows, int cols,
                      boolean first, float[] rowBias, int ro, float[] colBias, int cbo) {
        float[] t = edges.get();
        Arrays.fill(t, 0f);
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cols; j++) {
                t[r * NR + j] = first ? rowBias[ro + r] + colBias[cbo + j] : c[co + r * ldc + j];
            }
        }
        tile(kc, as, ao, bp, bo, t, 0, NR, false, NO_BIAS, 0, NO_BIAS, 0);
        for (int r = 0; r < rows; r++) System.arraycopy(t, r * NR, c, co + r * ldc, cols);
    }

    /**
     * C[12 x NR] (+)= A-strip[12 x kc] * B-strip[kc x NR]: one register tile of 24 accumulators,
     * A's rows {@link #KC} apart from {@code a[ao]} (kc at most KC), B's rows of NR floats from
     * float {@code bo} of {@code b}. With {@code first} the tile starts from the biases (rows
     * {@code rowBias[ro + r]}, columns {@code colBias[cbo + j]}; {@link #NO_BIAS} at 0 for none),
     * otherwise from C. Every index is the loop counter plus an invariant, so the JIT hoists the bounds
     * checks out of the loop (with a loop-varying stride it keeps one check per load, about 30 %
     * slower), and a constant row stride lets it address all of A's rows from one register. B's
     * byte offset is a long loop variable of its own: an int product of the counter widened after
     * it (which may overflow) is not affine to the JIT, which then checked every load of B (1 to 4 %
     * slower).
     */
    static void tile(int kc, float[] a, int ao, MemorySegment b, long bo, float[] c, int co, int ldc,
                             boolean first, float[] rowBias, int ro, float[] colBias, int cbo) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71, c80, c81, c90, c91, c100, c101, c110, c111;
        if (first) {
            FloatVector z0 = FloatVector.fromArray(S, colBias, cbo + 0 * L);
            FloatVector z1 = FloatVector.fromArray(S, colBias, cbo + 1 * L);
            FloatVector r0 = FloatVector.broadcast(S, rowBias[ro + 0]);
            FloatVector r1 = FloatVector.broadcast(S, rowBias[ro + 1]);
            FloatVector r2 = FloatVector.broadcast(S, rowBias[ro + 2]);
            FloatVector r3 = FloatVector.broadcast(S, rowBias[ro + 3]);
            FloatVector r4 = FloatVector.broadcast(S, rowBias[ro + 4]);
            FloatVector r5 = FloatVector.broadcast(S, rowBias[ro + 5]);
            FloatVector r6 = FloatVector.broadcast(S, rowBias[ro + 6]);
            FloatVector r7 = FloatVector.broadcast(S, rowBias[ro + 7]);
            FloatVector r8 = FloatVector.broadcast(S, rowBias[ro + 8]);
            FloatVector r9 = FloatVector.broadcast(S, rowBias[ro + 9]);
            FloatVector r10 = FloatVector.broadcast(S, rowBias[ro + 10]);
            FloatVector r11 = FloatVector.broadcast(S, rowBias[ro + 11]);
            c00 = z0.add(r0);
            c01 = z1.add(r0);
            c10 = z0.add(r1);
            c11 = z1.add(r1);
            c20 = z0.add(r2);
            c21 = z1.add(r2);
            c30 = z0.add(r3);
            c31 = z1.add(r3);
            c40 = z0.add(r4);
            c41 = z1.add(r4);
            c50 = z0.add(r5);
            c51 = z1.add(r5);
            c60 = z0.add(r6);
            c61 = z1.add(r6);
            c70 = z0.add(r7);
            c71 = z1.add(r7);
            c80 = z0.add(r8);
            c81 = z1.add(r8);
            c90 = z0.add(r9);
            c91 = z1.add(r9);
            c100 = z0.add(r10);
            c101 = z1.add(r10);
            c110 = z0.add(r11);
            c111 = z1.add(r11);
        } else {
            c00 = FloatVector.fromArray(S, c, co + 0 * ldc + 0 * L);
            c01 = FloatVector.fromArray(S, c, co + 0 * ldc + 1 * L);
            c10 = FloatVector.fromArray(S, c, co + 1 * ldc + 0 * L);
            c11 = FloatVector.fromArray(S, c, co + 1 * ldc + 1 * L);
            c20 = FloatVector.fromArray(S, c, co + 2 * ldc + 0 * L);
            c21 = FloatVector.fromArray(S, c, co + 2 * ldc + 1 * L);
            c30 = FloatVector.fromArray(S, c, co + 3 * ldc + 0 * L);
            c31 = FloatVector.fromArray(S, c, co + 3 * ldc + 1 * L);
            c40 = FloatVector.fromArray(S, c, co + 4 * ldc + 0 * L);
            c41 = FloatVector.fromArray(S, c, co + 4 * ldc + 1 * L);
            c50 = FloatVector.fromArray(S, c, co + 5 * ldc + 0 * L);
            c51 = FloatVector.fromArray(S, c, co + 5 * ldc + 1 * L);
            c60 = FloatVector.fromArray(S, c, co + 6 * ldc + 0 * L);
            c61 = FloatVector.fromArray(S, c, co + 6 * ldc + 1 * L);
            c70 = FloatVector.fromArray(S, c, co + 7 * ldc + 0 * L);
            c71 = FloatVector.fromArray(S, c, co + 7 * ldc + 1 * L);
            c80 = FloatVector.fromArray(S, c, co + 8 * ldc + 0 * L);
            c81 = FloatVector.fromArray(S, c, co + 8 * ldc + 1 * L);
            c90 = FloatVector.fromArray(S, c, co + 9 * ldc + 0 * L);
            c91 = FloatVector.fromArray(S, c, co + 9 * ldc + 1 * L);
            c100 = FloatVector.fromArray(S, c, co + 10 * ldc + 0 * L);
            c101 = FloatVector.fromArray(S, c, co + 10 * ldc + 1 * L);
            c110 = FloatVector.fromArray(S, c, co + 11 * ldc + 0 * L);
            c111 = FloatVector.fromArray(S, c, co + 11 * ldc + 1 * L);
        }
        long bEnd = 4 * (bo + (long) kc * NR);
        int k = 0;
        for (long bk = 4 * bo; bk < bEnd; bk += 4 * NR, k++) {
            FloatVector b0 = FloatVector.fromMemorySegment(S, b, bk, ORDER);
            FloatVector b1 = FloatVector.fromMemorySegment(S, b, bk + 4 * L, ORDER);
            FloatVector a0 = FloatVector.broadcast(S, a[ao + 0 * KC + k]);
            c00 = b0.fma(a0, c00);
            c01 = b1.fma(a0, c01);
            FloatVector a1 = FloatVector.broadcast(S, a[ao + 1 * KC + k]);
            c10 = b0.fma(a1, c10);
            c11 = b1.fma(a1, c11);
            FloatVector a2 = FloatVector.broadcast(S, a[ao + 2 * KC + k]);
            c20 = b0.fma(a2, c20);
            c21 = b1.fma(a2, c21);
            FloatVector a3 = FloatVector.broadcast(S, a[ao + 3 * KC + k]);
            c30 = b0.fma(a3, c30);
            c31 = b1.fma(a3, c31);
            FloatVector a4 = FloatVector.broadcast(S, a[ao + 4 * KC + k]);
            c40 = b0.fma(a4, c40);
            c41 = b1.fma(a4, c41);
            FloatVector a5 = FloatVector.broadcast(S, a[ao + 5 * KC + k]);
            c50 = b0.fma(a5, c50);
            c51 = b1.fma(a5, c51);
            FloatVector a6 = FloatVector.broadcast(S, a[ao + 6 * KC + k]);
            c60 = b0.fma(a6, c60);
            c61 = b1.fma(a6, c61);
            FloatVector a7 = FloatVector.broadcast(S, a[ao + 7 * KC + k]);
            c70 = b0.fma(a7, c70);
            c71 = b1.fma(a7, c71);
            FloatVector a8 = FloatVector.broadcast(S, a[ao + 8 * KC + k]);
            c80 = b0.fma(a8, c80);
            c81 = b1.fma(a8, c81);
            FloatVector a9 = FloatVector.broadcast(S, a[ao + 9 * KC + k]);
            c90 = b0.fma(a9, c90);
            c91 = b1.fma(a9, c91);
            FloatVector a10 = FloatVector.broadcast(S, a[ao + 10 * KC + k]);
            c100 = b0.fma(a10, c100);
            c101 = b1.fma(a10, c101);
            FloatVector a11 = FloatVector.broadcast(S, a[ao + 11 * KC + k]);
            c110 = b0.fma(a11, c110);
            c111 = b1.fma(a11, c111);
        }
        c00.intoArray(c, co + 0 * ldc + 0 * L);
        c01.intoArray(c, co + 0 * ldc + 1 * L);
        c10.intoArray(c, co + 1 * ldc + 0 * L);
        c11.intoArray(c, co + 1 * ldc + 1 * L);
        c20.intoArray(c, co + 2 * ldc + 0 * L);
        c21.intoArray(c, co + 2 * ldc + 1 * L);
        c30.intoArray(c, co + 3 * ldc + 0 * L);
        c31.intoArray(c, co + 3 * ldc + 1 * L);
        c40.intoArray(c, co + 4 * ldc + 0 * L);
        c41.intoArray(c, co + 4 * ldc + 1 * L);
        c50.intoArray(c, co + 5 * ldc + 0 * L);
        c51.intoArray(c, co + 5 * ldc + 1 * L);
        c60.intoArray(c, co + 6 * ldc + 0 * L);
        c61.intoArray(c, co + 6 * ldc + 1 * L);
        c70.intoArray(c, co + 7 * ldc + 0 * L);
        c71.intoArray(c, co + 7 * ldc + 1 * L);
        c80.intoArray(c, co + 8 * ldc + 0 * L);
        c81.intoArray(c, co + 8 * ldc + 1 * L);
        c90.intoArray(c, co + 9 * ldc + 0 * L);
        c91.intoArray(c, co + 9 * ldc + 1 * L);
        c100.intoArray(c, co + 10 * ldc + 0 * L);
        c101.intoArray(c, co + 10 * ldc + 1 * L);
        c110.intoArray(c, co + 11 * ldc + 0 * L);
        c111.intoArray(c, co + 11 * ldc + 1 * L);
    }
}
