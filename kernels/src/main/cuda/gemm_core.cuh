// gemm_core.cuh: the matrix-product main loops shared by gemm.cu (dense layers) and conv.cu
// (convolution as an implicit GEMM).
//
// Both compute C[M, N] = A[M, K] * B[N, K]^T + bias[N] with fp32 accumulation, where B is always
// a weight matrix [N, K] (K contiguous) and A is either a row-major activation [M, K] (LINEAR) or
// the im2col matrix of an NCHW image, gathered on the fly and never stored (CONV: rows are output
// pixels b*OH*OW + oh*OW + ow, columns are c*k*k + ky*k + kx; C is written back as NCHW), or of a
// channels-last image (CONV_NHWC: columns (ky*k + kx)*C + c, output NCHW).
//
// Versions:
//   v1  tensor-core path (fp16): 128x128x32 block tile, 8 warps of 64x32, WMMA 16x16x16 with fp32
//       accumulators; B (and A for LINEAR) staged with cp.async into two shared-memory stages so the
//       copy of tile k+1 overlaps the products of tile k; the CONV gather of tile k+1 goes through
//       registers while tile k is multiplied. Rows padded by 8 halfs (16 bytes) against bank
//       conflicts. When K % 8 != 0 or a pointer is not 16-byte aligned, the same kernel falls back
//       to plain element loads. Epilogue stages one 16x16 fragment per warp in shared memory and
//       writes 8 contiguous outputs per lane, bias added in fp32.
//       SIMT path (fp32 mode, used by the fp32 VAE): 64x64x16 tile, 4x4 outputs per thread.
//       CONV_NHWC on the tensor-core path (devices without wgmma): the convolution over a
//       channels-last image, its A tile copied by cp.async 8 channels at a time like LINEAR's
//       instead of gathered element by element.
//   v2  SIMT path: 128x128x8 tile, 8x8 outputs per thread (64 fmas per 16 shared-memory reads),
//       two shared-memory buffers filled from registers, so the global loads of tile k+1 overlap
//       the products of tile k with one barrier per tile; 16-byte loads where K % 4 == 0.
//       CONV_NHWC: the convolution on a channels-last image and a [O, ky, kx, C] weight (C % 4 ==
//       0), whose im2col rows are runs of 4 channels of one pixel: one 16-byte load and one
//       index decode per 4 elements instead of one per element.
#pragma once
#include "common.cuh"
#include <mma.h>

enum GemmMode { LINEAR = 0, CONV = 1, CONV_NHWC = 2 };

// Geometry of the CONV operand A: x[B, C, H, W], square kernel ks, stride, padding.
struct ConvGeom {
    int C, H, W, ks, stride, pad, OH, OW;
};

// The A element (pixel row p, column k) of the implicit im2col matrix; 0 outside the image.
template <typename T>
__device__ __forceinline__ T conv_a(const T* __restrict__ x, const ConvGeom& g, int b, int ih0, int iw0, int k) {
    const int kk = g.ks * g.ks;
    const int c = k / kk;
    const int rem = k - c * kk;
    const int ky = rem / g.ks;
    const int kx = rem - ky * g.ks;
    const int ih = ih0 + ky, iw = iw0 + kx;
    if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) return T(0.0f);
    return x[((size_t)(b * g.C + c) * g.H + ih) * g.W + iw];
}

// Writes one result: row-major C for LINEAR, NCHW y for CONV (n is the output channel there).
template <int MODE, typename T>
__device__ __forceinline__ void gemm_store(T* __restrict__ out, const T* __restrict__ bias, int m, int n, int N,
                                           int ohw, float v) {
    if (bias != nullptr) v += ld(bias + n);
    if (MODE == LINEAR) {
        st(out + (size_t)m * N + n, v);
    } else {
        const int b = m / ohw, q = m - b * ohw;
        st(out + ((size_t)b * N + n) * ohw + q, v);
    }
}

namespace tc {
constexpr int BM = 128, BN = 128, BK = 32, LDS = BK + 8, THREADS = 256;
constexpr int STAGE_HALFS = (BM + BN) * LDS;
constexpr int SMEM_BYTES = 2 * STAGE_HALFS * 2;
}  // namespace tc

