// attention_mma.cu: fused attention for head dim 64 in fp16 on mma.sync, with the same contract as
// attention.cu (rows of q, k, v, o are tokens [B, L, H*64]; head h occupies columns h*64 .. h*64+63;
// with `causal`, query i sees keys 0..i): online softmax in fp32, no score matrix in memory.
//
// Versions:
//   v1  (replaces attention.cu's WMMA attn64_f16, 50-62 TFLOP/s on an H100) 128 queries per block,
//       8 warps of 16 rows. Q stays in registers as mma.sync m16n8k16 A fragments; K and V arrive
//       in 64-key tiles by cp.async, two shared-memory stages, rows padded to 72 halfs so that
//       ldmatrix reads are conflict-free. S = Q K^T lands in registers in the accumulator layout,
//       which is also the A-fragment layout of P, so the softmax (exp2, running max and sum per row,
//       reduced across the 4 lanes of a row) and O += P V never leave registers; V fragments come
//       from ldmatrix.trans. Causal blocks stop at their last query's key tile.
//   v2  64 queries per block (4 warps): 140 registers a thread allow three blocks per SM instead of
//       one block of 8 warps; 7-13 % faster on the UNet's shapes (H200, side by side).
//   v3  masks only in the tiles that reach past Lk or the causal diagonal; the max runs on raw
//       scores and the scale goes into exp2's argument by one fma.
//   v4  `attn64x2`: 128 queries per block of 4 warps, two 16-row tiles a warp, so each K and V
//       fragment that ldmatrix reads from shared memory feeds two mma.sync instead of one. At one
//       row tile, a 64-key tile costs a warp 32 ldmatrix.x4 (16 KB through shared memory) for 64
//       mma.sync: about 128 cycles of the SM's 128 bytes a cycle against about 100 of its
//       tensor cores, so the reads, not the products, set the pace.
#include "common.cuh"

namespace fa {
constexpr int D = 64, BK = 64, LD = D + 8;
constexpr int TILE = BK * LD;  // halfs of one K or V tile
}  // namespace fa

// c[16 x 8] += a[16 x 16] * b[16 x 8]: fp16 operands, fp32 accumulators.
__device__ __forceinline__ void mma16816(float* c, const uint32_t* a, uint32_t b0, uint32_t b1) {
#ifdef REFINER_HOST_EMULATION
    emu_mma16816(c, a, b0, b1);
#else
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
#endif
}

// Four 8x8 fp16 matrices; lane l gives the address of row l % 8 of matrix l / 8. With TRANS each
// matrix is transposed.
template <bool TRANS>
__device__ __forceinline__ void ldsm4(uint32_t* r, const half* p) {
#ifdef REFINER_HOST_EMULATION
    emu_ldmatrix_x4(r, p, TRANS);
#else
    const uint32_t s = (uint32_t)__cvta_generic_to_shared(p);
    if (TRANS)
        asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                     : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                     : "r"(s));
    else
        asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                     : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                     : "r"(s));
#endif
}

__device__ __forceinline__ uint32_t pack_half2(float lo, float hi) {
    const half2 h = __floats2half2_rn(lo, hi);
    return *reinterpret_cast<const uint32_t*>(&h);
}

