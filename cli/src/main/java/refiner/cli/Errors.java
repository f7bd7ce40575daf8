package refiner.cli;

import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Turns failures into one line on stderr, {@code refiner: <message>}: bad usage exits with 2, any
 * other failure with 1. With {@code --stacktrace} the full stack trace follows.
 */
final class Errors implements IExecutionExceptionHandler, IParameterExceptionHandler {
    static final int FAILURE = 1;
    static final int USAGE = 2;

    @Override
    public int handleParseException(ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println("refiner: " + usageMessage(e) + " (see '" + cmd.getCommandSpec().qualifiedName() + " --help')");
        if (List.of(args).contains("--stacktrace")) e.printStackTrace(err);
        err.flush();
        return USAGE;
    }

    /** Picocli's message, except that an unknown word where a command is expected is called so. */
    private static String usageMessage(ParameterException e) {
        if (e instanceof UnmatchedArgumentException u && !e.getCommandLine().getSubcommands().isEmpty()
                && !u.getUnmatched().isEmpty() && !u.getUnmatched().getFirst().startsWith("-")) {
            return "unknown command '" + u.getUnmatched().getFirst() + "'";
        }
        return e.getMessage();
    }

    @Override
    public int handleExecutionException(Exception e, CommandLine cmd, ParseResult parsed) {
        PrintWriter err = cmd.getErr();
        err.println("refiner: " + message(e));
        if (stacktrace(parsed)) e.printStackTrace(err);
        err.flush();
        return FAILURE;
    }

    /** The message of the exception, or of its first cause that has one, on one line. */
    static String message(Throwable e) {
        if (e instanceof NoSuchFileException f) return "no such file: " + f.getFile();
        if (e instanceof AccessDeniedException f) return "permission denied: " + f.getFile();
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m != null && !m.isBlank()) return m.replaceAll("\\s*\\R\\s*", " ").strip();
        }
        return e.getClass().getSimpleName();
    }

    private static boolean stacktrace(ParseResult parsed) {
        for (ParseResult p = parsed; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption("--stacktrace")) return true;
        }
        return false;
    }
}
