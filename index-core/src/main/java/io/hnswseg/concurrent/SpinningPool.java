package io.hnswseg.concurrent;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of daemon threads for short tasks handed over at a high rate, such as the segments of one
 * query. A thread that runs out of tasks spins for a while before it parks, so that a task handed over
 * within that time starts at once. A parked thread starts a task only after a wake-up: on the project's
 * virtual machine a task handed to a parked thread of a JDK fixed pool started 22-32 us late at the median
 * (62-82 us at p99), one handed to a spinning thread 0.2-0.3 us late, against 150-200 us of work in a
 * routed query split over two threads (docs/performance.md). The spinning takes a core that would
 * otherwise idle, and only right after a task: an idle pool parks, and a pool whose tasks come further apart
 * than the spin pays it for nothing.
 */
public final class SpinningPool implements Executor, AutoCloseable {

    /** How long a thread out of tasks spins before it parks: longer than a client's gap between two queries. */
    static final long SPIN_NANOS = 200_000;

    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    /** Threads parked, or about to park once they have checked {@link #tasks} once more. */
    private final ConcurrentLinkedQueue<Thread> parked = new ConcurrentLinkedQueue<>();
    /** Threads spinning for a task now. */
    private final AtomicInteger spinning = new AtomicInteger();
    private final Thread[] threads;
    private final long spinNanos;
    private volatile boolean closed;

    /** {@code size} threads named {@code name-1..size}, each spinning {@value #SPIN_NANOS} ns before it parks. */
    public SpinningPool(int size, String name) {
        this(size, name, SPIN_NANOS);
    }

    /** A pool whose threads spin {@code spinNanos} before they park (tests shorten it). */
    SpinningPool(int size, String name, long spinNanos) {
        this.spinNanos = spinNanos;
        this.threads = new Thread[size];
        var factory = DaemonThreads.named(name);
        for (int i = 0; i < size; i++) {
            threads[i] = factory.newThread(this::work);
            threads[i].start();
        }
    }

    /**
     * Queues {@code task} for the first free thread.
     *
     * @throws RejectedExecutionException once the pool is closed
     */
    @Override
    public void execute(Runnable task) {
        if (closed) {
            throw new RejectedExecutionException("the pool is closed");
        }
        tasks.offer(task);
        // Spinning threads take what they can; a parked one is woken only for the tasks beyond them (a woken
        // thread that finds nothing would spin for nothing). One that registers as parked after this offer sees
        // the task on its re-check instead, and one that stops spinning does too.
        if (tasks.size() > spinning.get()) {
            Thread sleeper = parked.poll();
            if (sleeper != null) {
                LockSupport.unpark(sleeper);
            }
        }
    }

    private void work() {
        Thread self = Thread.currentThread();
        while (!closed) {
            Runnable task = tasks.poll();
            if (task == null) {
                task = spinForTask();
            }
            if (task == null) {
                parked.offer(self);
                // An interrupt left by a task would make every park return at once: spinning for ever.
                Thread.interrupted();
                if (tasks.isEmpty() && !closed) {
                    LockSupport.park(this);
                }
                parked.remove(self);
                continue;
            }
            try {
                task.run();
            } catch (Throwable t) {
                try {
                    self.getUncaughtExceptionHandler().uncaughtException(self, t);
                } catch (Throwable ignored) {
                    // A failing handler must not end the thread: the pool would shrink without a trace.
                }
            } finally {
                // A task's interrupt is its own, as in a JDK pool: the next task starts clear.
                Thread.interrupted();
            }
        }
    }

    private Runnable spinForTask() {
        spinning.incrementAndGet();
        try {
            long deadline = System.nanoTime() + spinNanos;
            while (!closed && System.nanoTime() < deadline) {
                Runnable task = tasks.poll();
                if (task != null) {
                    return task;
                }
                Thread.onSpinWait();
            }
            return null;
        } finally {
            spinning.decrementAndGet();
        }
    }

    /**
     * Stops the threads once their current tasks end; tasks still queued are dropped, and so is one handed
     * over while the pool closes (the reader's callers do every item a helper did not take).
     */
    @Override
    public void close() {
        closed = true;
        tasks.clear();
        for (Thread t : threads) {
            LockSupport.unpark(t);
        }
    }
}
