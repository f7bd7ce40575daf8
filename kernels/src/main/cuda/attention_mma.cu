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
//       Tried after v3 and not kept: two 16-row tiles a warp (128 queries a block, 250 registers),
//       so that each K and V fragment read by ldmatrix feeds two mma.sync. H100: 3 % faster on
//       2x12 heads of 4096 x 4096, 9-13 % slower on the UNet's other attention shapes.
//   v4  exponentials by ex2.approx.ftz instead of exp2f. Nsight Compute (H100) finds the kernel
//       bound by instruction issue (issue slots 52 % busy, tensor pipe 35 %, stalls mostly on
//       fixed-latency dependencies), so fewer instructions a score pay: +4-5 % on self-attention,
//       the same on cross-attention. Capping registers at 128 for a fourth block an SM gave
//       another 3-10 %, but with 24 bytes of spills; not kept.
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

// 2^x by the special-function unit, results below 2^-126 flushed to zero: they would round to
// zero in fp16 anyway, and exp2f's handling of them costs instructions in a loop bound by issue.
__device__ __forceinline__ float ex2(float x) {
#ifdef REFINER_HOST_EMULATION
    return exp2f(x);
#else
    float y;
    asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
    return y;
#endif
}

__device__ __forceinline__ uint32_t pack_half2(float lo, float hi) {
    const half2 h = __floats2half2_rn(lo, hi);
    return *reinterpret_cast<const uint32_t*>(&h);
}

