// wgmma.cuh: Hopper warpgroup matrix instructions (sm_90a) for the tensor-core products:
// shared-memory descriptors for operands in the 128-byte swizzled layout, the m64n128k16 and
// m64n256k16 products with fp16 operands and fp32 accumulators, mbarriers, and the register
// hand-over between warpgroups of warp-specialised kernels, and the tensor memory accelerator's 2D
// copies into that layout.
//
// Layout of an operand tile in shared memory: rows of 64 halfs (128 bytes, K contiguous), the
// 16-byte chunk c of row r stored at chunk (c ^ (r % 8)) of that row, tiles aligned to 1024 bytes.
// A descriptor addresses 8-row groups 1024 bytes apart; stepping K by 16 adds 32 bytes to the
// start address (the swizzle is applied to the absolute address bits, hence the alignment).
#pragma once
#include <stdint.h>

// Byte offset of the 16-byte chunk `c` (0..7) of row `r` in a swizzled tile.
__device__ __forceinline__ uint32_t swz128(int r, int c) { return (uint32_t)(r * 128 + ((c ^ (r & 7)) << 4)); }

// Descriptor of a K-major, 128-byte swizzled operand starting at shared address `addr`.
__device__ __forceinline__ uint64_t wgmma_desc(uint32_t addr) {
    uint64_t d = (uint64_t)((addr & 0x3FFFF) >> 4);  // start address, 16-byte units
    d |= (uint64_t)1 << 16;                          // leading byte offset (unused when swizzled)
    d |= (uint64_t)(1024 >> 4) << 32;                // stride byte offset: 8 rows of 128 bytes
    d |= (uint64_t)1 << 62;                          // 128-byte swizzle
    return d;
}

// A 2D tile descriptor for the tensor memory accelerator, as the driver encodes it
// (cuTensorMapEncodeTiled: fp16, row-major, boxes of 64 columns, the 128-byte swizzle above, zeros
// outside the matrix); kernels take it by value as a __grid_constant__ parameter.
struct __align__(64) TensorMap {
    uint64_t opaque[16];
};

#ifdef REFINER_HOST_EMULATION
// The host emulation (kernels/src/test/host/emu.h) queues the products and computes them at the wait.
inline void wgmma_fence() {}
inline void wgmma_commit() { emu_wgmma_commit(); }
template <int N>
inline void wgmma_wait() { emu_wgmma_wait(N); }
inline void fence_async_shared() {}
inline void wgmma_hold(float&) {}
inline void wgmma_m64n128k16(float* d, uint64_t a, uint64_t b) { emu_wgmma(d, a, b, 128); }
inline void wgmma_m64n256k16(float* d, uint64_t a, uint64_t b) { emu_wgmma(d, a, b, 256); }
inline void mbar_init(uint64_t* bar, int count) { emu_mbar_init(bar, count); }
inline void mbar_arrive(uint64_t* bar) { emu_mbar_arrive(bar); }
inline void mbar_wait(uint64_t* bar, uint32_t parity) { emu_mbar_wait(bar, parity); }
inline void cp_async_mbar_arrive(uint64_t* bar) { emu_cp_async_mbar_arrive(bar); }
inline void cp_async_wait_all() { cp_async_wait<0>(); }
inline void mbar_expect_tx(uint64_t* bar, uint32_t bytes) { emu_mbar_expect_tx(bar, bytes); }
inline void tma_load_2d(void* dst, const TensorMap* map, int x, int y, uint64_t* bar) { emu_tma_load_2d(dst, map, x, y, bar); }
template <int R>
inline void setmaxnreg_inc() {}
template <int R>
inline void setmaxnreg_dec() {}
#else
__device__ __forceinline__ void wgmma_fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void wgmma_commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
template <int N>
__device__ __forceinline__ void wgmma_wait() { asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(N) : "memory"); }

