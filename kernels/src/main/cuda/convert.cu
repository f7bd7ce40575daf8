// convert.cu: fp16 <-> fp32 conversion, used to upload host floats into fp16 activations and to
// download fp16 activations as floats. Round to nearest even on the way down; overflow gives inf.
//
// Versions:
//   v1  grid-stride loops, one element per thread per step.
//
//   f32_to_f16  x[n] float -> y[n] half
//   f16_to_f32  x[n] half  -> y[n] float
#include "common.cuh"

extern "C" __global__ void f32_to_f16(const float* __restrict__ x, half* __restrict__ y, long long n) {
    GRID_STRIDE(i, n) y[i] = __float2half_rn(x[i]);
}

extern "C" __global__ void f16_to_f32(const half* __restrict__ x, float* __restrict__ y, long long n) {
    GRID_STRIDE(i, n) y[i] = __half2float(x[i]);
}
