package refiner.engine.backend.cuda;

import refiner.loader.DType;

/**
 * The element type of a {@link CudaBackend}'s activations and weights. Accumulation, norms and
 * softmax are fp32 in both. F16 runs the products on tensor cores; F32 is for the VAE, whose
 * activations overflow fp16.
 */
public enum Precision {
    F16(DType.F16, "f16"),
    F32(DType.F32, "f32");

    private final DType dtype;
    private final String suffix;

    Precision(DType dtype, String suffix) {
        this.dtype = dtype;
        this.suffix = suffix;
    }

    public DType dtype() {
        return dtype;
    }

    /** Bytes per element. */
    public int bytes() {
        return dtype.bytes();
    }

    /** The suffix of the kernel entry points for this type ("f16", "f32"). */
    String suffix() {
        return suffix;
    }
}