// Orders shared-memory writes of this thread (plain stores, cp.async) before later reads by the
// tensor cores.
__device__ __forceinline__ void fence_async_shared() { asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory"); }

// Keeps the compiler from moving accesses of an accumulator across wgmma fences and waits.
__device__ __forceinline__ void wgmma_hold(float& r) { asm volatile("" : "+f"(r)::"memory"); }

// ---- mbarrier: a shared-memory barrier of `count` arrivals a phase; waiting on parity p returns
// once the phase of that parity has completed (the one before the first counts as completed, so
// waiting on parity 1 passes at once until the first phase ends).
__device__ __forceinline__ uint32_t smem_addr(const void* p) { return (uint32_t)__cvta_generic_to_shared(p); }
__device__ __forceinline__ void mbar_init(uint64_t* bar, int count) {
    asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(smem_addr(bar)), "r"(count) : "memory");
}
__device__ __forceinline__ void mbar_arrive(uint64_t* bar) {
    asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];\n" ::"r"(smem_addr(bar)) : "memory");
}
__device__ __forceinline__ void mbar_wait(uint64_t* bar, uint32_t parity) {
    uint32_t done;
    do {
        asm volatile(
            "{\n.reg .pred p;\nmbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\nselp.u32 %0, 1, 0, p;\n}\n"
            : "=r"(done)
            : "r"(smem_addr(bar)), "r"(parity)
            : "memory");
    } while (!done);
}
// One arrival on `bar` once every cp.async this thread has issued so far has landed (the barrier's
// count must include it).
__device__ __forceinline__ void cp_async_mbar_arrive(uint64_t* bar) {
    asm volatile("cp.async.mbarrier.arrive.noinc.shared::cta.b64 [%0];\n" ::"r"(smem_addr(bar)) : "memory");
}
__device__ __forceinline__ void cp_async_wait_all() { asm volatile("cp.async.wait_all;\n" ::: "memory"); }
// One arrival on `bar` that also expects `bytes` more of asynchronous copies in this phase: the
// phase completes once every arrival is in and those bytes have landed.
__device__ __forceinline__ void mbar_expect_tx(uint64_t* bar, uint32_t bytes) {
    asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(smem_addr(bar)), "r"(bytes) : "memory");
}
// The box of `map` at element column x, row y, copied by the tensor memory accelerator to `dst`
// (1024-byte aligned), its bytes counted on `bar`'s transaction count as they land.
__device__ __forceinline__ void tma_load_2d(void* dst, const TensorMap* map, int x, int y, uint64_t* bar) {
    asm volatile(
        "cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3}], [%4];\n" ::"r"(
            smem_addr(dst)),
        "l"(reinterpret_cast<uint64_t>(map)), "r"(x), "r"(y), "r"(smem_addr(bar))
        : "memory");
}

// Moves registers between warpgroups: a warpgroup gives up registers (dec) that others take (inc).
template <int R>
__device__ __forceinline__ void setmaxnreg_inc() { asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;\n" ::"n"(R)); }
template <int R>
__device__ __forceinline__ void setmaxnreg_dec() { asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;\n" ::"n"(R)); }

// The operands of eight accumulators from d[i]: the products below list them in eights.
#define WGMMA_D8(i) \
    "+f"(d[i]), "+f"(d[i + 1]), "+f"(d[i + 2]), "+f"(d[i + 3]), "+f"(d[i + 4]), "+f"(d[i + 5]), "+f"(d[i + 6]), "+f"(d[i + 7])

// d[64 x 128] += A[64 x 16] * B[128 x 16]^T over one warpgroup; d is this thread's 64 accumulators:
// d[4j + 2i + e] is row (warp % 4) * 16 + lane / 4 + 8 i, column 8 j + 2 (lane % 4) + e.
__device__ __forceinline__ void wgmma_m64n128k16(float* d, uint64_t a, uint64_t b) {
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %66, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n128k16.f32.f16.f16 "
        "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}, %64, %65, p, 1, 1, 0, 0;\n}\n"
        : WGMMA_D8(0), WGMMA_D8(8), WGMMA_D8(16), WGMMA_D8(24),
          WGMMA_D8(32), WGMMA_D8(40), WGMMA_D8(48), WGMMA_D8(56)
        : "l"(a), "l"(b), "r"(1));
}

// d[64 x 256] += A[64 x 16] * B[256 x 16]^T over one warpgroup; d is this thread's 128 accumulators,
// laid out as for m64n128k16 with j up to 31.
__device__ __forceinline__ void wgmma_m64n256k16(float* d, uint64_t a, uint64_t b) {
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %130, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n256k16.f32.f16.f16 "
        "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "
        "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, "
        "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, "
        "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63, "
        "%64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76, %77, %78, %79, "
        "%80, %81, %82, %83, %84, %85, %86, %87, %88, %89, %90, %91, %92, %93, %94, %95, "
        "%96, %97, %98, %99, %100, %101, %102, %103, %104, %105, %106, %107, %108, %109, %110, %111, "
        "%112, %113, %114, %115, %116, %117, %118, %119, %120, %121, %122, %123, %124, %125, %126, %127}, %128, %129, p, 1, 1, 0, 0;\n}\n"
        : WGMMA_D8(0), WGMMA_D8(8), WGMMA_D8(16), WGMMA_D8(24),
          WGMMA_D8(32), WGMMA_D8(40), WGMMA_D8(48), WGMMA_D8(56),
          WGMMA_D8(64), WGMMA_D8(72), WGMMA_D8(80), WGMMA_D8(88),
          WGMMA_D8(96), WGMMA_D8(104), WGMMA_D8(112), WGMMA_D8(120)
        : "l"(a), "l"(b), "r"(1));
}
#endif
