package refiner.engine.backend.cuda;

import jcuda.driver.CUdeviceptr;

/**
 * A block of device memory from {@link DeviceAllocator}: the storage object of every CUDA tensor.
 *
 * @param ptr     the device address
 * @param bytes   the bucket size actually allocated (at least what was asked for)
 */
record DeviceMemory(CUdeviceptr ptr, long bytes) {
}
