package io.hnswseg.concurrent;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Threads for the project's pools: daemons (a pool left open never keeps a JVM alive, which matters in an
 * application embedding the reader) named {@code prefix-N}, so that a thread dump says whose they are.
 */
public final class DaemonThreads {

    private DaemonThreads() {
    }

    /** A factory of daemon threads named {@code prefix-1}, {@code prefix-2}, ... */
    public static ThreadFactory named(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return task -> {
            Thread t = new Thread(task, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
