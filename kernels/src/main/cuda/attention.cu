// attention.cu: fused multi-head attention, softmax(q k^T * scale) v, in the style of
// flash-attention: keys and values stream through shared memory in tiles, each query row keeps a
// running maximum m and sum l (online softmax, fp32) and rescales its output accumulator when m
// grows, so no Lq x Lk score matrix ever reaches device memory. Rows of q, k, v and o are tokens
// [B, L, H*D]; head h occupies columns h*D .. h*D+D-1. With `causal`, query i sees keys 0..i.
//
// Versions:
//   v1  attn64_f16: head dim 64 on tensor cores. 64 queries per block, 4 warps of 16 rows; Q is
//       staged once and kept as WMMA fragments; per 32-key tile, S = Q K^T (WMMA, fp32) goes to a
//       per-warp shared tile, two lanes per row apply the scale, the mask and the online softmax
//       and write P in fp16; O (fp32) lives in shared memory because the WMMA accumulator layout
//       is opaque, so the per-row rescale is done there before O += P V (WMMA).
//       attn_generic_{f16,f32}: any head dim up to 512 (the VAE's single head, the tiny models'
//       32), SIMT: 8 queries per block, 2 per warp, each lane owning dims lane + 32 i; 8-key tiles
//       of K and V in shared memory (fp32), dot products reduced by warp shuffles.
#include "common.cuh"
#include <mma.h>

namespace a64 {
constexpr int D = 64, BQ = 64, BKEYS = 32, LDK = D + 8, LDS = BKEYS + 4, LDP = BKEYS + 8, LDO = D + 4;
constexpr int WARP_BYTES = 16 * LDS * 4 + 16 * LDP * 2 + 16 * LDO * 4;  // S, P, O of one warp
constexpr int KV_HALFS = BQ * LDK;                                        // Q once, then K and V tiles
}  // namespace a64

