package refiner.engine.backend.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * A fixed set of daemon threads kept warm between ops: after a job they spin briefly for the next
 * one before parking, so back-to-back kernels do not pay for waking threads. The calling thread
 * takes part in every job. Jobs run one at a time; a job started from inside a job runs inline.
 */
final class WorkerPool implements AutoCloseable {
    private static final long SPIN_NANOS = 200_000;

    private final Thread[] workers;
    private final ThreadLocal<Boolean> inside = ThreadLocal.withInitial(() -> false);
    private volatile Job job;
    private volatile boolean closed;

    /** A job: {@code tasks} calls of {@code body}, handed out one index at a time. */
    private static final class Job {
        final int tasks;
        final IntConsumer body;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        volatile Throwable error;

        Job(int tasks, IntConsumer body) {
            this.tasks = tasks;
            this.body = body;
        }

        void work() {
            for (int i; (i = next.getAndIncrement()) < tasks; ) {
                try {
                    if (error == null) body.accept(i);
                } catch (Throwable t) {
                    error = t;
                } finally {
                    done.incrementAndGet();
                }
            }
        }
    }

    WorkerPool(int threads) {
        workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = Thread.ofPlatform().daemon().name("refiner-cpu-" + (i + 1)).unstarted(this::loop);
            workers[i].start();
        }
    }

    /** Number of threads a job runs on, the caller included. */
    int threads() {
        return workers.length + 1;
    }

    /** Runs {@code body.accept(i)} for every i in [0, tasks) across the pool; returns when all are done. */
    synchronized void run(int tasks, IntConsumer body) {
        if (tasks <= 0) return;
        if (tasks == 1 || workers.length == 0 || inside.get()) {
            for (int i = 0; i < tasks; i++) body.accept(i);
            return;
        }
        if (closed) throw new IllegalStateException("the CPU backend was closed");
        Job j = new Job(tasks, body);
        job = j;
        for (Thread w : workers) LockSupport.unpark(w);
        inside.set(true);
        try {
            j.work();
        } finally {
            inside.set(false);
        }
        while (j.done.get() < tasks) Thread.onSpinWait();
        job = null;
        if (j.error instanceof RuntimeException e) throw e;
        if (j.error instanceof Error e) throw e;
        if (j.error != null) throw new IllegalStateException(j.error);
    }

    /** A contiguous slice {@code [from, to)} of a range split across the pool. */
    interface Range {
        void run(int from, int to);
    }

    /** Splits {@code [0, n)} into slices of at least {@code grain} items and runs them across the pool. */
    void range(int n, int grain, Range body) {
        int tasks = (int) Math.min(4L * threads(), Math.max(1, (n + (long) grain - 1) / grain));
        run(tasks, t -> body.run((int) ((long) n * t / tasks), (int) ((long) n * (t + 1) / tasks)));
    }

    private void loop() {
        inside.set(true);
        Job last = null;
        while (!closed) {
            Job j = job;
            if (j != null && j != last) {
                j.work();
                last = j;
                continue;
            }
            long until = System.nanoTime() + SPIN_NANOS;
            while ((j = job) == null || j == last) {
                if (closed) return;
                if (System.nanoTime() < until) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.parkNanos(this, 1_000_000);
                }
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) LockSupport.unpark(w);
    }
}
