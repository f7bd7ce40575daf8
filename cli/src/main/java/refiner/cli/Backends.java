package refiner.cli;

import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import refiner.engine.backend.Backend;
import refiner.engine.backend.cpu.CpuBackend;

/** The {@code --backend} choice: {@code cpu}, {@code cuda}, or {@code auto} (the best one this build and machine offer). */
final class Backends {
    private Backends() {
    }

    /** Opens the backend named {@code name}; an unknown or unavailable one is a usage error naming it. */
    static Backend open(String name, CommandLine cmd) {
        return switch (name) {
            case "cpu", "auto" -> new CpuBackend();
            case "cuda" -> throw new ParameterException(cmd, "--backend cuda: this build has no CUDA backend (use cpu)");
            default -> throw new ParameterException(cmd, "unknown backend '" + name + "' (known: cpu, cuda, auto)");
        };
    }
}
