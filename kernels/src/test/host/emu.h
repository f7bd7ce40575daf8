// emu.h: runs the CUDA kernels of kernels/src/main/cuda on the CPU, one std::thread per CUDA
// thread, so their indexing, masking and algorithms can be checked on a machine without a GPU.
// Blocks run one after another (so __shared__ may be a plain static); __syncthreads and
// __syncwarp are barriers over the block and the warp; warp shuffles go through a per-warp
// exchange slot; cp.async copies are queued per thread and land only at cp.async.wait_group, or
// (built with REFINER_EMU_EAGER_COPIES) at once, the two extremes the device allows; WMMA
// fragments hold the whole 16x16 tile in every lane; mma.sync m16n8k16 and ldmatrix exchange the
// lanes' registers through the warp and rebuild the PTX fragment layouts. wgmma (sm_90a) products
// are queued per thread and computed at wgmma.wait_group from shared memory as it is then, each
// thread its own accumulators, reading operands through the 128-byte swizzle of their
// descriptors. mbarriers count arrivals and expected copy bytes and flip their phase under one
// lock; a thread's cp.async copies tracked by an mbarrier land just before its arrival; a tensor
// memory accelerator copy lands at once and counts its bytes. It cannot show races that depend
// on real timing, nor speed.
#pragma once
#include <barrier>
#include <condition_variable>
#include <mutex>
#include <unordered_map>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#define REFINER_HOST_EMULATION 1
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __restrict__
#define __launch_bounds__(...)
#define __shared__ static
#define __align__(n) __attribute__((aligned(n)))
#define __grid_constant__

struct dim3e { unsigned x = 1, y = 1, z = 1; };
inline thread_local dim3e threadIdx, blockIdx;
inline dim3e blockDim, gridDim;

// ---- fp16 -------------------------------------------------------------------------------------
struct half {
    _Float16 v;
    half() = default;
    half(float f) : v((_Float16)f) {}
    operator float() const { return (float)v; }
};
using __half = half;
inline half __float2half_rn(float f) { return half(f); }
inline half __float2half(float f) { return half(f); }
inline float __half2float(half h) { return (float)h.v; }
inline float __expf(float x) { return std::exp(x); }
struct half2 {
    half x, y;
};
struct uint4 {
    uint32_t x, y, z, w;
};
inline half __ushort_as_half(unsigned short b) {
    half h;
    std::memcpy(&h, &b, 2);
    return h;
}
inline unsigned short __half_as_ushort(half h) {
    unsigned short b;
    std::memcpy(&b, &h, 2);
    return b;
}
inline half2 __floats2half2_rn(float a, float b) { return {half(a), half(b)}; }
inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
using std::erff;
using std::fmaxf;
using std::fmaf;
using std::min;

// ---- barriers and warp exchange ---------------------------------------------------------------
// What a lane hands the rest of its warp in a collective: registers, or a row address.
struct LaneData {
    uint32_t u[10];
    const half* p;
};
struct BlockCtx {
    std::unique_ptr<std::barrier<>> block;
    std::vector<std::unique_ptr<std::barrier<>>> warps;
    std::vector<float> slots;
    std::vector<LaneData> lanes;
};
inline BlockCtx* g_ctx;
inline void __syncthreads() { g_ctx->block->arrive_and_wait(); }
inline void __syncwarp(unsigned = 0xffffffffu) { g_ctx->warps[threadIdx.x / 32 + threadIdx.y * blockDim.x / 32]->arrive_and_wait(); }
inline int flat_tid() { return threadIdx.x + threadIdx.y * blockDim.x; }
inline float __shfl_xor_sync(unsigned, float v, int o) {
    const int t = flat_tid(), lane = t & 31, base = t - lane;
    g_ctx->slots[t] = v;
    __syncwarp();
    const float r = g_ctx->slots[base + (lane ^ o)];
    __syncwarp();
    return r;
}

// ---- mma.sync m16n8k16 (f16 x f16 -> f32, row.col) and ldmatrix, as the PTX ISA lays them out -------
inline uint32_t emu_pack(half lo, half hi) {
    uint16_t l, h;
    std::memcpy(&l, &lo, 2);
    std::memcpy(&h, &hi, 2);
    return l | (uint32_t)h << 16;
}
inline float emu_half(uint32_t u, int hi) {
    const uint16_t b = (uint16_t)(u >> (16 * hi));
    half h;
    std::memcpy(&h, &b, 2);
    return h;
}

