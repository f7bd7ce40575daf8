// gemm_wgmma.cu (sm_90a): the fp16 dense layers and convolutions on Hopper's warpgroup matrix
// instructions. Same products as gemm.cu and conv.cu (C[M, N] = A[M, K] * B[N, K]^T + bias,
// fp32 accumulation). CONV takes the image channels-last and the weight as [O, ky, kx, C], so that
// a row of the implicit im2col matrix is made of 16-byte runs of 8 channels; it writes NCHW.
//
// Versions:
//   v1  128x128x64 block tile, 2 warpgroups of 64x128 (wgmma m64n128k16, both operands from
//       shared memory in the 128-byte swizzled layout of wgmma.cuh), 3 shared-memory stages
//       (96 KB, two blocks per SM). B, and A for LINEAR, arrive by cp.async of 16 bytes; CONV
//       gathers A through registers and stores each row's 8-element chunk with one 16-byte store.
//       The loads of tile k+2 are issued while the products of tile k run. Epilogue: bias added in
//       fp32, the tile staged in shared memory as fp16, written with 16-byte stores along rows
//       (LINEAR) or along pixels (CONV). Needs K % 8 == 0 and 16-byte aligned operands; LINEAR
//       also N % 8 == 0, CONV OH*OW % 8 == 0 (the backend falls back to the WMMA kernels otherwise).
//       H100: dense layers 190-453 TFLOP/s on the UNet's shapes, 3x3 convolutions 93-123.
//   v2  CONV reads a channels-last image (the backend transposes it and keeps a [O, ky, kx, C]
//       copy of each weight): every A chunk is 8 channels of one pixel, copied by cp.async with
//       zero fill at the borders, as LINEAR does; the per-element gather is gone. Needs C % 8 == 0;
//       outputs of OH*OW % 8 != 0 are written element by element.
//   v3  A 256-column block tile for products of a multiple of 256 columns (`_n256`: wgmma
//       m64n256k16, 128 accumulators a thread): each byte of A and B staged in shared memory feeds
//       a third more products than with 128 columns, where the 128-column tile needs about 6 TB/s
//       from L2 at 400 TFLOP/s. Its stages take 48 KB, so one block runs per SM, with four stages;
//       to keep the tensor cores busy without a second block, one group of products stays in
//       flight: the products of tile k are issued, then the thread waits for those of tile k - 1,
//       a barrier says every warpgroup has, and only then are the loads of tile k + 3 issued into
//       the stage of tile k - 1. The 128-column kernels are unchanged. Checked by the host
//       emulation; not yet run on a GPU.
#include "../gemm_core.cuh"
#include "wgmma.cuh"

namespace wg {
constexpr int BM = 128, BK = 64, THREADS = 256;
constexpr int A_BYTES = BM * 128;  // 128 rows of 64 halfs
// The block tile BM x BN: its stages, whether a group of products stays in flight (see v3), and
// the bytes of one stage (A, then B's BN rows of 64 halfs).
template <int BN>
struct Tile {
    static constexpr int STAGES = BN == 128 ? 3 : 4;
    static constexpr bool IN_FLIGHT = BN == 256;
    static constexpr int STAGE_BYTES = A_BYTES + BN * 128;
};
}  // namespace wg

// Dynamic shared memory: STAGES * STAGE_BYTES + 1024 bytes (the slack aligns the tiles to 1024
// bytes), set by the launch: 99328 for 128 columns, 197632 for 256. The peak kernel uses one
// 128-column stage of it.
#ifndef REFINER_HOST_EMULATION
extern __shared__ unsigned char smem_dyn[];
#endif

