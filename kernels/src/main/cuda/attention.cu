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
//       is opaque, so the per-row rescale is done there before O += P V (WMMA). Replaced by
//       attention_mma.cu (mma.sync with known fragment layouts, 2.8x faster on an H200).
//       attn_generic_{f16,f32}: any head dim up to 512 (the VAE's single head, the tiny models'
//       32), SIMT: 8 queries per block, 2 per warp, each lane owning dims lane + 32 i; 8-key tiles
//       of K and V in shared memory (fp32), dot products reduced by warp shuffles.
#include "common.cuh"

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