// One block: WARPS warps of MT x 16 query rows each (BQ = 16 WARPS MT queries) over every key
// tile of one (batch, head). Each K and V fragment read from shared memory serves the warp's MT
// row tiles.
template <int WARPS, int MT>
__device__ __forceinline__ void attn64(const half* __restrict__ q, const half* __restrict__ k, const half* __restrict__ v,
                                       half* __restrict__ o, int H, int Lq, int Lk, int causal, float scale) {
    using namespace fa;
    constexpr int THREADS = 32 * WARPS, BQ = 16 * WARPS * MT;
    __shared__ __align__(128) half Ks[2][TILE];
    __shared__ __align__(128) half Vs[2][TILE];

    const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
    const int b = blockIdx.y / H, h = blockIdx.y - b * H;
    const int q0 = blockIdx.x * BQ;
    const size_t ldr = (size_t)H * D;
    const half* qb = q + (size_t)b * Lq * ldr + h * D;
    const half* kb = k + (size_t)b * Lk * ldr + h * D;
    const half* vb = v + (size_t)b * Lk * ldr + h * D;
    half* ob = o + (size_t)b * Lq * ldr + h * D;

    // This lane's rows r0[t] and r0[t] + 8 of row tile t, and its column pair c0, c0 + 1 within
    // each 8-wide tile.
    int r0[MT];
#pragma unroll
    for (int t = 0; t < MT; t++) r0[t] = q0 + (warp * MT + t) * 16 + (lane >> 2);
    const int c0 = 2 * (lane & 3);

    // Q as A fragments, 4 chunks of 16 dims a row tile.
    uint32_t qa[MT][4][4];
    auto ldq = [&](int r, int c) -> uint32_t { return r < Lq ? *reinterpret_cast<const uint32_t*>(qb + (size_t)r * ldr + c) : 0u; };
#pragma unroll
    for (int t = 0; t < MT; t++)
#pragma unroll
        for (int kc = 0; kc < 4; kc++) {
            qa[t][kc][0] = ldq(r0[t], kc * 16 + c0);
            qa[t][kc][1] = ldq(r0[t] + 8, kc * 16 + c0);
            qa[t][kc][2] = ldq(r0[t], kc * 16 + c0 + 8);
            qa[t][kc][3] = ldq(r0[t] + 8, kc * 16 + c0 + 8);
        }

    auto load = [&](int t, int s) {
        const int k0 = t * BK;
#pragma unroll
        for (int i = 0; i < BK * 8 / THREADS; i++) {
            const int c = tid + i * THREADS, r = c >> 3, col = (c & 7) * 8;
            const bool ok = k0 + r < Lk;
            cp_async16(&Ks[s][r * LD + col], ok ? kb + (size_t)(k0 + r) * ldr + col : kb, ok);
            cp_async16(&Vs[s][r * LD + col], ok ? vb + (size_t)(k0 + r) * ldr + col : vb, ok);
        }
        cp_async_commit();
    };

    float acc[MT][8][4];
#pragma unroll
    for (int t = 0; t < MT; t++)
#pragma unroll
        for (int j = 0; j < 8; j++)
#pragma unroll
            for (int e = 0; e < 4; e++) acc[t][j][e] = 0.0f;
    float m[MT][2], l[MT][2];
#pragma unroll
    for (int t = 0; t < MT; t++) m[t][0] = m[t][1] = -INFINITY, l[t][0] = l[t][1] = 0.0f;
    const float sl2 = scale * 1.4426950408889634f;  // raw score -> base-2 exponent
    const int kend = causal ? min(Lk, q0 + BQ) : Lk;
    const int tiles = (kend + BK - 1) / BK;

    load(0, 0);
    for (int kt = 0; kt < tiles; kt++) {
        const int s = kt & 1;
        if (kt + 1 < tiles) {
            load(kt + 1, s ^ 1);
            cp_async_wait<1>();
        } else {
            cp_async_wait<0>();
        }
        __syncthreads();
        const half* ks = Ks[s];
        const half* vs = Vs[s];

        // S[16 x 64] = Q K^T for each row tile: sc[t][j] is key tile j (8 keys).
        float sc[MT][8][4];
#pragma unroll
        for (int j = 0; j < 8; j++) {
#pragma unroll
            for (int t = 0; t < MT; t++)
#pragma unroll
                for (int e = 0; e < 4; e++) sc[t][j][e] = 0.0f;
#pragma unroll
            for (int kh = 0; kh < 2; kh++) {  // 32 dims per ldmatrix.x4
                uint32_t bf[4];
                ldsm4<false>(bf, ks + (j * 8 + (lane & 7)) * LD + kh * 32 + (lane >> 3) * 8);
#pragma unroll
                for (int t = 0; t < MT; t++) {
                    mma16816(sc[t][j], qa[t][2 * kh], bf[0], bf[1]);
                    mma16816(sc[t][j], qa[t][2 * kh + 1], bf[2], bf[3]);
                }
            }
        }

        // Online softmax on raw scores (the scale folded into exp2's argument): mask where the tile
        // reaches past Lk or the causal diagonal, new running maxima, rescale what came before.
        const int kbase = kt * BK;
        if (kbase + BK > Lk || (causal && kbase + BK - 1 > q0)) {
#pragma unroll
            for (int t = 0; t < MT; t++)
#pragma unroll
                for (int j = 0; j < 8; j++)
#pragma unroll
                    for (int e = 0; e < 4; e++) {
                        const int key = kbase + j * 8 + c0 + (e & 1), row = r0[t] + (e >> 1) * 8;
                        if (key >= Lk || (causal && key > row)) sc[t][j][e] = -INFINITY;
                    }
        }
#pragma unroll
        for (int t = 0; t < MT; t++) {
            float mx[2] = {m[t][0], m[t][1]};
#pragma unroll
            for (int j = 0; j < 8; j++)
#pragma unroll
                for (int e = 0; e < 4; e++) mx[e >> 1] = fmaxf(mx[e >> 1], sc[t][j][e]);
            float corr[2], ms[2];
#pragma unroll
            for (int i = 0; i < 2; i++) {
                mx[i] = fmaxf(mx[i], __shfl_xor_sync(0xffffffffu, mx[i], 1));
                mx[i] = fmaxf(mx[i], __shfl_xor_sync(0xffffffffu, mx[i], 2));
                corr[i] = exp2f((m[t][i] - mx[i]) * sl2);  // key 0 is never masked, so mx is finite
                m[t][i] = mx[i];
                ms[i] = mx[i] * sl2;
                l[t][i] *= corr[i];
            }
#pragma unroll
            for (int j = 0; j < 8; j++)
#pragma unroll
                for (int e = 0; e < 4; e++) {
                    const float p = exp2f(fmaf(sc[t][j][e], sl2, -ms[e >> 1]));
                    sc[t][j][e] = p;
                    l[t][e >> 1] += p;
                    acc[t][j][e] *= corr[e >> 1];
                }
        }

        // O[16 x 64] += P V for each row tile, 16 keys at a time; P's A fragment is two adjacent
        // key tiles of S.
#pragma unroll
        for (int kc = 0; kc < 4; kc++) {
            uint32_t pa[MT][4];
#pragma unroll
            for (int t = 0; t < MT; t++) {
                pa[t][0] = pack_half2(sc[t][2 * kc][0], sc[t][2 * kc][1]);
                pa[t][1] = pack_half2(sc[t][2 * kc][2], sc[t][2 * kc][3]);
                pa[t][2] = pack_half2(sc[t][2 * kc + 1][0], sc[t][2 * kc + 1][1]);
                pa[t][3] = pack_half2(sc[t][2 * kc + 1][2], sc[t][2 * kc + 1][3]);
            }
#pragma unroll
            for (int dp = 0; dp < 4; dp++) {  // 16 dims per ldmatrix.x4.trans
                uint32_t bf[4];
                ldsm4<true>(bf, vs + (kc * 16 + (lane & 7) + ((lane >> 3) & 1) * 8) * LD + dp * 16 + (lane >> 4) * 8);
#pragma unroll
                for (int t = 0; t < MT; t++) {
                    mma16816(acc[t][2 * dp], pa[t], bf[0], bf[1]);
                    mma16816(acc[t][2 * dp + 1], pa[t], bf[2], bf[3]);
                }
            }
        }
        __syncthreads();  // this stage is refilled next
    }

    // Row sums over the 4 lanes of a row, then O / l.
#pragma unroll
    for (int t = 0; t < MT; t++) {
#pragma unroll
        for (int i = 0; i < 2; i++) {
            l[t][i] += __shfl_xor_sync(0xffffffffu, l[t][i], 1);
            l[t][i] += __shfl_xor_sync(0xffffffffu, l[t][i], 2);
            l[t][i] = 1.0f / l[t][i];
        }
#pragma unroll
        for (int j = 0; j < 8; j++) {
            const int d = j * 8 + c0, r = r0[t];
            if (r < Lq) *reinterpret_cast<half2*>(ob + (size_t)r * ldr + d) = __floats2half2_rn(acc[t][j][0] * l[t][0], acc[t][j][1] * l[t][0]);
            if (r + 8 < Lq)
                *reinterpret_cast<half2*>(ob + (size_t)(r + 8) * ldr + d) =
                    __floats2half2_rn(acc[t][j][2] * l[t][1], acc[t][j][3] * l[t][1]);
        }
    }
}

extern "C" __global__ void __launch_bounds__(128)
attn64_mma_f16(const half* __restrict__ q, const half* __restrict__ k, const half* __restrict__ v, half* __restrict__ o,
               int H, int Lq, int Lk, int causal, float scale) {
    attn64<4, 1>(q, k, v, o, H, Lq, Lk, causal, scale);
}

extern "C" __global__ void __launch_bounds__(128)
attn64x2_mma_f16(const half* __restrict__ q, const half* __restrict__ k, const half* __restrict__ v, half* __restrict__ o,
                 int H, int Lq, int Lk, int causal, float scale) {
    attn64<4, 2>(q, k, v, o, H, Lq, Lk, causal, scale);
}
