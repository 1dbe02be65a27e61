package io.hnswseg.concurrent;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SpinningPoolTest {

    /** Threads of the pool named {@code name}, found by their names. */
    private static List<Thread> threadsOf(String name) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith(name + "-")).toList();
    }

    /** The thread's state once it is WAITING, or after 10 s of something else (a thread that never parks). */
    private static Thread.State stateOnceParked(Thread thread) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (thread.getState() != Thread.State.WAITING && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        return thread.getState();
    }

    @Test
    void everyTaskRunsWhetherItsThreadSpinsOrIsParked() throws Exception {
        try (SpinningPool pool = new SpinningPool(2, "pool-runs", 50_000)) {
            AtomicInteger ran = new AtomicInteger();
            int bursts = 200;
            int perBurst = 20;
            for (int b = 0; b < bursts; b++) {
                CountDownLatch burst = new CountDownLatch(perBurst);
                for (int i = 0; i < perBurst; i++) {
                    pool.execute(() -> {
                        ran.incrementAndGet();
                        burst.countDown();
                    });
                }
                // A lost wake-up (a task queued while its thread was deciding to park) would hang here.
                assertTrue(burst.await(10, TimeUnit.SECONDS), "burst " + b + " finished");
                if (b % 10 == 0) {
                    Thread.sleep(2); // past the spin: the threads park, and the next burst must wake them
                }
            }
            assertEquals(bursts * perBurst, ran.get());
        }
    }

    @Test
    void anIdleThreadParksOnceItsSpinIsOver() throws Exception {
        try (SpinningPool pool = new SpinningPool(1, "pool-parks", 1_000_000)) {
            CountDownLatch done = new CountDownLatch(1);
            pool.execute(done::countDown);
            assertTrue(done.await(10, TimeUnit.SECONDS));
            assertEquals(Thread.State.WAITING, stateOnceParked(threadsOf("pool-parks").get(0)), "parked, not spinning, after 1 ms without tasks");
        }
    }

    @Test
    void aTaskThatLeavesItsThreadInterruptedDoesNotKeepItSpinning() throws Exception {
        try (SpinningPool pool = new SpinningPool(1, "pool-interrupted", 1_000_000)) {
            CountDownLatch done = new CountDownLatch(1);
            pool.execute(() -> {
                Thread.currentThread().interrupt(); // as a task that restores an interrupt it caught does
                done.countDown();
            });
            assertTrue(done.await(10, TimeUnit.SECONDS));
            assertEquals(Thread.State.WAITING, stateOnceParked(threadsOf("pool-interrupted").get(0)),
                    "parked: an interrupt flag would make park return at once");
            CountDownLatch next = new CountDownLatch(1);
            pool.execute(() -> {
                if (!Thread.currentThread().isInterrupted()) {
                    next.countDown();
                }
            });
            assertTrue(next.await(10, TimeUnit.SECONDS), "the next task starts with its thread not interrupted");
        }
    }

    @Test
    void aFailingTaskIsReportedAndItsThreadGoesOn() throws Exception {
        List<Throwable> reported = new CopyOnWriteArrayList<>();
        Thread.UncaughtExceptionHandler before = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> reported.add(e));
        try (SpinningPool pool = new SpinningPool(1, "pool-fails", 50_000)) {
            CountDownLatch after = new CountDownLatch(1);
            pool.execute(() -> {
                throw new IllegalStateException("task failed");
            });
            pool.execute(after::countDown);
            assertTrue(after.await(10, TimeUnit.SECONDS), "the next task ran on the same thread");
            assertEquals(1, reported.size());
            assertEquals("task failed", reported.get(0).getMessage());
        } finally {
            Thread.setDefaultUncaughtExceptionHandler(before);
        }
    }

    @Test
    void aClosedPoolRefusesTasksAndItsThreadsEnd() throws Exception {
        SpinningPool pool = new SpinningPool(2, "pool-closes", 50_000);
        CountDownLatch done = new CountDownLatch(1);
        pool.execute(done::countDown);
        assertTrue(done.await(10, TimeUnit.SECONDS));
        List<Thread> threads = threadsOf("pool-closes");
        assertEquals(2, threads.size());
        pool.close();
        assertThrows(RejectedExecutionException.class, () -> pool.execute(() -> { }));
        for (Thread t : threads) {
            t.join(10_000);
            assertTrue(!t.isAlive(), t.getName() + " ended");
        }
    }
}
