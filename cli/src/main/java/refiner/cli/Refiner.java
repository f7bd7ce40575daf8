package refiner.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code refiner} command: global options and the list of subcommands. Adding a subcommand is
 * one more class in {@code subcommands}; it inherits {@code --help}, {@code --version} and
 * {@code --stacktrace}.
 */
@Command(name = "refiner",
        scope = CommandLine.ScopeType.INHERIT,
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        description = "Pure-Java Stable Diffusion XL inference, refiner first.",
        synopsisSubcommandLabel = "COMMAND",
        subcommands = {
                CommandLine.HelpCommand.class,
                InspectCommand.class,
                TokenizeCommand.class,
                RefineCommand.class,
                SynthCommand.class,
                BenchCommand.class,
        })
public final class Refiner implements Runnable {

    @Option(names = "--stacktrace", scope = CommandLine.ScopeType.INHERIT,
            description = "On failure, print the full stack trace instead of one line.")
    boolean stacktrace;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }

    /** Runs the command line with the process's stdout and stderr; returns the exit code. */
    public static int run(String[] args) {
        return run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true));
    }

    /**
     * Runs the command line writing to {@code out} and {@code err}; returns the exit code: 0 success,
     * 2 bad usage, 1 failure.
     */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new Refiner());
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler(new Errors());
        cli.setParameterExceptionHandler(new Errors());
        return cli.execute(args);
    }
}