extern "C" __global__ void __launch_bounds__(128)
attn64_f16(const half* __restrict__ q, const half* __restrict__ k, const half* __restrict__ v, half* __restrict__ o,
           int H, int Lq, int Lk, int causal, float scale) {
    using namespace nvcuda;
    using namespace a64;
    __shared__ __align__(128) half kv[KV_HALFS];
    __shared__ __align__(128) unsigned char warp_raw[4 * WARP_BYTES];

    const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
    const int b = blockIdx.y / H, h = blockIdx.y - b * H;
    const int q0 = blockIdx.x * BQ;
    const size_t ldr = (size_t)H * D;
    const half* qb = q + (size_t)b * Lq * ldr + h * D;
    const half* kb = k + (size_t)b * Lk * ldr + h * D;
    const half* vb = v + (size_t)b * Lk * ldr + h * D;
    half* ob = o + (size_t)b * Lq * ldr + h * D;

    float* S = reinterpret_cast<float*>(warp_raw + warp * WARP_BYTES);
    half* P = reinterpret_cast<half*>(warp_raw + warp * WARP_BYTES + 16 * LDS * 4);
    float* O = reinterpret_cast<float*>(warp_raw + warp * WARP_BYTES + 16 * LDS * 4 + 16 * LDP * 2);
    half* Ks = kv;
    half* Vs = kv + BKEYS * LDK;

    // Q tile [64, 64] -> fragments of this warp's 16 rows.
    for (int c = tid; c < BQ * D / 8; c += 128) {
        const int r = c >> 3, col = (c & 7) * 8;
        const bool ok = q0 + r < Lq;
        cp_async16(kv + r * LDK + col, ok ? qb + (q0 + r) * ldr + col : qb, ok);
    }
    cp_async_commit();
    cp_async_wait<0>();
    __syncthreads();
    wmma::fragment<wmma::matrix_a, 16, 16, 16, half, wmma::row_major> qf[D / 16];
#pragma unroll
    for (int kk = 0; kk < D / 16; kk++) wmma::load_matrix_sync(qf[kk], kv + warp * 16 * LDK + kk * 16, LDK);
    for (int i = lane; i < 16 * LDO; i += 32) O[i] = 0.0f;
    __syncthreads();

    // Two lanes per row: row r, key columns hh*16.., output columns hh*32..
    const int r = lane >> 1, hh = lane & 1;
    const int qi = q0 + warp * 16 + r;
    float m = -INFINITY, l = 0.0f;
    const int kend = causal ? min(Lk, q0 + BQ) : Lk;

    for (int k0 = 0; k0 < kend; k0 += BKEYS) {
        for (int c = tid; c < 2 * BKEYS * D / 8; c += 128) {
            const int t = c >> 8, e = c & 255, row = e >> 3, col = (e & 7) * 8;  // t 0: K, 1: V
            const bool ok = k0 + row < Lk;
            const half* src = (t == 0 ? kb : vb);
            cp_async16((t == 0 ? Ks : Vs) + row * LDK + col, ok ? src + (k0 + row) * ldr + col : src, ok);
        }
        cp_async_commit();
        cp_async_wait<0>();
        __syncthreads();

        // S[16, 32] = Q K^T
#pragma unroll
        for (int j = 0; j < BKEYS / 16; j++) {
            wmma::fragment<wmma::accumulator, 16, 16, 16, float> sf;
            wmma::fill_fragment(sf, 0.0f);
#pragma unroll
            for (int kk = 0; kk < D / 16; kk++) {
                wmma::fragment<wmma::matrix_b, 16, 16, 16, half, wmma::col_major> kf;
                wmma::load_matrix_sync(kf, Ks + j * 16 * LDK + kk * 16, LDK);
                wmma::mma_sync(sf, qf[kk], kf, sf);
            }
            wmma::store_matrix_sync(S + j * 16, sf, LDS, wmma::mem_row_major);
        }
        __syncwarp();

        // Online softmax on this lane's 16 scores of row r.
        float s[16];
        float mx = -INFINITY;
#pragma unroll
        for (int c = 0; c < 16; c++) {
            const int key = k0 + hh * 16 + c;
            const bool masked = key >= Lk || (causal && key > qi);
            s[c] = masked ? -INFINITY : S[r * LDS + hh * 16 + c] * scale;
            mx = fmaxf(mx, s[c]);
        }
        mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
        const float mnew = fmaxf(m, mx);
        const float mref = mnew == -INFINITY ? 0.0f : mnew;
        const float alpha = __expf(m - mref);
        float sum = 0.0f;
#pragma unroll
        for (int c = 0; c < 16; c++) {
            const half p = __float2half_rn(__expf(s[c] - mref));
            P[r * LDP + hh * 16 + c] = p;
            sum += __half2float(p);
        }
        sum += __shfl_xor_sync(0xffffffffu, sum, 1);
        l = l * alpha + sum;
        m = mnew;
#pragma unroll
        for (int c = 0; c < 32; c++) O[r * LDO + hh * 32 + c] *= alpha;
        __syncwarp();

        // O[16, 64] += P[16, 32] V[32, 64]
        wmma::fragment<wmma::matrix_a, 16, 16, 16, half, wmma::row_major> pf[BKEYS / 16];
#pragma unroll
        for (int kk = 0; kk < BKEYS / 16; kk++) wmma::load_matrix_sync(pf[kk], P + kk * 16, LDP);
#pragma unroll
        for (int j = 0; j < D / 16; j++) {
            wmma::fragment<wmma::accumulator, 16, 16, 16, float> of;
            wmma::load_matrix_sync(of, O + j * 16, LDO, wmma::mem_row_major);
#pragma unroll
            for (int kk = 0; kk < BKEYS / 16; kk++) {
                wmma::fragment<wmma::matrix_b, 16, 16, 16, half, wmma::row_major> vf;
                wmma::load_matrix_sync(vf, Vs + kk * 16 * LDK + j * 16, LDK);
                wmma::mma_sync(of, pf[kk], vf, of);
            }
            wmma::store_matrix_sync(O + j * 16, of, LDO, wmma::mem_row_major);
        }
        __syncthreads();
    }

    if (qi < Lq) {
        const float inv = 1.0f / l;
#pragma unroll
        for (int c = 0; c < 32; c++) ob[(size_t)qi * ldr + hh * 32 + c] = __float2half_rn(O[r * LDO + hh * 32 + c] * inv);
    }
}

namespace ag {
constexpr int MAXD = 512, DPL = MAXD / 32, QPW = 2, WARPS = 4, BQ = QPW * WARPS, BKEYS = 8;
}