// Tensor-core GEMM body; blockIdx.x tiles N, blockIdx.y tiles M; 256 threads.
template <int MODE>
__device__ __forceinline__ void tc_gemm(const half* __restrict__ A, const half* __restrict__ Bw,
                                        const half* __restrict__ bias, half* __restrict__ out, int M, int N, int K,
                                        ConvGeom g) {
    using namespace nvcuda;
    using namespace tc;
    __shared__ __align__(128) unsigned char smem_raw[SMEM_BYTES];
    half* smem = reinterpret_cast<half*>(smem_raw);

    const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
    const int wm = warp >> 2, wn = warp & 3;  // 2 x 4 warps, each 64 x 32
    const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
    const int ohw = g.OH * g.OW;

    const bool vecB = (K % 8 == 0) && ((reinterpret_cast<uintptr_t>(Bw) & 15) == 0);
    const bool vecA = MODE == LINEAR && (K % 8 == 0) && ((reinterpret_cast<uintptr_t>(A) & 15) == 0);

    // CONV: this thread gathers column (tid >> 7) + 2 i of row (tid & 127) of each A tile.
    const int am = tid & (BM - 1), ak = tid >> 7;
    int cb = 0, ih0 = 0, iw0 = 0;
    const bool arow = m0 + am < M;
    if (MODE == CONV && arow) {
        const int p = m0 + am;
        cb = p / ohw;
        const int q = p - cb * ohw;
        const int oh = q / g.OW, ow = q - (q / g.OW) * g.OW;
        ih0 = oh * g.stride - g.pad;
        iw0 = ow * g.stride - g.pad;
    }
    half areg[BK / 2];

    // CONV_NHWC: this thread copies chunk (tid & 3) of rows (tid >> 2) and (tid >> 2) + 64: 8
    // channels of one pixel at (ky, kx) of its window; rows outside the image stay zero.
    int nb[2], nih[2], niw[2];
    if (MODE == CONV_NHWC) {
#pragma unroll
        for (int i = 0; i < 2; i++) {
            const int p = m0 + (tid >> 2) + 64 * i, b = p / ohw, q = p - b * ohw, oh = q / g.OW;
            nb[i] = b;
            nih[i] = p < M ? oh * g.stride - g.pad : -(1 << 20);  // a row past M reads nothing
            niw[i] = (q - oh * g.OW) * g.stride - g.pad;
        }
    }

    auto As = [&](int s) { return smem + s * STAGE_HALFS; };
    auto Bs = [&](int s) { return smem + s * STAGE_HALFS + BM * LDS; };

    // Starts the copy of k-tile kt into stage s (cp.async or plain loads; CONV A into registers).
    auto load_tile = [&](int kt, int s) {
        const int k0 = kt * BK;
        half* bs = Bs(s);
        if (vecB) {
#pragma unroll
            for (int i = 0; i < 2; i++) {
                const int c = tid + i * THREADS, r = c >> 2, col = (c & 3) * 8;
                const bool ok = n0 + r < N && k0 + col < K;
                cp_async16(bs + r * LDS + col, ok ? Bw + (size_t)(n0 + r) * K + k0 + col : Bw, ok);
            }
        } else {
            for (int i = 0; i < BN * BK / THREADS; i++) {
                const int e = tid + i * THREADS, r = e / BK, col = e % BK;
                const bool ok = n0 + r < N && k0 + col < K;
                bs[r * LDS + col] = ok ? Bw[(size_t)(n0 + r) * K + k0 + col] : __float2half(0.0f);
            }
        }
        half* as = As(s);
        if (MODE == LINEAR) {
            if (vecA) {
#pragma unroll
                for (int i = 0; i < 2; i++) {
                    const int c = tid + i * THREADS, r = c >> 2, col = (c & 3) * 8;
                    const bool ok = m0 + r < M && k0 + col < K;
                    cp_async16(as + r * LDS + col, ok ? A + (size_t)(m0 + r) * K + k0 + col : A, ok);
                }
            } else {
                for (int i = 0; i < BM * BK / THREADS; i++) {
                    const int e = tid + i * THREADS, r = e / BK, col = e % BK;
                    const bool ok = m0 + r < M && k0 + col < K;
                    as[r * LDS + col] = ok ? A[(size_t)(m0 + r) * K + k0 + col] : __float2half(0.0f);
                }
            }
        } else if (MODE == CONV) {
#pragma unroll
            for (int i = 0; i < BK / 2; i++) {
                const int k = k0 + ak + 2 * i;
                areg[i] = (arow && k < K) ? conv_a(A, g, cb, ih0, iw0, k) : __float2half(0.0f);
            }
        } else {  // k = (ky * ks + kx) * C + ci with C % 8 == 0
            const int col = (tid & 3) * 8, k = k0 + col;
            const int kyx = k / g.C, ci = k - kyx * g.C, ky = kyx / g.ks, kx = kyx - ky * g.ks;
#pragma unroll
            for (int i = 0; i < 2; i++) {
                const int r = (tid >> 2) + 64 * i, ih = nih[i] + ky, iw = niw[i] + kx;
                const bool ok = k < K && (unsigned)ih < (unsigned)g.H && (unsigned)iw < (unsigned)g.W;
                cp_async16(as + r * LDS + col, ok ? A + (((size_t)nb[i] * g.H + ih) * g.W + iw) * g.C + ci : A, ok);
            }
        }
        cp_async_commit();
    };
    auto store_areg = [&](int s) {
        half* as = As(s);
#pragma unroll
        for (int i = 0; i < BK / 2; i++) as[am * LDS + ak + 2 * i] = areg[i];
    };

    wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[4][2];
#pragma unroll
    for (int i = 0; i < 4; i++)
#pragma unroll
        for (int j = 0; j < 2; j++) wmma::fill_fragment(acc[i][j], 0.0f);

    const int ktiles = (K + BK - 1) / BK;
    load_tile(0, 0);
    if (MODE == CONV) store_areg(0);
    for (int kt = 0; kt < ktiles; kt++) {
        const int s = kt & 1;
        if (kt + 1 < ktiles) {
            load_tile(kt + 1, s ^ 1);
            cp_async_wait<1>();
        } else {
            cp_async_wait<0>();
        }
        __syncthreads();
        const half* as = As(s);
        const half* bs = Bs(s);
#pragma unroll
        for (int kk = 0; kk < BK; kk += 16) {
            wmma::fragment<wmma::matrix_b, 16, 16, 16, half, wmma::col_major> bf[2];
#pragma unroll
            for (int j = 0; j < 2; j++) wmma::load_matrix_sync(bf[j], bs + (wn * 32 + j * 16) * LDS + kk, LDS);
#pragma unroll
            for (int i = 0; i < 4; i++) {
                wmma::fragment<wmma::matrix_a, 16, 16, 16, half, wmma::row_major> af;
                wmma::load_matrix_sync(af, as + (wm * 64 + i * 16) * LDS + kk, LDS);
#pragma unroll
                for (int j = 0; j < 2; j++) wmma::mma_sync(acc[i][j], af, bf[j], acc[i][j]);
            }
        }
        __syncthreads();
        if (MODE == CONV && kt + 1 < ktiles) store_areg(s ^ 1);
    }

    // Epilogue: one 16x16 fp32 fragment at a time through this warp's 1 KB of shared memory.
    float* stage = reinterpret_cast<float*>(smem_raw) + warp * 256;
#pragma unroll
    for (int i = 0; i < 4; i++) {
#pragma unroll
        for (int j = 0; j < 2; j++) {
            wmma::store_matrix_sync(stage, acc[i][j], 16, wmma::mem_row_major);
            __syncwarp();
            const int mb = m0 + wm * 64 + i * 16, nb = n0 + wn * 32 + j * 16;
            if (MODE == LINEAR) {  // lane: one row, 8 consecutive columns
                const int r = lane >> 1, c0 = (lane & 1) * 8;
                if (mb + r < M)
                    for (int e = 0; e < 8; e++)
                        if (nb + c0 + e < N) gemm_store<MODE>(out, bias, mb + r, nb + c0 + e, N, ohw, stage[r * 16 + c0 + e]);
            } else {  // lane: one channel, 8 consecutive pixels
                const int c = lane >> 1, r0 = (lane & 1) * 8;
                if (nb + c < N)
                    for (int e = 0; e < 8; e++)
                        if (mb + r0 + e < M) gemm_store<MODE>(out, bias, mb + r0 + e, nb + c, N, ohw, stage[(r0 + e) * 16 + c]);
            }
            __syncwarp();
        }
    }
}