// c[16 x 8] += a[16 x 16] b[16 x 8] over the warp; lane l = 4 g + q holds a: (g, 2q), (g + 8, 2q),
// (g, 2q + 8), (g + 8, 2q + 8) pairs; b: k = 2q and 2q + 8 pairs at n = g; c: (g, 2q), (g + 8, 2q) pairs.
inline void emu_mma16816(float* c, const uint32_t* a, uint32_t b0, uint32_t b1) {
    const int t = flat_tid(), lane = t & 31, base = t - lane;
    LaneData& me = g_ctx->lanes[t];
    for (int i = 0; i < 4; i++) me.u[i] = a[i];
    me.u[4] = b0;
    me.u[5] = b1;
    for (int i = 0; i < 4; i++) std::memcpy(&me.u[6 + i], &c[i], 4);
    __syncwarp();
    float A[16][16], B[16][8], C[16][8];
    for (int l = 0; l < 32; l++) {
        const LaneData& o = g_ctx->lanes[base + l];
        const int g = l >> 2, q = l & 3;
        for (int e = 0; e < 2; e++) {
            A[g][2 * q + e] = emu_half(o.u[0], e);
            A[g + 8][2 * q + e] = emu_half(o.u[1], e);
            A[g][2 * q + 8 + e] = emu_half(o.u[2], e);
            A[g + 8][2 * q + 8 + e] = emu_half(o.u[3], e);
            B[2 * q + e][g] = emu_half(o.u[4], e);
            B[2 * q + 8 + e][g] = emu_half(o.u[5], e);
            std::memcpy(&C[g][2 * q + e], &o.u[6 + e], 4);
            std::memcpy(&C[g + 8][2 * q + e], &o.u[8 + e], 4);
        }
    }
    __syncwarp();
    const int g = lane >> 2, q = lane & 3;
    for (int i = 0; i < 4; i++) {
        const int r = g + 8 * (i >> 1), n = 2 * q + (i & 1);
        float s = C[r][n];
        for (int k = 0; k < 16; k++) s += A[r][k] * B[k][n];
        c[i] = s;
    }
}

// Four 8x8 matrices of halfs, row r of matrix i at the address lane 8 i + r gives; lane l gets
// row l / 4, elements 2 (l % 4) and + 1 of each (with `trans`, column l / 4, rows 2 (l % 4) and + 1).
inline void emu_ldmatrix_x4(uint32_t* r, const half* p, bool trans) {
    const int t = flat_tid(), lane = t & 31, base = t - lane;
    g_ctx->lanes[t].p = p;
    __syncwarp();
    for (int i = 0; i < 4; i++) {
        if (!trans) {
            const half* row = g_ctx->lanes[base + 8 * i + lane / 4].p;
            r[i] = emu_pack(row[2 * (lane % 4)], row[2 * (lane % 4) + 1]);
        } else {
            const half* r0 = g_ctx->lanes[base + 8 * i + 2 * (lane % 4)].p;
            const half* r1 = g_ctx->lanes[base + 8 * i + 2 * (lane % 4) + 1].p;
            r[i] = emu_pack(r0[lane / 4], r1[lane / 4]);
        }
    }
    __syncwarp();
}

// ---- cp.async: queued, performed at wait_group -----------------------------------------------
struct CopyOp { void* dst; const void* src; bool valid; };
inline thread_local std::vector<std::vector<CopyOp>> t_groups;
inline thread_local std::vector<CopyOp> t_open;
#ifdef REFINER_EMU_EAGER_COPIES
// Copies land at once: a stage refilled while products still read it shows up.
inline void cp_async16(void* smem, const void* gmem, bool valid) {
    if (valid) std::memcpy(smem, gmem, 16);
    else std::memset(smem, 0, 16);
}
#else
// Copies land at the wait: a stage read before its copies were waited for shows up.
inline void cp_async16(void* smem, const void* gmem, bool valid) { t_open.push_back({smem, gmem, valid}); }
#endif
inline void cp_async_commit() { t_groups.push_back(std::move(t_open)); t_open.clear(); }
template <int N>
inline void cp_async_wait() {
    while ((int)t_groups.size() > N) {
        for (auto& c : t_groups.front()) {
            if (c.valid) std::memcpy(c.dst, c.src, 16);
            else std::memset(c.dst, 0, 16);
        }
        t_groups.erase(t_groups.begin());
    }
}

