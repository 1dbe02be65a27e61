package io.hnswseg.distance;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;

/**
 * Items {@code 0..n-1} of a quantizer fit spread over the calling thread and {@code threads - 1} short-lived
 * helpers, each claiming the next item. A fit takes tens of milliseconds once per segment, before the
 * graph's own build threads start, so starting a thread or two here costs nothing worth a shared pool.
 */
final class Parallel {

    private Parallel() {
    }

    static void forEach(int n, int threads, IntConsumer item) {
        AtomicInteger next = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Runnable worker = () -> {
            try {
                for (int i = next.getAndIncrement(); i < n && failure.get() == null; i = next.getAndIncrement()) {
                    item.accept(i);
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        };
        Thread[] helpers = new Thread[Math.max(0, Math.min(threads, n) - 1)];
        for (int h = 0; h < helpers.length; h++) {
            helpers[h] = new Thread(worker, "hnswseg-quantizer-fit");
            helpers[h].setDaemon(true);
            helpers[h].start();
        }
        worker.run();
        boolean interrupted = false;
        for (Thread helper : helpers) {
            while (true) {
                try {
                    helper.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true; // the helpers write into the caller's arrays: wait for them
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        Throwable t = failure.get();
        if (t instanceof RuntimeException re) {
            throw re;
        }
        if (t instanceof Error err) {
            throw err;
        }
    }
}
