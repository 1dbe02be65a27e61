package io.hnswseg.spark;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A failed call's tasks ran on after it had thrown (probe helper 86: a build's other task wrote its segment into the
 * output the build had just removed). Here one task fails at once while the other works until its thread is
 * interrupted, as a graph build does, and then takes two seconds more to stop: by the time the call throws, that task
 * has ended, well before it would have run to its end.
 */
class OwnJobsTest {

    private static SparkSession spark;
    /** Tasks of the slow kind still running, and those that ran to their end: local mode runs them in this JVM. */
    private static final AtomicInteger RUNNING = new AtomicInteger();
    private static final AtomicInteger RAN_TO_THE_END = new AtomicInteger();

    @BeforeAll
    static void start() {
        spark = JobFixtures.session("local[2]").getOrCreate();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    @Test
    void aFailedCallsOtherTasksHaveStoppedWhenItThrows() {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        long start = System.nanoTime();
        assertThrows(Exception.class, () -> OwnJobs.run(spark.sparkContext(), "test", () -> {
            jsc.parallelize(List.of(0, 1), 2).foreach(OwnJobsTest::failOrWork);
            return null;
        }));
        double seconds = (System.nanoTime() - start) / 1e9;
        assertEquals(0, RUNNING.get(), "the working task has ended by the time the call throws");
        assertEquals(0, RAN_TO_THE_END.get(), "it was interrupted, not left to finish");
        assertTrue(seconds < 20, "stopped early: " + seconds + " s");
        // The session's thread is as it was: a later job runs, untagged and not interrupted on cancel.
        assertEquals(3, jsc.parallelize(List.of(1, 2, 3), 2).count());
        assertTrue(spark.sparkContext().getJobTags().isEmpty());
        assertEquals(null, spark.sparkContext().getLocalProperty("spark.job.interruptOnCancel"));
    }

    private static void failOrWork(int task) throws IOException {
        if (task == 0) {
            sleep(300); // the other task is under way
            throw new IOException("task 0 fails (test)");
        }
        RUNNING.incrementAndGet();
        try {
            long end = System.nanoTime() + 30_000_000_000L;
            while (System.nanoTime() < end) {
                if (Thread.currentThread().isInterrupted()) {
                    // Stopping takes a while (a write under way): the call must wait for it, not only ask.
                    for (int i = 0; i < 2_000; i++) {
                        busy();
                    }
                    return;
                }
                busy();
            }
            RAN_TO_THE_END.incrementAndGet();
        } finally {
            RUNNING.decrementAndGet();
        }
    }

    /** A millisecond of work that does not clear the interrupt flag (unlike sleep). */
    private static void busy() {
        long until = System.nanoTime() + 1_000_000;
        while (System.nanoTime() < until) {
            Thread.onSpinWait();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