// ---- mbarrier (sm_90): one table of barriers, keyed by address, under one lock ------------------
struct EmuBar { int count, pending; uint32_t phase; long long tx; };
inline std::mutex g_bar_lock;
inline std::condition_variable g_bar_cv;
inline std::unordered_map<const void*, EmuBar> g_bars;
inline void emu_mbar_init(uint64_t* bar, int count) {
    std::lock_guard<std::mutex> l(g_bar_lock);
    g_bars[bar] = {count, count, 0, 0};
}
// A phase completes once its arrivals are in and its expected copy bytes have landed.
inline void emu_mbar_settle(EmuBar& b) {
    if (b.pending == 0 && b.tx == 0) {
        b.phase++;
        b.pending = b.count;
        g_bar_cv.notify_all();
    }
}
inline void emu_mbar_arrive(uint64_t* bar) {
    std::lock_guard<std::mutex> l(g_bar_lock);
    EmuBar& b = g_bars.at(bar);
    --b.pending;
    emu_mbar_settle(b);
}
inline void emu_mbar_expect_tx(uint64_t* bar, uint32_t bytes) {
    std::lock_guard<std::mutex> l(g_bar_lock);
    EmuBar& b = g_bars.at(bar);
    b.tx += bytes;
    --b.pending;
    emu_mbar_settle(b);
}
inline void emu_mbar_wait(uint64_t* bar, uint32_t parity) {
    std::unique_lock<std::mutex> l(g_bar_lock);
    g_bar_cv.wait(l, [&] { return (g_bars.at(bar).phase & 1) != parity; });
}
// The arrival follows this thread's copies, which land first (at the latest moment the device allows).
inline void emu_cp_async_mbar_arrive(uint64_t* bar) {
    cp_async_commit();
    cp_async_wait<0>();
    emu_mbar_arrive(bar);
}

// ---- dynamic shared memory and wgmma (sm_90a) -------------------------------------------------
// The wgmma kernels' dynamic shared memory: blocks run one after another, so one buffer serves
// them all. It is the shared window's address 0, 1024-byte aligned as a real window's start is.
alignas(1024) inline unsigned char smem_dyn[232448];
inline uint32_t __cvta_generic_to_shared(const void* p) { return (uint32_t)(static_cast<const unsigned char*>(p) - smem_dyn); }

// ---- tensor memory accelerator (sm_90): the emulation's own tile descriptor, in the 128 bytes of a
// kernel's TensorMap parameter; a copy lands at once, through the 128-byte swizzle of the shared
// address bits, zeros outside the matrix, then counts its bytes on the mbarrier.
struct EmuTensorMap { const unsigned char* base; uint64_t cols, rows, row_bytes; uint32_t box_cols, box_rows; };
inline void emu_tensor_map_2d(void* map, const void* base, uint64_t cols, uint64_t rows, uint32_t box_cols, uint32_t box_rows) {
    static_assert(sizeof(EmuTensorMap) <= 128);
    *static_cast<EmuTensorMap*>(map) = {static_cast<const unsigned char*>(base), cols, rows, cols * 2, box_cols, box_rows};
}
inline void emu_tma_load_2d(void* dst, const void* map, int x, int y, uint64_t* bar) {
    const EmuTensorMap& m = *static_cast<const EmuTensorMap*>(map);
    const uint32_t start = (uint32_t)(static_cast<unsigned char*>(dst) - smem_dyn);
    if (start % 1024 != 0) throw std::runtime_error("tma: destination not 1024-byte aligned");
    for (uint32_t r = 0; r < m.box_rows; r++)
        for (uint32_t c = 0; c < m.box_cols / 8; c++) {
            uint32_t addr = start + r * 128 + c * 16;
            addr ^= ((addr >> 7) & 7) << 4;
            const uint64_t row = (uint64_t)y + r, col = (uint64_t)x + 8 * c;
            if (row < m.rows && col < m.cols) std::memcpy(smem_dyn + addr, m.base + row * m.row_bytes + col * 2, 16);
            else std::memset(smem_dyn + addr, 0, 16);
        }
    std::lock_guard<std::mutex> l(g_bar_lock);
    EmuBar& b = g_bars.at(bar);
    b.tx -= (long long)m.box_rows * m.box_cols * 2;
    emu_mbar_settle(b);
}

struct WgmmaOp { float* d; uint64_t a, b; int n; };
inline thread_local std::vector<WgmmaOp> t_wg_open;
inline thread_local std::vector<std::vector<WgmmaOp>> t_wg_groups;

