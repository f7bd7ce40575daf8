package refiner.engine.backend;

import refiner.engine.backend.cpu.CpuBackend;
import refiner.engine.backend.cuda.CudaBackend;
import refiner.engine.backend.cuda.CudaProbe;
import refiner.engine.backend.cuda.Precision;

/** Chooses the backend named on the command line: "cpu", "cuda" or "auto". */
public final class Backends {
    private Backends() {
    }

    /**
     * The chosen backend, the backend the VAE runs on (the same one on the CPU; an fp32 instance
     * on CUDA, since the SDXL VAE overflows fp16), and a one-line account of the choice.
     */
    public record Selection(Backend backend, Backend vaeBackend, String message) implements AutoCloseable {

        /** One backend for every network. */
        public Selection(Backend backend, String message) {
            this(backend, backend, message);
        }

        @Override
        public void close() {
            if (vaeBackend != backend) vaeBackend.close();
            backend.close();
        }
    }

    /**
     * "cpu": the CPU backend on {@code threads} threads; "cuda": the CUDA backend in fp16, or an
     * {@link IllegalArgumentException} with the reason CUDA is not usable; "auto": CUDA when usable,
     * else the CPU with the reason in the message.
     */
    public static Selection select(String name, int threads) {
        switch (name) {
            case "cpu" -> {
                return cpu(threads, "");
            }
            case "cuda" -> {
                CudaProbe p = CudaBackend.probe();
                if (!p.available()) throw new IllegalArgumentException("backend cuda is not usable: " + p.reason());
                return cuda(p);
            }
            case "auto" -> {
                CudaProbe p = CudaBackend.probe();
                if (p.available()) return cuda(p);
                return cpu(threads, " (CUDA not used: " + p.reason() + ")");
            }
            default -> throw new IllegalArgumentException("unknown backend '" + name + "': use cpu, cuda or auto");
        }
    }

    private static Selection cuda(CudaProbe p) {
        return new Selection(CudaBackend.open(Precision.F16), CudaBackend.open(Precision.F32),
                "backend cuda (fp16 networks, fp32 VAE): " + p.reason());
    }

    private static Selection cpu(int threads, String why) {
        return new Selection(new CpuBackend(threads), "backend cpu, " + threads + " threads" + why);
    }
}
