package refiner.engine.backend.cuda;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import jcuda.CudaException;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

/**
 * A caching device allocator: requests are rounded up to a bucket size (powers of two up to
 * 1 MiB, then whole MiB), freed blocks wait on a free list per bucket and are handed out again
 * without a cuMemAlloc. Reuse is safe without events because every kernel runs on one stream.
 * When the device is full, the cached blocks are returned to the driver and the allocation tried
 * once more. Not thread-safe: the backend is used from one thread at a time.
 */
final class DeviceAllocator {
    private static final long MIB = 1 << 20;

    private final CUstream stream;
    private final Map<Long, ArrayDeque<DeviceMemory>> free = new HashMap<>();
    private final Map<DeviceMemory, Boolean> live = new IdentityHashMap<>();
    private long bytesLive;
    private long bytesCached;
    private boolean poison;

    DeviceAllocator(CUstream stream) {
        this.stream = stream;
    }

    /** Bucket size for a request of {@code bytes}. */
    static long bucket(long bytes) {
        if (bytes <= 512) return 512;
        if (bytes <= MIB) return Long.highestOneBit(bytes - 1) << 1;
        return (bytes + MIB - 1) / MIB * MIB;
    }

    /**
     * When on, every block handed out is first filled with 0xFF bytes (NaN in fp16 and fp32), so
     * a kernel that leaves an output element unwritten is caught by the tests.
     */
    void poison(boolean on) {
        poison = on;
    }

    DeviceMemory allocate(long bytes) {
        long size = bucket(bytes);
        ArrayDeque<DeviceMemory> list = free.get(size);
        DeviceMemory m = list == null ? null : list.poll();
        if (m != null) {
            bytesCached -= size;
        } else {
            m = new DeviceMemory(malloc(size), size);
        }
        live.put(m, Boolean.TRUE);
        bytesLive += size;
        if (poison) JCudaDriver.cuMemsetD8Async(m.ptr(), (byte) 0xFF, size, stream);
        return m;
    }

    /** Gives a block back to its bucket's free list. */
    void free(DeviceMemory m) {
        if (live.remove(m) == null) throw new IllegalStateException("device block of " + m.bytes() + " bytes released twice");
        bytesLive -= m.bytes();
        bytesCached += m.bytes();
        free.computeIfAbsent(m.bytes(), k -> new ArrayDeque<>()).push(m);
    }

    private CUdeviceptr malloc(long size) {
        CUdeviceptr p = new CUdeviceptr();
        try {
            JCudaDriver.cuMemAlloc(p, size);
        } catch (CudaException e) {
            trim();
            try {
                JCudaDriver.cuMemAlloc(p, size);
            } catch (CudaException again) {
                throw new IllegalStateException("CUDA: out of device memory allocating " + size / MIB + " MiB ("
                        + bytesLive / MIB + " MiB in use): " + again.getMessage(), again);
            }
        }
        return p;
    }

    /** Returns every cached block to the driver. */
    void trim() {
        JCudaDriver.cuStreamSynchronize(stream);
        for (ArrayDeque<DeviceMemory> list : free.values()) {
            for (DeviceMemory m : list) JCudaDriver.cuMemFree(m.ptr());
        }
        free.clear();
        bytesCached = 0;
    }

    /** Frees cached and live blocks alike; the allocator is unusable afterwards. */
    void freeAll() {
        trim();
        for (DeviceMemory m : live.keySet()) JCudaDriver.cuMemFree(m.ptr());
        live.clear();
        bytesLive = 0;
    }

    long bytesLive() {
        return bytesLive;
    }

    long bytesCached() {
        return bytesCached;
    }
}