// Element (r, k) of a K-major operand in the 128-byte swizzled layout its descriptor names: rows of
// 128 bytes, groups of 8 rows the stride byte offset apart, and the 16-byte chunk bits [4, 7) of
// the absolute shared address XORed with its bits [7, 10).
inline float emu_wgmma_elem(uint64_t desc, int r, int k) {
    const uint32_t start = (uint32_t)(desc & 0x3FFF) << 4, stride = (uint32_t)((desc >> 32) & 0x3FFF) << 4;
    uint32_t addr = start + (uint32_t)(r / 8) * stride + (uint32_t)(r % 8) * 128 + (uint32_t)k * 2;
    addr ^= ((addr >> 7) & 7) << 4;
    half h;
    std::memcpy(&h, smem_dyn + addr, 2);
    return h;
}
inline void emu_wgmma(float* d, uint64_t a, uint64_t b, int n) { t_wg_open.push_back({d, a, b, n}); }
inline void emu_wgmma_commit() {
    t_wg_groups.push_back(std::move(t_wg_open));
    t_wg_open.clear();
}
// d[64 x n] += A[64 x 16] B[n x 16]^T over the warpgroup; this thread's d[4 j + 2 i + e] is row
// (warp % 4) * 16 + lane / 4 + 8 i, column 8 j + 2 (lane % 4) + e.
inline void emu_wgmma_wait(int pending) {
    const int t = flat_tid(), lane = t & 31, warp = (t >> 5) & 3;
    while ((int)t_wg_groups.size() > pending) {
        for (const WgmmaOp& op : t_wg_groups.front())
            for (int j = 0; j < op.n / 8; j++)
                for (int i = 0; i < 2; i++)
                    for (int e = 0; e < 2; e++) {
                        const int row = warp * 16 + lane / 4 + 8 * i, col = 8 * j + 2 * (lane % 4) + e;
                        float s = 0.0f;
                        for (int k = 0; k < 16; k++) s += emu_wgmma_elem(op.a, row, k) * emu_wgmma_elem(op.b, col, k);
                        op.d[4 * j + 2 * i + e] += s;
                    }
        t_wg_groups.erase(t_wg_groups.begin());
    }
}

// ---- WMMA 16x16x16 ----------------------------------------------------------------------------
namespace nvcuda::wmma {
struct matrix_a {};
struct matrix_b {};
struct accumulator {};
struct row_major {};
struct col_major {};
enum layout_t { mem_row_major, mem_col_major };
template <class Use, int M, int N, int K, class T, class Layout = void>
struct fragment {
    float m[16][16];
    static constexpr int num_elements = 256;
    float x[256];
};
template <class Use, class T, class Layout>
inline void load_matrix_sync(fragment<Use, 16, 16, 16, T, Layout>& f, const half* p, unsigned ldm) {
    for (int r = 0; r < 16; r++)
        for (int c = 0; c < 16; c++) f.m[r][c] = std::is_same_v<Layout, row_major> ? (float)p[r * ldm + c] : (float)p[c * ldm + r];
}
inline void load_matrix_sync(fragment<accumulator, 16, 16, 16, float>& f, const float* p, unsigned ldm, layout_t l) {
    for (int r = 0; r < 16; r++)
        for (int c = 0; c < 16; c++) f.m[r][c] = l == mem_row_major ? p[r * ldm + c] : p[c * ldm + r];
}
inline void store_matrix_sync(float* p, const fragment<accumulator, 16, 16, 16, float>& f, unsigned ldm, layout_t l) {
    if ((threadIdx.x & 31) != 0) return;
    for (int r = 0; r < 16; r++)
        for (int c = 0; c < 16; c++) (l == mem_row_major ? p[r * ldm + c] : p[c * ldm + r]) = f.m[r][c];
}
template <class Use, class T, class Layout, class V>
inline void fill_fragment(fragment<Use, 16, 16, 16, T, Layout>& f, V v) {
    for (int r = 0; r < 16; r++)
        for (int c = 0; c < 16; c++) f.m[r][c] = (float)v;
}
template <class LA, class LB>
inline void mma_sync(fragment<accumulator, 16, 16, 16, float>& d, const fragment<matrix_a, 16, 16, 16, half, LA>& a,
                     const fragment<matrix_b, 16, 16, 16, half, LB>& b, const fragment<accumulator, 16, 16, 16, float>& c) {
    float out[16][16];
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < 16; j++) {
            float s = c.m[i][j];
            for (int k = 0; k < 16; k++) s += a.m[i][k] * b.m[k][j];
            out[i][j] = s;
        }
    std::memcpy(d.m, out, sizeof out);
}
}  // namespace nvcuda::wmma

// ---- launch -----------------------------------------------------------------------------------
template <class F>
void launch(dim3e grid, dim3e block, F kernel) {
    gridDim = grid;
    blockDim = block;
    const int n = block.x * block.y;
    for (unsigned bz = 0; bz < grid.z; bz++)
        for (unsigned by = 0; by < grid.y; by++)
            for (unsigned bx = 0; bx < grid.x; bx++) {
                BlockCtx ctx;
                ctx.block = std::make_unique<std::barrier<>>(n);
                for (int w = 0; w < (n + 31) / 32; w++) ctx.warps.push_back(std::make_unique<std::barrier<>>(std::min(32, n - 32 * w)));
                ctx.slots.assign(n, 0.0f);
                ctx.lanes.assign(n, LaneData{});
                g_ctx = &ctx;
                std::vector<std::thread> threads;
                for (int t = 0; t < n; t++)
                    threads.emplace_back([&, t] {
                        blockIdx = {bx, by, bz};
                        threadIdx = {(unsigned)(t % block.x), (unsigned)(t / block.x), 0};
                        kernel();
                    });
                for (auto& th : threads) th.join();
            }
}
