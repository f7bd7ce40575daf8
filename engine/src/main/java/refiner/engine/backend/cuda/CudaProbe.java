package refiner.engine.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.JCudaDriver;

/**
 * Whether this machine can run the CUDA backend, and if not, why, in one line. The checks run in
 * an order that never leaves the JVM broken: the driver library is looked up through FFM before
 * any JCuda class is touched (JCuda's natives need {@code libcuda.so.1}), then cuInit, the driver
 * version the PTX needs, a device, and its compute capability.
 *
 * @param available  true when {@link CudaBackend} can be opened on device 0
 * @param reason     why not, or a description of the device when available
 * @param major      compute capability of device 0 (0 when unknown)
 * @param minor      minor compute capability of device 0
 */
public record CudaProbe(boolean available, String reason, int major, int minor) {

    /** Driver API version the committed PTX needs: ISA 9.0, made by CUDA 13.0 (driver R580+). */
    public static final int REQUIRED_DRIVER = 13000;

    private static CudaProbe cached;

    /** The probe's verdict, computed once per JVM. */
    public static synchronized CudaProbe run() {
        if (cached == null) cached = detect();
        return cached;
    }

    private static CudaProbe no(String reason) {
        return new CudaProbe(false, reason, 0, 0);
    }

    private static CudaProbe detect() {
        if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) {
            return no("CUDA backend supports Linux only (this is " + System.getProperty("os.name") + ")");
        }
        try {
            SymbolLookup.libraryLookup("libcuda.so.1", Arena.global());
        } catch (IllegalArgumentException | IllegalCallerException e) {
            return no("no NVIDIA driver: libcuda.so.1 not found");
        }
        try {
            JCudaDriver.setExceptionsEnabled(true);
        } catch (Throwable e) {
            return no("JCuda driver bindings failed to load: " + e);
        }
        try {
            JCudaDriver.cuInit(0);
            int[] version = new int[1];
            JCudaDriver.cuDriverGetVersion(version);
            if (version[0] < REQUIRED_DRIVER) {
                return no("NVIDIA driver supports CUDA " + version[0] / 1000 + "." + version[0] % 1000 / 10
                        + "; the kernels (PTX ISA 9.0) need CUDA 13.0, driver R580 or newer");
            }
            int[] count = new int[1];
            JCudaDriver.cuDeviceGetCount(count);
            if (count[0] < 1) return no("no CUDA device visible");
            CUdevice dev = new CUdevice();
            JCudaDriver.cuDeviceGet(dev, 0);
            int major = attribute(dev, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
            int minor = attribute(dev, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
            byte[] name = new byte[256];
            JCudaDriver.cuDeviceGetName(name, name.length, dev);
            String device = new String(name, 0, len(name)) + " (compute capability " + major + "." + minor + ")";
            if (major < 8) return new CudaProbe(false, device + ": compute capability 8.0 or newer needed", major, minor);
            return new CudaProbe(true, device + ", driver CUDA " + version[0] / 1000 + "." + version[0] % 1000 / 10, major, minor);
        } catch (Throwable e) {
            return no("CUDA initialisation failed: " + e.getMessage());
        }
    }

    static int attribute(CUdevice dev, int attribute) {
        int[] v = new int[1];
        JCudaDriver.cuDeviceGetAttribute(v, attribute, dev);
        return v[0];
    }

    private static int len(byte[] cString) {
        int n = 0;
        while (n < cString.length && cString[n] != 0) n++;
        return n;
    }
}
