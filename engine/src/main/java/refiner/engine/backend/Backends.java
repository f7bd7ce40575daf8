package refiner.engine.backend;

import refiner.engine.backend.cpu.CpuBackend;
import refiner.engine.backend.cuda.CudaBackend;
import refiner.engine.backend.cuda.CudaProbe;
import refiner.engine.backend.cuda.Precision;

/** Chooses the backend named on the command line: "cpu", "cuda" or "auto". */
public final class Backends {
    private Backends() {
    }

    /** The chosen backend and a one-line account of the choice, for the user. */
    public record Selection(Backend backend, String message) {
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
                return new Selection(CudaBackend.open(Precision.F16), "backend cuda: " + p.reason());
            }
            case "auto" -> {
                CudaProbe p = CudaBackend.probe();
                if (p.available()) return new Selection(CudaBackend.open(Precision.F16), "backend cuda: " + p.reason());
                return cpu(threads, " (CUDA not used: " + p.reason() + ")");
            }
            default -> throw new IllegalArgumentException("unknown backend '" + name + "': use cpu, cuda or auto");
        }
    }

    private static Selection cpu(int threads, String why) {
        return new Selection(new CpuBackend(threads), "backend cpu, " + threads + " threads" + why);
    }
}
