// conv.cu: 2-D convolution of NCHW images as an implicit GEMM: rows are output pixels
// (M = B*OH*OW), columns output channels (N = O), the reduction runs over c*k*k + ky*k + kx
// (K = C*k*k), so the weight w[O, C, k, k] is already the [N, K] operand. Zero padding is applied
// by the gather; the im2col matrix is never written. Main loops in gemm_core.cuh (version history
// there).
//
//   conv2d_f16  tensor cores, grid (ceil(O/128), ceil(B*OH*OW/128)), 256 threads
//   conv2d_f32       SIMT fp32, grid (ceil(O/128), ceil(B*OH*OW/128)), 256 threads
//   conv2d_nhwc_f16  tensor cores as conv2d_f16, on a channels-last image and [O, k, k, C] weight (C % 8 == 0)
//   conv2d_nhwc_f32  SIMT as conv2d_f32, on a channels-last image and [O, k, k, C] weight (C % 4 == 0)
#include "gemm_core.cuh"

extern "C" __global__ void __launch_bounds__(tc::THREADS)
conv2d_f16(const half* __restrict__ x, const half* __restrict__ w, const half* __restrict__ bias, half* __restrict__ y,
           int B, int C, int H, int W, int O, int ks, int stride, int pad, int OH, int OW) {
    tc_gemm<CONV>(x, w, bias, y, B * OH * OW, O, C * ks * ks, ConvGeom{C, H, W, ks, stride, pad, OH, OW});
}

extern "C" __global__ void __launch_bounds__(simt::THREADS)
conv2d_f32(const float* __restrict__ x, const float* __restrict__ w, const float* __restrict__ bias,
           float* __restrict__ y, int B, int C, int H, int W, int O, int ks, int stride, int pad, int OH, int OW) {
    simt_gemm<CONV>(x, w, bias, y, B * OH * OW, O, C * ks * ks, ConvGeom{C, H, W, ks, stride, pad, OH, OW});
}

// x is channels-last [B, H, W, C] and w [O, ks, ks, C] (C % 8 == 0); y is NCHW [B, O, OH, OW].
extern "C" __global__ void __launch_bounds__(tc::THREADS)
conv2d_nhwc_f16(const half* __restrict__ x, const half* __restrict__ w, const half* __restrict__ bias, half* __restrict__ y,
                int B, int C, int H, int W, int O, int ks, int stride, int pad, int OH, int OW) {
    tc_gemm<CONV_NHWC>(x, w, bias, y, B * OH * OW, O, C * ks * ks, ConvGeom{C, H, W, ks, stride, pad, OH, OW});
}

// x is channels-last [B, H, W, C] and w [O, ks, ks, C] (C % 4 == 0); y is NCHW [B, O, OH, OW].
extern "C" __global__ void __launch_bounds__(simt::THREADS)
conv2d_nhwc_f32(const float* __restrict__ x, const float* __restrict__ w, const float* __restrict__ bias,
                float* __restrict__ y, int B, int C, int H, int W, int O, int ks, int stride, int pad, int OH, int OW) {
    simt_gemm<CONV_NHWC>(x, w, bias, y, B * OH * OW, O, C * ks * ks, ConvGeom{C, H, W, ks, stride, pad, OH, OW});
}
