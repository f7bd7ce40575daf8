// gemm.cu: dense layers, Y[M, N] = X[M, K] * W[N, K]^T + bias[N] (bias may be null), the weight
// layout of a checkpoint's Linear. The main loops live in gemm_core.cuh (see its version history).
//
//   linear_f16  tensor cores (WMMA 16x16x16, fp16 in, fp32 accumulate), grid (ceil(N/128), ceil(M/128)), 256 threads
//   linear_f32  SIMT fp32, grid (ceil(N/128), ceil(M/128)), 256 threads
#include "gemm_core.cuh"

extern "C" __global__ void __launch_bounds__(tc::THREADS)
linear_f16(const half* __restrict__ x, const half* __restrict__ w, const half* __restrict__ bias, half* __restrict__ y,
           int M, int N, int K) {
    tc_gemm<LINEAR>(x, w, bias, y, M, N, K, ConvGeom{0, 0, 0, 1, 1, 0, 1, 1});
}

extern "C" __global__ void __launch_bounds__(simt::THREADS)
linear_f32(const float* __restrict__ x, const float* __restrict__ w, const float* __restrict__ bias,
           float* __restrict__ y, int M, int N, int K) {
    simt_gemm<LINEAR>(x, w, bias, y, M, N, K, ConvGeom{0, 0, 0, 1, 1, 0, 1, 1});
}