template <int WARPS>
__device__ __forceinline__ void attn64(const half* __restrict__ q, const half* __restrict__ k, const half* __restrict__ v,
                                       half* __restrict__ o, int H, int Lq, int Lk, int causal, float scale) {
    using namespace fa;
    constexpr int THREADS = 32 * WARPS, BQ = 16 * WARPS;
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

    // This lane's rows r0 and r0 + 8, and its column pair c0, c0 + 1 within each 8-wide tile.
    const int r0 = q0 + warp * 16 + (lane >> 2), c0 = 2 * (lane & 3);

    // Q as A fragments, 4 chunks of 16 dims.
    uint32_t qa[4][4];
    auto ldq = [&](int r, int c) -> uint32_t { return r < Lq ? *reinterpret_cast<const uint32_t*>(qb + (size_t)r * ldr + c) : 0u; };
#pragma unroll
    for (int kc = 0; kc < 4; kc++) {
        qa[kc][0] = ldq(r0, kc * 16 + c0);
        qa[kc][1] = ldq(r0 + 8, kc * 16 + c0);
        qa[kc][2] = ldq(r0, kc * 16 + c0 + 8);
        qa[kc][3] = ldq(r0 + 8, kc * 16 + c0 + 8);
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

    float acc[8][4];
#pragma unroll
    for (int j = 0; j < 8; j++)
#pragma unroll
        for (int e = 0; e < 4; e++) acc[j][e] = 0.0f;
    float m[2] = {-INFINITY, -INFINITY}, l[2] = {0.0f, 0.0f};
    const float sl2 = scale * 1.4426950408889634f;  // raw score -> base-2 exponent
    const int kend = causal ? min(Lk, q0 + BQ) : Lk;
    const int tiles = (kend + BK - 1) / BK;

    load(0, 0);
    for (int t = 0; t < tiles; t++) {
        const int s = t & 1;
        if (t + 1 < tiles) {
            load(t + 1, s ^ 1);
            cp_async_wait<1>();
        } else {
            cp_async_wait<0>();
        }
        __syncthreads();
        const half* ks = Ks[s];
        const half* vs = Vs[s];

        // S[16 x 64] = Q K^T: sc[j] is key tile j (8 keys).
        float sc[8][4];
#pragma unroll
        for (int j = 0; j < 8; j++) {
#pragma unroll
            for (int e = 0; e < 4; e++) sc[j][e] = 0.0f;
#pragma unroll
            for (int kh = 0; kh < 2; kh++) {  // 32 dims per ldmatrix.x4
                uint32_t bf[4];
                ldsm4<false>(bf, ks + (j * 8 + (lane & 7)) * LD + kh * 32 + (lane >> 3) * 8);
                mma16816(sc[j], qa[2 * kh], bf[0], bf[1]);
                mma16816(sc[j], qa[2 * kh + 1], bf[2], bf[3]);
            }
        }

        // Online softmax on raw scores (the scale folded into exp2's argument): mask where the tile
        // reaches past Lk or the causal diagonal, new running maxima, rescale what came before.
        const int kbase = t * BK;
        if (kbase + BK > Lk || (causal && kbase + BK - 1 > q0)) {
#pragma unroll
            for (int j = 0; j < 8; j++)
#pragma unroll
                for (int e = 0; e < 4; e++) {
                    const int key = kbase + j * 8 + c0 + (e & 1), row = r0 + (e >> 1) * 8;
                    if (key >= Lk || (causal && key > row)) sc[j][e] = -INFINITY;
                }
        }
        float mx[2] = {m[0], m[1]};
#pragma unroll
        for (int j = 0; j < 8; j++)
#pragma unroll
            for (int e = 0; e < 4; e++) mx[e >> 1] = fmaxf(mx[e >> 1], sc[j][e]);
        float corr[2], ms[2];
#pragma unroll
        for (int i = 0; i < 2; i++) {
            mx[i] = fmaxf(mx[i], __shfl_xor_sync(0xffffffffu, mx[i], 1));
            mx[i] = fmaxf(mx[i], __shfl_xor_sync(0xffffffffu, mx[i], 2));
            corr[i] = ex2((m[i] - mx[i]) * sl2);  // key 0 is never masked, so mx is finite
            m[i] = mx[i];
            ms[i] = mx[i] * sl2;
            l[i] *= corr[i];
        }
#pragma unroll
        for (int j = 0; j < 8; j++)
#pragma unroll
            for (int e = 0; e < 4; e++) {
                const float p = ex2(fmaf(sc[j][e], sl2, -ms[e >> 1]));
                sc[j][e] = p;
                l[e >> 1] += p;
                acc[j][e] *= corr[e >> 1];
            }

        // O[16 x 64] += P V, 16 keys at a time; P's A fragment is two adjacent key tiles of S.
#pragma unroll
        for (int kc = 0; kc < 4; kc++) {
            const uint32_t pa[4] = {pack_half2(sc[2 * kc][0], sc[2 * kc][1]), pack_half2(sc[2 * kc][2], sc[2 * kc][3]),
                                    pack_half2(sc[2 * kc + 1][0], sc[2 * kc + 1][1]),
                                    pack_half2(sc[2 * kc + 1][2], sc[2 * kc + 1][3])};
#pragma unroll
            for (int dp = 0; dp < 4; dp++) {  // 16 dims per ldmatrix.x4.trans
                uint32_t bf[4];
                ldsm4<true>(bf, vs + (kc * 16 + (lane & 7) + ((lane >> 3) & 1) * 8) * LD + dp * 16 + (lane >> 4) * 8);
                mma16816(acc[2 * dp], pa, bf[0], bf[1]);
                mma16816(acc[2 * dp + 1], pa, bf[2], bf[3]);
            }
        }
        __syncthreads();  // this stage is refilled next
    }

    // Row sums over the 4 lanes of a row, then O / l.
#pragma unroll
    for (int i = 0; i < 2; i++) {
        l[i] += __shfl_xor_sync(0xffffffffu, l[i], 1);
        l[i] += __shfl_xor_sync(0xffffffffu, l[i], 2);
        l[i] = 1.0f / l[i];
    }
#pragma unroll
    for (int j = 0; j < 8; j++) {
        const int d = j * 8 + c0;
        if (r0 < Lq) *reinterpret_cast<half2*>(ob + (size_t)r0 * ldr + d) = __floats2half2_rn(acc[j][0] * l[0], acc[j][1] * l[0]);
        if (r0 + 8 < Lq)
            *reinterpret_cast<half2*>(ob + (size_t)(r0 + 8) * ldr + d) = __floats2half2_rn(acc[j][2] * l[1], acc[j][3] * l[1]);
    }
}

extern "C" __global__ void __launch_bounds__(128)
attn64_mma_f16(const half* __restrict__ q, const half* __restrict__ k, const half* __restrict__ v, half* __restrict__ o,
               int H, int Lq, int Lk, int causal, float scale) {
    attn64<4>(q, k, v, o, H, Lq, Lk, causal, scale);
}
