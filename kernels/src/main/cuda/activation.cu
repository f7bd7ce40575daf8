// activation.cu: pointwise activations and arithmetic, fp32 inside.
//
// Versions:
//   v1  grid-stride loops, one element per thread per step (memory bound; 16-byte vector
//       accesses are the next step).
//
//   act_{f16,f32}           y = f(x), kind 0 erf-GELU, 1 quick-GELU x*sigmoid(1.702x), 2 SiLU
//   geglu_{f16,f32}         x[rows, 2F] = [h, g] -> y[rows, F] = h * gelu(g)
//   add_{f16,f32}           y = a + b
//   add_channels_{f16,f32}  y[bc, s] = x[bc, s] + b[bc] over x[B, C, S], b[B, C]
//   scale_{f16,f32}         y = x * s
#include "common.cuh"

#define ACTIVATIONS(T, SUF)                                                                             \
    extern "C" __global__ void act_##SUF(const T* __restrict__ x, T* __restrict__ y, long long n,      \
                                         int kind) {                                                    \
        GRID_STRIDE(i, n) {                                                                             \
            const float v = ld(x + i);                                                                  \
            st(y + i, kind == 0 ? gelu_erf(v) : kind == 1 ? v * sigmoid(1.702f * v) : silu(v));         \
        }                                                                                               \
    }                                                                                                   \
    extern "C" __global__ void geglu_##SUF(const T* __restrict__ x, T* __restrict__ y, long long rows, \
                                           int F) {                                                     \
        GRID_STRIDE(i, rows * F) {                                                                      \
            const long long r = i / F, c = i - r * F;                                                   \
            const T* xr = x + r * 2 * F;                                                                \
            st(y + i, ld(xr + c) * gelu_erf(ld(xr + F + c)));                                           \
        }                                                                                               \
    }                                                                                                   \
    extern "C" __global__ void add_##SUF(const T* __restrict__ a, const T* __restrict__ b,             \
                                         T* __restrict__ y, long long n) {                              \
        GRID_STRIDE(i, n) st(y + i, ld(a + i) + ld(b + i));                                             \
    }                                                                                                   \
    extern "C" __global__ void add_channels_##SUF(const T* __restrict__ x, const T* __restrict__ b,    \
                                                  T* __restrict__ y, long long n, int S) {              \
        GRID_STRIDE(i, n) st(y + i, ld(x + i) + ld(b + i / S));                                         \
    }                                                                                                   \
    extern "C" __global__ void scale_##SUF(const T* __restrict__ x, T* __restrict__ y, long long n,    \
                                           float s) {                                                   \
        GRID_STRIDE(i, n) st(y + i, ld(x + i) * s);                                                     \
    }
ACTIVATIONS(half, f16)
ACTIVATIONS(float, f32)