template <int MODE, int BN>
__device__ __forceinline__ void wg_gemm(const half* __restrict__ A, const half* __restrict__ Bw, const half* __restrict__ bias,
                                        half* __restrict__ out, int M, int N, int K, ConvGeom g) {
    using namespace wg;
    constexpr int STAGES = Tile<BN>::STAGES, STAGE_BYTES = Tile<BN>::STAGE_BYTES;
    const uint32_t raw = (uint32_t)__cvta_generic_to_shared(smem_dyn);
    const uint32_t base = (raw + 1023) & ~1023u;
    unsigned char* smem = smem_dyn + (base - raw);

    const int tid = threadIdx.x, wgi = tid >> 7;  // warpgroup wgi computes rows 64 wgi .. 64 wgi + 63
    const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
    const int ohw = g.OH * g.OW;
    const int ktiles = (K + BK - 1) / BK;

    // CONV: this thread copies chunk column (tid & 7) of rows (tid >> 3) + 32 i of each A tile, from
    // the pixel's 8 channels at (ky, kx) of its window; rows outside the image stay zero.
    int ih0[4], iw0[4];
    const half* xrow[4];
    if (MODE == CONV) {
#pragma unroll
        for (int i = 0; i < 4; i++) {
            const int p = m0 + (tid >> 3) + 32 * i;
            const int b = p / ohw, q = p - b * ohw, oh = q / g.OW, ow = q - oh * g.OW;
            xrow[i] = A + (size_t)b * g.H * g.W * g.C;
            ih0[i] = p < M ? oh * g.stride - g.pad : -(1 << 20);  // a row past M reads nothing
            iw0[i] = ow * g.stride - g.pad;
        }
    }

    // Fills stage kt % STAGES with k-tile kt.
    auto load = [&](int kt) {
        const int k0 = kt * BK;
        unsigned char* as = smem + (kt % STAGES) * STAGE_BYTES;
        unsigned char* bs = as + A_BYTES;
#pragma unroll
        for (int i = 0; i < BN / 32; i++) {
            const int e = tid + i * THREADS, r = e >> 3, c = e & 7;
            const bool ok = n0 + r < N && k0 + c * 8 < K;
            cp_async16(bs + swz128(r, c), ok ? Bw + (size_t)(n0 + r) * K + k0 + c * 8 : Bw, ok);
        }
        if (MODE == LINEAR) {
#pragma unroll
            for (int i = 0; i < 4; i++) {
                const int e = tid + i * THREADS, r = e >> 3, c = e & 7;
                const bool ok = m0 + r < M && k0 + c * 8 < K;
                cp_async16(as + swz128(r, c), ok ? A + (size_t)(m0 + r) * K + k0 + c * 8 : A, ok);
            }
        } else {
            const int c = tid & 7, k = k0 + c * 8;  // k = (ky * ks + kx) * C + ci, C % 8 == 0
            const int kyx = k / g.C, ci = k - kyx * g.C, ky = kyx / g.ks, kx = kyx - ky * g.ks;
#pragma unroll
            for (int i = 0; i < 4; i++) {
                const int r = (tid >> 3) + 32 * i, ih = ih0[i] + ky, iw = iw0[i] + kx;
                const bool ok = k < K && (unsigned)ih < (unsigned)g.H && (unsigned)iw < (unsigned)g.W;
                cp_async16(as + swz128(r, c), ok ? xrow[i] + ((size_t)ih * g.W + iw) * g.C + ci : A, ok);
            }
        }
    };

    constexpr int ACC = BN / 2;  // accumulators a thread: 64 x BN over a warpgroup's 128 threads
    float d[ACC];
#pragma unroll
    for (int i = 0; i < ACC; i++) d[i] = 0.0f;

#pragma unroll
    for (int s = 0; s < STAGES - 1; s++) {
        if (s < ktiles) load(s);
        cp_async_commit();
    }
    for (int kt = 0; kt < ktiles; kt++) {
        cp_async_wait<STAGES - 2>();  // this thread's copies of tile kt have landed
        fence_async_shared();
        __syncthreads();  // everyone's have; (128 columns) every warpgroup is done with tile kt - 1
        const uint32_t as = base + (kt % STAGES) * STAGE_BYTES;
        const uint64_t da = wgmma_desc(as + wgi * 64 * 128), db = wgmma_desc(as + A_BYTES);
        wgmma_fence();
#pragma unroll
        for (int k = 0; k < BK / 16; k++) {
            if constexpr (BN == 128) wgmma_m64n128k16(d, da + 2 * k, db + 2 * k);
            else wgmma_m64n256k16(d, da + 2 * k, db + 2 * k);
        }
        wgmma_commit();
        if constexpr (Tile<BN>::IN_FLIGHT) {
            wgmma_wait<1>();  // this warpgroup's products of tile kt - 1 are done; those of tile kt run on
            __syncthreads();  // every warpgroup's are: the stage of tile kt - 1 is free
        }
        if (kt + STAGES - 1 < ktiles) load(kt + STAGES - 1);  // into the stage of tile kt - 1
        cp_async_commit();
        if constexpr (!Tile<BN>::IN_FLIGHT) {
            wgmma_wait<0>();
#pragma unroll
            for (int i = 0; i < ACC; i++) wgmma_hold(d[i]);
        }
    }
    if constexpr (Tile<BN>::IN_FLIGHT) {
        wgmma_wait<0>();
#pragma unroll
        for (int i = 0; i < ACC; i++) wgmma_hold(d[i]);
    }
    cp_async_wait<0>();
    __syncthreads();

    // Epilogue: LINEAR stages the tile as [row][column], CONV as [channel][pixel]; rows of whole
    // lines plus 8 halfs, so the fragment stores do not conflict.
    constexpr int LDE = (MODE == LINEAR ? BN : BM) + 8, LINES = MODE == LINEAR ? BM : BN, CHUNKS = (LDE - 8) / 8;
    half* e = reinterpret_cast<half*>(smem);
    const int lane = tid & 31, warp = (tid >> 5) & 3;
    const int rb = wgi * 64 + warp * 16 + (lane >> 2);
#pragma unroll
    for (int j = 0; j < BN / 8; j++) {
        const int n = 8 * j + 2 * (lane & 3);
        const float b0 = bias != nullptr && n0 + n < N ? ld(bias + n0 + n) : 0.0f;
        const float b1 = bias != nullptr && n0 + n + 1 < N ? ld(bias + n0 + n + 1) : 0.0f;
#pragma unroll
        for (int i = 0; i < 2; i++) {
            const int r = rb + 8 * i;
            const float v0 = d[4 * j + 2 * i] + b0, v1 = d[4 * j + 2 * i + 1] + b1;
            if (MODE == LINEAR) {
                *reinterpret_cast<half2*>(e + r * LDE + n) = __floats2half2_rn(v0, v1);
            } else {
                e[n * LDE + r] = __float2half_rn(v0);
                e[(n + 1) * LDE + r] = __float2half_rn(v1);
            }
        }
    }
    __syncthreads();
#pragma unroll
    for (int i = 0; i < LINES * CHUNKS / THREADS; i++) {  // lines of chunks of 8 halfs
        const int q = tid + i * THREADS, line = q / CHUNKS, c = q % CHUNKS;
        const uint4 v = *reinterpret_cast<const uint4*>(e + line * LDE + c * 8);
        if (MODE == LINEAR) {
            const int m = m0 + line, n = n0 + c * 8;
            if (m < M && n < N) *reinterpret_cast<uint4*>(out + (size_t)m * N + n) = v;
        } else {
            const int n = n0 + line, m = m0 + c * 8;
            if (n < N && m < M) {
                const int b = m / ohw, p = m - b * ohw;
                if (ohw % 8 == 0) {
                    *reinterpret_cast<uint4*>(out + ((size_t)b * N + n) * ohw + p) = v;
                } else {
                    const uint32_t w4[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
                    for (int t = 0; t < 8; t++) {
                        const int bt = (m + t) / ohw, pt = m + t - bt * ohw;
                        const unsigned short bits = (unsigned short)(w4[t / 2] >> (16 * (t % 2)));
                        if (m + t < M) out[((size_t)bt * N + n) * ohw + pt] = __ushort_as_half(bits);
                    }
                }
            }
        }
    }
}

extern "C" __global__ void __launch_bounds__(wg::THREADS, 2)
linear_wgmma(const half* __restrict__ x, const half* __restrict__ w, const half* __restrict__ bias, half* __restrict__ y,
             int M, int N, int K) {
    wg_gemm<LINEAR, 128>(x, w, bias, y, M, N, K, ConvGeom{0, 0, 0, 1, 1, 0, 1, 1});
}

// N % 256 == 0.
extern "C" __global__ void __launch_bounds__(wg::THREADS, 1)
linear_wgmma_n256(const half* __restrict__ x, const half* __restrict__ w, const half* __restrict__ bias, half* __restrict__ y,
                  int M, int N, int K) {
    wg_gemm<LINEAR, 256>(x, w, bias, y, M, N, K, ConvGeom{0, 0, 0, 1, 1, 0, 1, 1});
}

// x is channels-last [B, H, W, C] and w [O, ks, ks, C] (C % 8 == 0); y is NCHW [B, O, OH, OW].
extern "C" __global__ void __launch_bounds__(wg::THREADS, 2)
conv2d_wgmma(const half* __restrict__ x, const half* __restrict__ w, const half* __restrict__ bias, half* __restrict__ y,
             int B, int C, int H, int W, int O, int ks, int stride, int pad, int OH, int OW) {
    wg_gemm<CONV, 128>(x, w, bias, y, B * OH * OW, O, C * ks * ks, ConvGeom{C, H, W, ks, stride, pad, OH, OW});
}

// As conv2d_wgmma, O % 256 == 0.
extern "C" __global__ void __launch_bounds__(wg::THREADS, 1)
conv2d_wgmma_n256(const half* __restrict__ x, const half* __restrict__ w, const half* __restrict__ bias, half* __restrict__ y,
                  int B, int C, int H, int W, int O, int ks, int stride, int pad, int OH, int OW) {
    wg_gemm<CONV, 256>(x, w, bias, y, B * OH * OW, O, C * ks * ks, ConvGeom{C, H, W, ks, stride, pad, OH, OW});
}

// The ceiling of this instruction: each warpgroup chains wgmma m64n128k16 on one shared-memory
// tile of seeded values, 16 products per commit; one iteration = 16 * 2 * 64 * 128 * 16 flops.
extern "C" __global__ void __launch_bounds__(wg::THREADS)
peak_wgmma_f16(float* __restrict__ out, int iters) {
    const uint32_t raw = (uint32_t)__cvta_generic_to_shared(smem_dyn);
    const uint32_t base = (raw + 1023) & ~1023u;
    half* h = reinterpret_cast<half*>(smem_dyn + (base - raw));
    for (int i = threadIdx.x; i < wg::Tile<128>::STAGE_BYTES / 2; i += blockDim.x)
        h[i] = __float2half((float)((i * 2654435761u) >> 24) / 65536.0f - 1.0f / 512);
    fence_async_shared();
    __syncthreads();
    const int wgi = threadIdx.x >> 7;
    const uint64_t da = wgmma_desc(base + wgi * 64 * 128), db = wgmma_desc(base + wg::A_BYTES);
    float d[64];
#pragma unroll
    for (int i = 0; i < 64; i++) d[i] = 0.0f;
    for (int it = 0; it < iters; it++) {
        wgmma_fence();
#pragma unroll
        for (int r = 0; r < 4; r++)
#pragma unroll
            for (int k = 0; k < 4; k++) wgmma_m64n128k16(d, da + 2 * k, db + 2 * k);
        wgmma_commit();
        wgmma_wait<0>();
#pragma unroll
        for (int i = 0; i < 64; i++) wgmma_hold(d[i]);
    }
    float s = 0.0f;
#pragma unroll
    for (int i = 0; i < 64; i++) s += d[i];
    if (s == 12345.0f) out[blockIdx.x] = s;  // keeps the products alive; never true for these values
}
