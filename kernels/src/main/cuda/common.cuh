// common.cuh: helpers shared by every kernel family.
//
// Element types: activations are `half` (fp16 mode) or `float` (fp32 mode); each templated kernel
// is instantiated for both and exported under a C name ending in _f16 or _f32. All arithmetic is
// done in fp32: `ld` widens on load and `st` narrows on store (round to nearest even).
#pragma once
#include <cuda_fp16.h>
#include <stdint.h>

// Loop over i in [0, n) spread across the whole grid.
#define GRID_STRIDE(i, n) \
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < (n); i += (long long)gridDim.x * blockDim.x)

__device__ __forceinline__ float ld(const float* p) { return *p; }
__device__ __forceinline__ float ld(const half* p) { return __half2float(*p); }
__device__ __forceinline__ float tof(float v) { return v; }
__device__ __forceinline__ float tof(half v) { return __half2float(v); }
__device__ __forceinline__ void st(float* p, float v) { *p = v; }
__device__ __forceinline__ void st(half* p, float v) { *p = __float2half_rn(v); }

// Sum over the 32 lanes of a warp; every lane gets the result.
__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

// Sum over a block of blockDim.x threads (a multiple of 32, at most 1024); every thread gets it.
// `scratch` holds 32 floats; the call ends with a barrier so scratch may be reused at once.
__device__ __forceinline__ float block_sum(float v, float* scratch) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
    v = warp_sum(v);
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    float t = lane < nwarps ? scratch[lane] : 0.0f;
    t = warp_sum(t);
    __syncthreads();
    return t;
}

// The host emulation (kernels/src/test/host) supplies its own cp.async helpers.
#ifndef REFINER_HOST_EMULATION
// cp.async of 16 bytes global -> shared; with `valid` false the 16 shared bytes are zero-filled.
__device__ __forceinline__ void cp_async16(void* smem, const void* gmem, bool valid) {
    const unsigned s = (unsigned)__cvta_generic_to_shared(smem);
    const int src_bytes = valid ? 16 : 0;
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(s), "l"(gmem), "r"(src_bytes));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int N>
__device__ __forceinline__ void cp_async_wait() { asm volatile("cp.async.wait_group %0;\n" ::"n"(N)); }
#endif

// Eight consecutive elements in fp32: one 16-byte access for half, two for float. The pointer is
// 16-byte aligned (buffers are 256-byte aligned; callers step in whole chunks of 8).
__device__ __forceinline__ void load8(const half* p, float* v) {
#ifdef REFINER_HOST_EMULATION
    for (int i = 0; i < 8; i++) v[i] = ld(p + i);
#else
    const uint4 u = *reinterpret_cast<const uint4*>(p);
    const half2* h = reinterpret_cast<const half2*>(&u);
#pragma unroll
    for (int i = 0; i < 4; i++) {
        const float2 f = __half22float2(h[i]);
        v[2 * i] = f.x;
        v[2 * i + 1] = f.y;
    }
#endif
}
__device__ __forceinline__ void load8(const float* p, float* v) {
#ifdef REFINER_HOST_EMULATION
    for (int i = 0; i < 8; i++) v[i] = p[i];
#else
    const float4 a = reinterpret_cast<const float4*>(p)[0], b = reinterpret_cast<const float4*>(p)[1];
    v[0] = a.x, v[1] = a.y, v[2] = a.z, v[3] = a.w, v[4] = b.x, v[5] = b.y, v[6] = b.z, v[7] = b.w;
#endif
}
__device__ __forceinline__ void store8(half* p, const float* v) {
#ifdef REFINER_HOST_EMULATION
    for (int i = 0; i < 8; i++) st(p + i, v[i]);
#else
    uint4 u;
    half2* h = reinterpret_cast<half2*>(&u);
#pragma unroll
    for (int i = 0; i < 4; i++) h[i] = __floats2half2_rn(v[2 * i], v[2 * i + 1]);
    *reinterpret_cast<uint4*>(p) = u;
#endif
}
__device__ __forceinline__ void store8(float* p, const float* v) {
#ifdef REFINER_HOST_EMULATION
    for (int i = 0; i < 8; i++) p[i] = v[i];
#else
    reinterpret_cast<float4*>(p)[0] = make_float4(v[0], v[1], v[2], v[3]);
    reinterpret_cast<float4*>(p)[1] = make_float4(v[4], v[5], v[6], v[7]);
#endif
}

__device__ __forceinline__ float gelu_erf(float x) { return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f)); }
__device__ __forceinline__ float sigmoid(float x) { return 1.0f / (1.0f + __expf(-x)); }
__device__ __forceinline__ float silu(float x) { return x * sigmoid(x); }
