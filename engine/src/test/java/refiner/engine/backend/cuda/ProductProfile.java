package refiner.engine.backend.cuda;

import java.util.Arrays;
import java.util.SplittableRandom;
import refiner.engine.backend.cpu.TestWeights;
import refiner.engine.tensor.Tensor;
import refiner.loader.DType;
import refiner.loader.safetensors.TensorInfo;

/**
 * Runs one fp16 dense layer, {@code [M, K] * [N, K]^T + bias}, twice on each sm_90a tiling, then
 * one self-attention of 2 x 12 heads over 4096 tokens, and nothing else on the tensor cores: a
 * program for a kernel profiler (Nsight Compute) to catch each product kernel at a UNet shape. Exit status 2 on a device without the sm_90a kernels.
 * Run: {@code java -cp ... refiner.engine.backend.cuda.ProductProfile M K N}.
 */
public final class ProductProfile {
    private ProductProfile() {
    }

    public static void main(String[] args) {
        int m = Integer.parseInt(args[0]), k = Integer.parseInt(args[1]), n = Integer.parseInt(args[2]);
        CudaProbe p = CudaBackend.probe();
        if (!p.available()) {
            System.err.println("ProductProfile: no usable CUDA device: " + p.reason());
            System.exit(2);
        }
        try (CudaBackend cuda = CudaBackend.open(Precision.F16)) {
            if (!cuda.hasWgmma()) {
                System.err.println("ProductProfile: " + cuda.device() + " runs no sm_90a kernels");
                System.exit(2);
            }
            SplittableRandom rnd = new SplittableRandom(42);
            TensorInfo wi = TestWeights.random(rnd, "w", DType.F16, 1 / Math.sqrt(k), new long[] {n, k});
            TensorInfo bi = TestWeights.random(rnd, "b", DType.F16, 0.1, new long[] {n});
            try (Tensor x = cuda.upload(TestWeights.random(rnd, m * k, 1.0), m, k); Tensor w = cuda.weight(wi); Tensor b = cuda.weight(bi)) {
                for (CudaBackend.Tiling t : Arrays.stream(CudaBackend.Tiling.values()).filter(t -> t != CudaBackend.Tiling.AUTO).toList()) {
                    cuda.tiling(t);
                    for (int i = 0; i < 2; i++) cuda.linear(x, w, b).close();
                    cuda.synchronize();
                    System.out.println("ProductProfile: " + m + "x" + k + " * " + n + "x" + k + "^T on " + t);
                }
            }
            try (Tensor q = cuda.upload(TestWeights.random(rnd, 2 * 4096 * 768, 1.0), 2, 4096, 768)) {
                cuda.attention(q, q, q, 12, false).close();
                cuda.synchronize();
                System.out.println("ProductProfile: self-attention, 2x12 heads over 4096 tokens");
            }
        }
    }
}