template <typename T>
__device__ __forceinline__ void attn_generic(const T* __restrict__ q, const T* __restrict__ k, const T* __restrict__ v,
                                             T* __restrict__ o, int H, int D, int Lq, int Lk, int causal,
                                             float scale) {
    using namespace ag;
    __shared__ float Ks[BKEYS][MAXD];
    __shared__ float Vs[BKEYS][MAXD];
    const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
    const int b = blockIdx.y / H, h = blockIdx.y - b * H;
    const int q0 = blockIdx.x * BQ;
    const size_t ldr = (size_t)H * D;
    const T* qb = q + (size_t)b * Lq * ldr + h * D;
    const T* kb = k + (size_t)b * Lk * ldr + h * D;
    const T* vb = v + (size_t)b * Lk * ldr + h * D;
    T* ob = o + (size_t)b * Lq * ldr + h * D;

    float qr[QPW][DPL], acc[QPW][DPL], m[QPW], l[QPW];
    int qi[QPW];
#pragma unroll
    for (int t = 0; t < QPW; t++) {
        qi[t] = q0 + warp * QPW + t;
        m[t] = -INFINITY;
        l[t] = 0.0f;
#pragma unroll
        for (int i = 0; i < DPL; i++) {
            const int d = lane + 32 * i;
            qr[t][i] = (qi[t] < Lq && d < D) ? ld(qb + (size_t)qi[t] * ldr + d) * scale : 0.0f;
            acc[t][i] = 0.0f;
        }
    }
    const int kend = causal ? min(Lk, q0 + BQ) : Lk;
    for (int k0 = 0; k0 < kend; k0 += BKEYS) {
        for (int e = tid; e < BKEYS * D; e += WARPS * 32) {
            const int j = e / D, d = e - j * D;
            const bool ok = k0 + j < Lk;
            Ks[j][d] = ok ? ld(kb + (size_t)(k0 + j) * ldr + d) : 0.0f;
            Vs[j][d] = ok ? ld(vb + (size_t)(k0 + j) * ldr + d) : 0.0f;
        }
        __syncthreads();
#pragma unroll
        for (int t = 0; t < QPW; t++) {
            float s[BKEYS];
            float mx = -INFINITY;
#pragma unroll
            for (int j = 0; j < BKEYS; j++) {
                float part = 0.0f;
#pragma unroll
                for (int i = 0; i < DPL; i++)
                    if (lane + 32 * i < D) part = fmaf(qr[t][i], Ks[j][lane + 32 * i], part);
                const int key = k0 + j;
                const bool masked = key >= Lk || (causal && key > qi[t]);
                s[j] = masked ? -INFINITY : warp_sum(part);
                mx = fmaxf(mx, s[j]);
            }
            if (mx == -INFINITY) continue;  // every key of this tile is masked for this query
            const float mnew = fmaxf(m[t], mx);
            const float alpha = __expf(m[t] - mnew);
            float p[BKEYS], sum = 0.0f;
#pragma unroll
            for (int j = 0; j < BKEYS; j++) {
                p[j] = __expf(s[j] - mnew);
                sum += p[j];
            }
            l[t] = l[t] * alpha + sum;
            m[t] = mnew;
#pragma unroll
            for (int i = 0; i < DPL; i++) {
                if (lane + 32 * i >= D) continue;
                float a = acc[t][i] * alpha;
#pragma unroll
                for (int j = 0; j < BKEYS; j++) a = fmaf(p[j], Vs[j][lane + 32 * i], a);
                acc[t][i] = a;
            }
        }
        __syncthreads();
    }
#pragma unroll
    for (int t = 0; t < QPW; t++) {
        if (qi[t] >= Lq) continue;
        const float inv = 1.0f / l[t];
#pragma unroll
        for (int i = 0; i < DPL; i++) {
            const int d = lane + 32 * i;
            if (d < D) st(ob + (size_t)qi[t] * ldr + d, acc[t][i] * inv);
        }
    }
}

#define ATTN_GENERIC(T, SUF)                                                                               \
    extern "C" __global__ void __launch_bounds__(ag::WARPS * 32)                                           \
        attn_generic_##SUF(const T* q, const T* k, const T* v, T* o, int H, int D, int Lq, int Lk,         \
                           int causal, float scale) {                                                      \
        attn_generic(q, k, v, o, H, D, Lq, Lk, causal, scale);                                             \
    }
ATTN_GENERIC(half, f16)
ATTN_GENERIC(float, f32)
