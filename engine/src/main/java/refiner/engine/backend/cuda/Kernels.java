package refiner.engine.backend.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

/**
 * The PTX modules of the kernels jar ({@code refiner/kernels/sm_XX/FAMILY.ptx}), loaded on first
 * use, and kernel launches on the backend's stream. The driver compiles the PTX for the device at
 * load time; sm_90 PTX is chosen on compute capability 9.0 and newer, sm_80 PTX below. The
 * families built for sm_90a (Hopper's warpgroup instructions) load on compute capability 9.0 only.
 */
final class Kernels {
    private final String arch;
    private final boolean hopper;
    private final CUstream stream;
    private final Map<String, CUmodule> modules = new HashMap<>();
    private final Map<String, CUfunction> functions = new HashMap<>();
    private final Map<String, Integer> sharedLimits = new HashMap<>();

    Kernels(int major, int minor, CUstream stream) {
        this.arch = major >= 9 ? "sm_90" : "sm_80";
        this.hopper = major == 9 && minor == 0;
        this.stream = stream;
    }

    String arch() {
        return hopper ? arch + " + sm_90a" : arch;
    }

    /** Whether the sm_90a families (wgmma) run on this device. */
    boolean hopper() {
        return hopper;
    }

    /** The entry point {@code name} of {@code family}.ptx. */
    CUfunction function(String family, String name) {
        return functions.computeIfAbsent(name, n -> {
            CUfunction f = new CUfunction();
            try {
                JCudaDriver.cuModuleGetFunction(f, module(family), n);
            } catch (CudaException e) {
                throw new IllegalStateException("CUDA: no kernel '" + n + "' in " + family + ".ptx: " + e.getMessage(), e);
            }
            return f;
        });
    }

    private CUmodule module(String family) {
        return modules.computeIfAbsent(family, fam -> {
            String hopperResource = "/refiner/kernels/sm_90a/" + fam + ".ptx";
            String resource = hopper && Kernels.class.getResource(hopperResource) != null ? hopperResource
                    : "/refiner/kernels/" + arch + "/" + fam + ".ptx";
            byte[] ptx;
            try (InputStream in = Kernels.class.getResourceAsStream(resource)) {
                if (in == null) throw new IllegalStateException("CUDA: kernel resource " + resource + " missing from the classpath");
                byte[] text = in.readAllBytes();
                ptx = new byte[text.length + 1];
                System.arraycopy(text, 0, ptx, 0, text.length);
            } catch (IOException e) {
                throw new UncheckedIOException("CUDA: cannot read " + resource, e);
            }
            CUmodule m = new CUmodule();
            try {
                JCudaDriver.cuModuleLoadData(m, ptx);
            } catch (CudaException e) {
                throw new IllegalStateException("CUDA: the driver rejected " + resource + ": " + e.getMessage(), e);
            }
            return m;
        });
    }

    /** Kernel arguments in declaration order. */
    static final class Args {
        private final List<Pointer> list = new ArrayList<>();

        Args ptr(CUdeviceptr p) {
            list.add(Pointer.to(p));
            return this;
        }

        Args i(int v) {
            list.add(Pointer.to(new int[] {v}));
            return this;
        }

        Args l(long v) {
            list.add(Pointer.to(new long[] {v}));
            return this;
        }

        Args f(float v) {
            list.add(Pointer.to(new float[] {v}));
            return this;
        }

        /** A parameter passed by value as its bytes (a tensor map's 128). */
        Args bytes(byte[] v) {
            list.add(Pointer.to(v));
            return this;
        }

        Pointer pointer() {
            return Pointer.to(list.toArray(new Pointer[0]));
        }
    }

    /** Launches {@code family/name} on the stream (nothing for an empty grid); launch errors name the kernel. */
    void launch(String family, String name, int gx, int gy, int gz, int bx, int by, Args args) {
        launch(family, name, gx, gy, gz, bx, by, 0, args);
    }

    /** As {@link #launch(String, String, int, int, int, int, int, Args)} with {@code sharedBytes} of dynamic shared memory. */
    void launch(String family, String name, int gx, int gy, int gz, int bx, int by, int sharedBytes, Args args) {
        if (gx == 0 || gy == 0 || gz == 0) return;
        CUfunction f = function(family, name);
        try {
            if (sharedBytes > sharedLimits.getOrDefault(name, 48 << 10)) {
                JCudaDriver.cuFuncSetAttribute(f, CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, sharedBytes);
                sharedLimits.put(name, sharedBytes);
            }
            JCudaDriver.cuLaunchKernel(f, gx, gy, gz, bx, by, 1, sharedBytes, stream, args.pointer(), null);
        } catch (CudaException e) {
            throw new IllegalStateException("CUDA: launch of " + name + " grid (" + gx + ", " + gy + ", " + gz
                    + ") block (" + bx + ", " + by + ") failed: " + e.getMessage(), e);
        }
    }

    /** Launches a grid-stride kernel over {@code n} elements, 256 threads a block. */
    void launch1d(String family, String name, long n, Args args) {
        int blocks = (int) Math.min((n + 255) / 256, 1 << 20);
        launch(family, name, blocks, 1, 1, 256, 1, args);
    }

    void unload() {
        for (CUmodule m : modules.values()) JCudaDriver.cuModuleUnload(m);
        modules.clear();
        functions.clear();
        sharedLimits.clear();
    }
}