namespace simt {
constexpr int BM = 128, BN = 128, BK = 8, THREADS = 256, LDS = BM + 4;
}

// Four consecutive elements of a row as floats: one 16-byte load for fp32 when `vec`, else one at
// a time; elements at k >= K read as zero.
__device__ __forceinline__ void load4(const float* __restrict__ p, int k, int K, bool vec, float* v) {
#ifndef REFINER_HOST_EMULATION
    if (vec && k + 3 < K) {
        const float4 q = *reinterpret_cast<const float4*>(p);
        v[0] = q.x, v[1] = q.y, v[2] = q.z, v[3] = q.w;
        return;
    }
#endif
    for (int e = 0; e < 4; e++) v[e] = k + e < K ? p[e] : 0.0f;
}

// SIMT GEMM body (fp32 mode); blockIdx.x tiles N, blockIdx.y tiles M; 256 threads, 8x8 outputs each.
template <int MODE>
__device__ __forceinline__ void simt_gemm(const float* __restrict__ A, const float* __restrict__ Bw, const float* __restrict__ bias,
                                          float* __restrict__ out, int M, int N, int K, ConvGeom g) {
    using namespace simt;
    __shared__ __align__(16) float As[2][BK][LDS];
    __shared__ __align__(16) float Bs[2][BK][LDS];
    const int tid = threadIdx.x, tx = tid & 15, ty = tid >> 4;  // outputs: rows 8 ty + i, columns 8 tx + j
    const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
    const int ohw = g.OH * g.OW;
    const bool vec = K % 4 == 0;

    // Loads: this thread fetches row lr, columns lk .. lk + 3 of the A and B tiles.
    const int lr = tid >> 1, lk = (tid & 1) * 4;
    const bool arow = m0 + lr < M, brow = n0 + lr < N;
    int cb = 0, ih0 = 0, iw0 = 0;
    if (MODE != LINEAR && arow) {
        const int p = m0 + lr;
        cb = p / ohw;
        const int q = p - cb * ohw, oh = q / g.OW, ow = q - oh * g.OW;
        ih0 = oh * g.stride - g.pad;
        iw0 = ow * g.stride - g.pad;
    }
    float ra[4], rb[4];
    auto fetch = [&](int k0) {
        const int k = k0 + lk;
        if (MODE == LINEAR) {
            if (arow) load4(A + (size_t)(m0 + lr) * K + k, k, K, vec, ra);
            else for (int e = 0; e < 4; e++) ra[e] = 0.0f;
        } else if (MODE == CONV) {
            for (int e = 0; e < 4; e++) ra[e] = arow && k + e < K ? tof(conv_a(A, g, cb, ih0, iw0, k + e)) : 0.0f;
        } else {  // k = (ky * ks + kx) * C + ci with C % 4 == 0: 4 channels of one pixel
            const int kyx = k / g.C, ci = k - kyx * g.C, ky = kyx / g.ks, kx = kyx - ky * g.ks;
            const int ih = ih0 + ky, iw = iw0 + kx;
            if (arow && k < K && (unsigned)ih < (unsigned)g.H && (unsigned)iw < (unsigned)g.W)
                load4(A + (((size_t)cb * g.H + ih) * g.W + iw) * g.C + ci, 0, 4, true, ra);
            else
                for (int e = 0; e < 4; e++) ra[e] = 0.0f;
        }
        if (brow) load4(Bw + (size_t)(n0 + lr) * K + k, k, K, vec, rb);
        else for (int e = 0; e < 4; e++) rb[e] = 0.0f;
    };
    auto stash = [&](int s) {
        for (int e = 0; e < 4; e++) {
            As[s][lk + e][lr] = ra[e];
            Bs[s][lk + e][lr] = rb[e];
        }
    };

    float acc[8][8];
#pragma unroll
    for (int i = 0; i < 8; i++)
#pragma unroll
        for (int j = 0; j < 8; j++) acc[i][j] = 0.0f;
    fetch(0);
    stash(0);
    __syncthreads();
    for (int k0 = 0, s = 0; k0 < K; k0 += BK, s ^= 1) {
        const bool more = k0 + BK < K;
        if (more) fetch(k0 + BK);  // global loads in flight during the products below
#pragma unroll
        for (int kk = 0; kk < BK; kk++) {
            float a[8], b[8];
#pragma unroll
            for (int i = 0; i < 8; i++) a[i] = As[s][kk][ty * 8 + i];
#pragma unroll
            for (int j = 0; j < 8; j++) b[j] = Bs[s][kk][tx * 8 + j];
#pragma unroll
            for (int i = 0; i < 8; i++)
#pragma unroll
                for (int j = 0; j < 8; j++) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
        }
        if (more) stash(s ^ 1);  // the other buffer: everyone finished reading it before the last barrier
        __syncthreads();
    }
    // Stores run along memory: a row's 8 columns for LINEAR, a channel's 8 pixels otherwise.
#pragma unroll
    for (int t = 0; t < 64; t++) {
        const int i = MODE == LINEAR ? t / 8 : t % 8, j = MODE == LINEAR ? t % 8 : t / 8;
        const int m = m0 + ty * 8 + i, n = n0 + tx * 8 + j;
        if (m < M && n < N) gemm_store<MODE>(out, bias, m, n, N, ohw, acc[i][j]);
    }
}
