// peak.cu: ceilings for the kernel benchmark, measured on the card at hand.
//
// Versions:
//   v1  peak_mma_f16: every warp chains WMMA 16x16x16 products (fp16 in, fp32 accumulate) on
//       register fragments, 4 independent accumulators, no memory traffic in the loop; one
//       iteration = 4 * 2 * 16^3 flops per warp. This is the ceiling of mma.sync, the instruction
//       the tensor-core kernels here use (Hopper's wgmma goes higher).
//       copy_f32x4: y = x in 16-byte accesses, grid-stride; bytes moved = 2 * n * 16.
//   v2  hold: one thread spins on the global timer for a given number of nanoseconds, so that
//       the host can queue the launches to be timed behind it and the timed kernels then run
//       back to back, with no host launch latency between the timing events.
#include "common.cuh"
#include <mma.h>

extern "C" __global__ void peak_mma_f16(float* __restrict__ out, int iters) {
    using namespace nvcuda;
    wmma::fragment<wmma::matrix_a, 16, 16, 16, half, wmma::row_major> a;
    wmma::fragment<wmma::matrix_b, 16, 16, 16, half, wmma::col_major> b;
    wmma::fragment<wmma::accumulator, 16, 16, 16, float> c[4];
    wmma::fill_fragment(a, __float2half(1.0f / 1024));
    wmma::fill_fragment(b, __float2half(1.0f / 1024));
#pragma unroll
    for (int i = 0; i < 4; i++) wmma::fill_fragment(c[i], 0.0f);
    for (int it = 0; it < iters; it++) {
#pragma unroll
        for (int i = 0; i < 4; i++) wmma::mma_sync(c[i], a, b, c[i]);
    }
    float s = 0.0f;
#pragma unroll
    for (int i = 0; i < 4; i++)
        for (int e = 0; e < c[i].num_elements; e++) s += c[i].x[e];
    if (s == 12345.0f) out[blockIdx.x] = s;  // keeps the loop alive; never true for the inputs above
}

extern "C" __global__ void copy_f32x4(const float4* __restrict__ x, float4* __restrict__ y, long long n) {
    GRID_STRIDE(i, n) y[i] = x[i];
}

extern "C" __global__ void hold(long long ns) {
    unsigned long long start, now;
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(start));
    do {
        asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(now));
    } while (now - start < (unsigned long long)ns);
}
