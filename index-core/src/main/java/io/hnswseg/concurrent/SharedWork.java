package io.hnswseg.concurrent;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Items {@code 0..n-1} worked on by the calling thread together with up to {@code helpers} pool threads:
 * every participant claims the next unclaimed item until none is left. The caller always works, so its
 * progress never depends on the pool: with a busy pool it does every item itself, with idle threads the
 * items spread over them. A helper that starts after every item was claimed finds nothing and returns.
 */
public final class SharedWork implements Runnable {

    /** Work on one item; a failure is rethrown to the caller once every claimed item is done. */
    @FunctionalInterface
    public interface Item {
        void run(int index);
    }

    /** The longest the caller spins for the helpers before it parks; see {@link #spinUntilDone}. */
    static final long SPIN_NANOS = 1_000_000;

    private final int n;
    private final Item item;
    private final AtomicInteger next = new AtomicInteger();
    private final CountDownLatch done;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    private SharedWork(int n, Item item) {
        this.n = n;
        this.item = item;
        this.done = new CountDownLatch(n);
    }

    /**
     * Runs every item and returns when all are done.
     *
     * @throws RuntimeException the first failure of any item (an Error is rethrown as is, a checked exception
     *                          wrapped)
     */
    public static void run(int n, int helpers, Executor pool, Item item) {
        SharedWork work = new SharedWork(n, item);
        for (int i = 0; i < Math.min(helpers, n - 1); i++) {
            try {
                pool.execute(work);
            } catch (RejectedExecutionException e) {
                break; // a closed or saturated pool: the caller does the rest
            }
        }
        work.run();
        work.spinUntilDone();
        boolean interrupted = false;
        while (true) {
            try {
                work.done.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true; // items already claimed by helpers must finish before their results are read
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        Throwable t = work.failure.get();
        if (t instanceof RuntimeException re) {
            throw re;
        }
        if (t instanceof Error err) {
            throw err;
        }
        if (t != null) {
            // A checked exception thrown past the compiler (a sneaky throw): returning would report every item done.
            throw new IllegalStateException(t.toString(), t);
        }
    }

    /**
     * Runs every item on the calling thread and up to {@code threads - 1} helper threads started for this
     * call alone: for work done once in a while (a quantizer fit, once per segment), where keeping a pool
     * would cost more than starting a thread or two.
     */
    public static void run(int n, int threads, Item item) {
        ThreadFactory helpers = DaemonThreads.named("hnswseg-shared-work");
        run(n, threads - 1, task -> helpers.newThread(task).start(), item);
    }

    /**
     * Waits up to {@link #SPIN_NANOS} for the helpers' last items without parking. The caller has nothing
     * left to claim; parked, it would pay a wake-up once they finish (15 us at the median and 60 us at p90 on
     * the project's VM, 250 us at p99), a large share of a routed query split over two threads (200-300 us of
     * work): spinning instead made such queries 6-14% faster. Its core would sit idle meanwhile anyway.
     */
    private void spinUntilDone() {
        long deadline = System.nanoTime() + SPIN_NANOS;
        while (done.getCount() > 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
    }

    @Override
    public void run() {
        for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) {
            try {
                if (failure.get() == null) {
                    item.run(i);
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            } finally {
                done.countDown();
            }
        }
    }
}
