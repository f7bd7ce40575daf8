// norm.cu: GroupNorm (optionally followed by SiLU) over NCHW and LayerNorm over the last dimension.
// Statistics in fp32 with a two-pass variance (mean first, then the mean of squared deviations),
// which stays accurate when |mean| >> std, as happens in the VAE.
//
// Versions:
//   v1  one block per (batch, group) or per row; the block reduces through warp shuffles and 32
//       floats of shared memory; three passes over the group (sum, squared deviations, write),
//       the later ones served mostly from L2. H100: GroupNorm+SiLU of 2x768x64x64 in 32 groups
//       at 223 GB/s (64 blocks for 132 SMs).
//   v2  LayerNorm of rows with D % 8 == 0 and D <= 2048 by one warp per row, the row held in
//       registers and moved in 16-byte accesses (one read, one write); other rows as in v1.
//       GroupNorm in two launches over `parts` slices per group, so that the grid fills the GPU:
//       group_stats gives each slice's count, mean and squared deviations (two passes), and
//       group_apply combines them (Chan's pairwise formula) and writes its slice. Slices are whole
//       chunks of 8, moved in 16-byte accesses when the group (stats) or channel (apply) allows.
//
//   group_stats_{f16,f32}  grid (B*G, parts), 256 threads: x[B, C, S] -> partial[B*G, parts, 3]
//   group_apply_{f16,f32}  grid (B*G, parts), 256 threads: x, partial -> y, S = product of spatial dims
//   layer_norm_{f16,f32}       grid ceil(rows / 8), 256 threads (a warp per row): x[rows, D] -> y
//   layer_norm_rows_{f16,f32}  grid rows, 256 threads: x[rows, D] -> y
#include "common.cuh"

// Slice `part` (of `parts`) of group (b, g), which holds n = (C / G) * S contiguous elements.
__device__ __forceinline__ void group_slice(int n, int parts, int part, int& lo, int& hi) {
    const int len = ((n + parts - 1) / parts + 7) & ~7;  // whole chunks of 8
    lo = part * len < n ? part * len : n;
    hi = lo + len < n ? lo + len : n;
}

// Block (bg, part): count, mean and sum of squared deviations of its slice (two passes, the second
// from L1/L2) into partial[(bg * parts + part) * 3 ..].
template <typename T>
__device__ __forceinline__ void group_stats(const T* __restrict__ x, float* __restrict__ partial, int n, int parts) {
    __shared__ float scratch[32];
    const int bg = blockIdx.x, part = blockIdx.y;
    int lo, hi;
    group_slice(n, parts, part, lo, hi);
    const T* xg = x + (size_t)bg * n;
    const bool vec = n % 8 == 0;  // then the group and its slices start on 16-byte chunks
    float s = 0.0f;
    if (vec) {
        for (int c = lo / 8 + threadIdx.x; c < hi / 8; c += blockDim.x) {
            float v[8];
            load8(xg + 8 * c, v);
            for (int e = 0; e < 8; e++) s += v[e];
        }
    } else {
        for (int i = lo + threadIdx.x; i < hi; i += blockDim.x) s += ld(xg + i);
    }
    const int count = hi - lo;
    const float mean = block_sum(s, scratch) / (count > 0 ? count : 1);
    float q = 0.0f;
    if (vec) {
        for (int c = lo / 8 + threadIdx.x; c < hi / 8; c += blockDim.x) {
            float v[8];
            load8(xg + 8 * c, v);
            for (int e = 0; e < 8; e++) q += (v[e] - mean) * (v[e] - mean);
        }
    } else {
        for (int i = lo + threadIdx.x; i < hi; i += blockDim.x) {
            const float d = ld(xg + i) - mean;
            q += d * d;
        }
    }
    q = block_sum(q, scratch);
    if (threadIdx.x == 0) {
        float* p = partial + ((size_t)bg * parts + part) * 3;
        p[0] = (float)count;
        p[1] = mean;
        p[2] = q;
    }
}

// Block (bg, part): combines the group's partial statistics (Chan et al.: exact for the two-pass
// slices, no cancellation), then normalises its slice, scales per channel and applies SiLU.
template <typename T>
__device__ __forceinline__ void group_apply(const T* __restrict__ x, const float* __restrict__ partial,
                                            const T* __restrict__ gamma, const T* __restrict__ beta, T* __restrict__ y,
                                            int C, int S, int G, int parts, float eps, int apply_silu) {
    const int bg = blockIdx.x, part = blockIdx.y, g = bg % G, cpg = C / G, n = cpg * S;
    float count = 0.0f, mean = 0.0f, m2 = 0.0f;
    for (int p = 0; p < parts; p++) {
        const float* q = partial + ((size_t)bg * parts + p) * 3;
        const float nb = q[0];
        if (nb == 0.0f) continue;
        const float delta = q[1] - mean, total = count + nb;
        mean += delta * (nb / total);
        m2 += q[2] + delta * delta * (count * nb / total);
        count = total;
    }
    const float rstd = rsqrtf(m2 / count + eps);
    int lo, hi;
    group_slice(n, parts, part, lo, hi);
    const T* xg = x + (size_t)bg * n;
    T* yg = y + (size_t)bg * n;
    if (S % 8 == 0) {  // each chunk of 8 lies in one channel
        for (int k = lo / 8 + threadIdx.x; k < hi / 8; k += blockDim.x) {
            const int c = g * cpg + 8 * k / S;
            const float a = rstd * ld(gamma + c), b = ld(beta + c) - mean * a;
            float v[8];
            load8(xg + 8 * k, v);
            for (int e = 0; e < 8; e++) v[e] = apply_silu ? silu(fmaf(v[e], a, b)) : fmaf(v[e], a, b);
            store8(yg + 8 * k, v);
        }
    } else {
        for (int i = lo + threadIdx.x; i < hi; i += blockDim.x) {
            const int c = g * cpg + i / S;
            float v = (ld(xg + i) - mean) * rstd * ld(gamma + c) + ld(beta + c);
            if (apply_silu) v = silu(v);
            st(yg + i, v);
        }
    }
}

