// layout.cu: data movement without arithmetic: concatenation and slicing along one axis, the
// NCHW <-> tokens transpose, nearest 2x upsampling and the embedding gather. Copies move raw
// elements, so each kernel is instantiated per element size (f16 and f32 share the 16/32-bit code).
//
// Versions:
//   v1  grid-stride loops with index arithmetic per element; the transpose goes through a 32x33
//       shared-memory tile so both its reads and its writes are coalesced.
//   v2  concat moves 8 elements per 16-byte access when both sides are whole chunks of 8.
//
//   concat_{f16,f32}     a[O, Da, I], b[O, Db, I] -> y[O, Da+Db, I]
//   slice_{f16,f32}      x[O, Dx, I] -> y[O, len, I], rows start..start+len
//   transpose_{f16,f32}  x[B, R, Cc] -> y[B, Cc, R]; grid (ceil(Cc/32), ceil(R/32), B), block (32, 8)
//   upsample2x_{f16,f32} x[BC, H, W] -> y[BC, 2H, 2W]
//   embedding_{f16,f32}  table[V, D], ids[n] -> y[n, D]
#include "common.cuh"

// Eight elements from p to y, as 16-byte accesses (two for 32-bit elements).
template <typename E>
__device__ __forceinline__ void copy8(E* __restrict__ y, const E* __restrict__ p) {
#ifdef REFINER_HOST_EMULATION
    for (int i = 0; i < 8; i++) y[i] = p[i];
#else
    constexpr int V = sizeof(E) / 2;  // 16-byte vectors per 8 elements
#pragma unroll
    for (int v = 0; v < V; v++) reinterpret_cast<uint4*>(y)[v] = reinterpret_cast<const uint4*>(p)[v];
#endif
}

template <typename E>
__device__ __forceinline__ void transpose(const E* __restrict__ x, E* __restrict__ y, int R, int Cc) {
    __shared__ E tile[32][33];
    const size_t plane = (size_t)R * Cc;
    const E* xb = x + blockIdx.z * plane;
    E* yb = y + blockIdx.z * plane;
    const int c0 = blockIdx.x * 32, r0 = blockIdx.y * 32;
    for (int j = threadIdx.y; j < 32; j += 8) {
        const int r = r0 + j, c = c0 + threadIdx.x;
        if (r < R && c < Cc) tile[j][threadIdx.x] = xb[(size_t)r * Cc + c];
    }
    __syncthreads();
    for (int j = threadIdx.y; j < 32; j += 8) {
        const int c = c0 + j, r = r0 + threadIdx.x;
        if (r < R && c < Cc) yb[(size_t)c * R + r] = tile[threadIdx.x][j];
    }
}

#define LAYOUT(E, SUF)                                                                                    \
    extern "C" __global__ void concat_##SUF(const E* __restrict__ a, const E* __restrict__ b,            \
                                            E* __restrict__ y, long long n, int Da, int Db, int I) {      \
        const long long row = (long long)(Da + Db) * I;                                                   \
        if (Da * I % 8 == 0 && Db * I % 8 == 0) { /* 8 elements a step, each chunk from one side */       \
            const long long ra = (long long)Da * I / 8, rb = (long long)Db * I / 8, rc = ra + rb;         \
            GRID_STRIDE(c, n / 8) {                                                                       \
                const long long o = c / rc, r = c - o * rc;                                               \
                copy8(y + 8 * c, r < ra ? a + 8 * (o * ra + r) : b + 8 * (o * rb + r - ra));              \
            }                                                                                             \
        } else {                                                                                          \
            GRID_STRIDE(i, n) {                                                                           \
                const long long o = i / row, r = i - o * row;                                             \
                const int j = (int)(r / I), in = (int)(r - (long long)j * I);                             \
                y[i] = j < Da ? a[(o * Da + j) * I + in] : b[(o * Db + (j - Da)) * I + in];               \
            }                                                                                             \
        }                                                                                                 \
    }                                                                                                     \
    extern "C" __global__ void slice_##SUF(const E* __restrict__ x, E* __restrict__ y, long long n,      \
                                           int Dx, int start, int len, int I) {                           \
        const long long row = (long long)len * I;                                                         \
        GRID_STRIDE(i, n) {                                                                               \
            const long long o = i / row, r = i - o * row;                                                 \
            y[i] = x[(o * Dx + start) * I + r];                                                           \
        }                                                                                                 \
    }                                                                                                     \
    extern "C" __global__ void transpose_##SUF(const E* __restrict__ x, E* __restrict__ y, int R,        \
                                               int Cc) {                                                  \
        transpose(x, y, R, Cc);                                                                           \
    }                                                                                                     \
    extern "C" __global__ void upsample2x_##SUF(const E* __restrict__ x, E* __restrict__ y, long long n, \
                                                int H, int W) {                                           \
        GRID_STRIDE(i, n) {                                                                               \
            const long long bc = i / (4LL * H * W);                                                       \
            const int r = (int)(i - bc * 4LL * H * W), oy = r / (2 * W), ox = r - oy * 2 * W;             \
            y[i] = x[(bc * H + (oy >> 1)) * W + (ox >> 1)];                                               \
        }                                                                                                 \
    }                                                                                                     \
    extern "C" __global__ void embedding_##SUF(const E* __restrict__ table, const int* __restrict__ ids,  \
                                               E* __restrict__ y, long long n, int D) {                   \
        GRID_STRIDE(i, n) {                                                                               \
            const long long r = i / D;                                                                    \
            y[i] = table[(long long)ids[r] * D + (i - r * D)];                                            \
        }                                                                                                 \
    }
LAYOUT(unsigned short, f16)
LAYOUT(float, f32)
