// norm.cu: GroupNorm (optionally followed by SiLU) over NCHW and LayerNorm over the last dimension.
// Statistics in fp32 with a two-pass variance (mean first, then the mean of squared deviations),
// which stays accurate when |mean| >> std, as happens in the VAE.
//
// Versions:
//   v1  one block per (batch, group) or per row; the block reduces through warp shuffles and 32
//       floats of shared memory; three passes over the group (sum, squared deviations, write),
//       the later ones served mostly from L2.
//
//   group_norm_{f16,f32}  grid B*G, 512 threads: x[B, C, S] -> y, S = product of spatial dims
//   layer_norm_{f16,f32}  grid rows, 256 threads: x[rows, D] -> y
#include "common.cuh"

template <typename T>
__device__ __forceinline__ void group_norm(const T* __restrict__ x, const T* __restrict__ gamma,
                                           const T* __restrict__ beta, T* __restrict__ y, int C, int S, int G,
                                           float eps, int apply_silu) {
    __shared__ float scratch[32];
    const int b = blockIdx.x / G, g = blockIdx.x - b * G;
    const int cpg = C / G;
    const size_t base = ((size_t)b * C + (size_t)g * cpg) * S;
    const int n = cpg * S;
    const T* xg = x + base;
    float s = 0.0f;
    for (int i = threadIdx.x; i < n; i += blockDim.x) s += ld(xg + i);
    const float mean = block_sum(s, scratch) / n;
    float q = 0.0f;
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
        const float d = ld(xg + i) - mean;
        q += d * d;
    }
    const float rstd = rsqrtf(block_sum(q, scratch) / n + eps);
    T* yg = y + base;
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
        const int c = g * cpg + i / S;
        float v = (ld(xg + i) - mean) * rstd * ld(gamma + c) + ld(beta + c);
        if (apply_silu) v = silu(v);
        st(yg + i, v);
    }
}

template <typename T>
__device__ __forceinline__ void layer_norm(const T* __restrict__ x, const T* __restrict__ gamma,
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
    extern "C" __global__ void group_norm_##SUF(const T* x, const T* gamma, const T* beta, T* y, int C, int S,  \
                                                int G, float eps, int apply_silu) {                              \
        group_norm(x, gamma, beta, y, C, S, G, eps, apply_silu);                                                 \
    }                                                                                                            \
    extern "C" __global__ void layer_norm_##SUF(const T* x, const T* gamma, const T* beta, T* y, int D,         \
                                                float eps) {                                                     \
        layer_norm(x, gamma, beta, y, D, eps);                                                                   \
    }
NORMS(half, f16)
NORMS(float, f32)
