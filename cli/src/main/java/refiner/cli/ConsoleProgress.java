package refiner.cli;

import java.io.PrintWriter;
import java.util.Locale;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import refiner.engine.pipeline.Progress;

/**
 * Progress of a run for a person: on a terminal a progress bar over the UNet steps with elapsed
 * time and ETA; otherwise one plain line per stage and per step. Silent with {@code --quiet}.
 */
final class ConsoleProgress implements Progress, AutoCloseable {
    private final PrintWriter out;
    private final boolean quiet;
    private final boolean terminal;
    private final String task;
    private final long start = System.nanoTime();
    private ProgressBar bar;

    ConsoleProgress(PrintWriter out, boolean quiet, String task) {
        this.out = out;
        this.quiet = quiet;
        this.terminal = System.console() != null && System.console().isTerminal();
        this.task = task;
    }

    @Override
    public void stage(String name) {
        if (quiet) return;
        if (bar != null) {
            bar.close();
            bar = null;
        }
        if (!terminal || !name.equals("unet")) {
            out.printf(Locale.ROOT, "%s: %s (%.1f s)%n", task, name, (System.nanoTime() - start) / 1e9);
            out.flush();
        }
    }

    @Override
    public void step(int done, int total) {
        if (quiet) return;
        if (terminal) {
            if (bar == null) {
                bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(total)
                        .setStyle(ProgressBarStyle.ASCII).setUnit(" steps", 1).continuousUpdate().build();
            }
            bar.stepTo(done);
        } else {
            out.printf(Locale.ROOT, "%s: step %d/%d (%.1f s)%n", task, done, total, (System.nanoTime() - start) / 1e9);
            out.flush();
        }
    }

    @Override
    public void close() {
        if (bar != null) bar.close();
    }
}