// LayerNorm of one row per warp, for D % 8 == 0 and D <= 2048: the row stays in registers (chunks of
// 8 elements, chunk c on lane c % 32), so it is read once and written once.
template <typename T>
__device__ __forceinline__ void layer_norm(const T* __restrict__ x, const T* __restrict__ gamma,
                                           const T* __restrict__ beta, T* __restrict__ y, int rows, int D, float eps) {
    constexpr int MAXC = 2048 / 8 / 32;  // chunks per lane
    const int lane = threadIdx.x & 31;
    const int row = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    if (row >= rows) return;
    const int chunks = D / 8;
    const T* xr = x + (size_t)row * D;
    T* yr = y + (size_t)row * D;
    float v[MAXC][8];
    float s = 0.0f;
#pragma unroll
    for (int i = 0; i < MAXC; i++) {
        const int c = lane + 32 * i;
        if (c < chunks) {
            load8(xr + 8 * c, v[i]);
#pragma unroll
            for (int e = 0; e < 8; e++) s += v[i][e];
        }
    }
    const float mean = warp_sum(s) / D;
    float q = 0.0f;
#pragma unroll
    for (int i = 0; i < MAXC; i++) {
        if (lane + 32 * i < chunks) {
#pragma unroll
            for (int e = 0; e < 8; e++) {
                const float d = v[i][e] - mean;
                q += d * d;
            }
        }
    }
    const float rstd = rsqrtf(warp_sum(q) / D + eps);
#pragma unroll
    for (int i = 0; i < MAXC; i++) {
        const int c = lane + 32 * i;
        if (c < chunks) {
            float g[8], b[8];
            load8(gamma + 8 * c, g);
            load8(beta + 8 * c, b);
#pragma unroll
            for (int e = 0; e < 8; e++) v[i][e] = (v[i][e] - mean) * rstd * g[e] + b[e];
            store8(yr + 8 * c, v[i]);
        }
    }
}

// LayerNorm of one row per block, any D.
template <typename T>
__device__ __forceinline__ void layer_norm_rows(const T* __restrict__ x, const T* __restrict__ gamma,
                                                const T* __restrict__ beta, T* __restrict__ y, int D, float eps) {
    __shared__ float scratch[32];
    const T* xr = x + (size_t)blockIdx.x * D;
    T* yr = y + (size_t)blockIdx.x * D;
    float s = 0.0f;
    for (int i = threadIdx.x; i < D; i += blockDim.x) s += ld(xr + i);
    const float mean = block_sum(s, scratch) / D;
    float q = 0.0f;
    for (int i = threadIdx.x; i < D; i += blockDim.x) {
        const float d = ld(xr + i) - mean;
        q += d * d;
    }
    const float rstd = rsqrtf(block_sum(q, scratch) / D + eps);
    for (int i = threadIdx.x; i < D; i += blockDim.x)
        st(yr + i, (ld(xr + i) - mean) * rstd * ld(gamma + i) + ld(beta + i));
}

#define NORMS(T, SUF)                                                                                            \
    extern "C" __global__ void group_stats_##SUF(const T* x, float* partial, int n, int parts) {                  \
        group_stats(x, partial, n, parts);                                                                       \
    }                                                                                                            \
    extern "C" __global__ void group_apply_##SUF(const T* x, const float* partial, const T* gamma, const T* beta, \
                                                 T* y, int C, int S, int G, int parts, float eps, int apply_silu) { \
        group_apply(x, partial, gamma, beta, y, C, S, G, parts, eps, apply_silu);                                \
    }                                                                                                            \
    extern "C" __global__ void layer_norm_##SUF(const T* x, const T* gamma, const T* beta, T* y, int rows, int D, \
                                                float eps) {                                                     \
        layer_norm(x, gamma, beta, y, rows, D, eps);                                                             \
    }                                                                                                            \
    extern "C" __global__ void layer_norm_rows_##SUF(const T* x, const T* gamma, const T* beta, T* y, int D,    \
                                                     float eps) {                                                \
        layer_norm_rows(x, gamma, beta, y, D, eps);                                                              \
    }
NORMS(half, f16)
NORMS(float, f32)
