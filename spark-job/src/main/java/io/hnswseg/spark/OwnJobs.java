package io.hnswseg.spark;

import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The Spark jobs that one call of a job (a build, a search written to Parquet) runs, tagged so that when the call
 * fails, is interrupted or is cancelled, its jobs still running are cancelled and their tasks have ended before the
 * call removes what they wrote. Spark does neither by itself: a job whose caller was interrupted runs on, and the
 * other tasks of a failed job are only asked to stop, which a task that never looks finishes first (probe helper 86: a
 * failed build's tasks wrote whole segments into the output seconds after the build had removed it and thrown).
 */
final class OwnJobs {

    private static final Logger LOG = LoggerFactory.getLogger(OwnJobs.class);
    /** How long a failed call waits for its tasks to end before it cleans up anyway and says so. */
    static final long MAX_WAIT_MILLIS = 60_000;
    /** Task events arrive on Spark's listener bus after the fact: none for this long, with no task running, is the end. */
    private static final long QUIET_MILLIS = 500;

    /** A call whose Spark jobs are tagged. */
    interface Call<T> {
        T run() throws IOException;
    }

    private OwnJobs() {
    }

    /**
     * Runs {@code call} with its Spark jobs (those it runs on this thread) tagged; when it throws, cancels those still
     * running and waits until their tasks have ended, then throws what it threw.
     */
    static <T> T run(SparkContext sc, String what, Call<T> call) throws IOException {
        String tag = "hnswseg-" + UUID.randomUUID();
        String interruptKey = org.apache.spark.SparkContext$.MODULE$.SPARK_JOB_INTERRUPT_ON_CANCEL();
        String interruptBefore = sc.getLocalProperty(interruptKey);
        Tasks tasks = new Tasks(tag, org.apache.spark.SparkContext$.MODULE$.SPARK_JOB_TAGS(), org.apache.spark.SparkContext$.MODULE$.SPARK_JOB_TAGS_SEP());
        sc.addSparkListener(tasks);
        sc.addJobTag(tag);
        // So that a cancel, or the failure of one task, interrupts the others' threads (a graph build looks at the flag).
        sc.setLocalProperty(interruptKey, "true");
        try {
            return call.run();
        } catch (Throwable e) {
            stop(sc, tag, tasks, what);
            throw e;
        } finally {
            sc.removeJobTag(tag);
            sc.setLocalProperty(interruptKey, interruptBefore);
            sc.removeSparkListener(tasks);
        }
    }

    /** Cancels the jobs of {@code tag} and waits for their running tasks to end; keeps this thread's interrupt for its caller. */
    private static void stop(SparkContext sc, String tag, Tasks tasks, String what) {
        boolean interrupted = Thread.interrupted();
        try {
            sc.cancelJobsWithTag(tag, what + " failed");
            long deadline = System.currentTimeMillis() + MAX_WAIT_MILLIS;
            long quietSince = System.currentTimeMillis();
            long events = tasks.events.get();
            while (System.currentTimeMillis() < deadline) {
                if (sc.isStopped()) {
                    return; // the JVM is shutting down (a signal): the tasks end with the context, and no event will come
                }
                if (tasks.events.get() != events || tasks.running.get() > 0) {
                    events = tasks.events.get();
                    quietSince = System.currentTimeMillis();
                } else if (System.currentTimeMillis() - quietSince >= QUIET_MILLIS) {
                    return;
                }
                Thread.sleep(50);
            }
            LOG.warn("{} tasks of the failed {} still run after {} s: a file they write after this is a leftover for"
                    + " `hnswseg vacuum` (or the next build) to remove", tasks.running.get(), what, MAX_WAIT_MILLIS / 1000);
        } catch (InterruptedException e) {
            interrupted = true;
        } catch (RuntimeException e) {
            // A stopped SparkContext (the JVM shutting down): its tasks are ending with it.
            LOG.debug("could not cancel the jobs of {}: {}", what, e.toString());
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Counts the running tasks of the jobs tagged {@code tag}. */
    private static final class Tasks extends SparkListener {
        private final String tag;
        private final String tagsKey;
        private final String separator;
        private final Set<Integer> stages = ConcurrentHashMap.newKeySet();
        final AtomicInteger running = new AtomicInteger();
        /** Task events of those jobs seen so far: a change means they are not quiet yet. */
        final AtomicInteger events = new AtomicInteger();

        Tasks(String tag, String tagsKey, String separator) {
            this.tag = tag;
            this.tagsKey = tagsKey;
            this.separator = separator;
        }

        @Override
        public void onJobStart(SparkListenerJobStart job) {
            String tags = job.properties() == null ? null : job.properties().getProperty(tagsKey);
            if (tags != null && java.util.Arrays.asList(tags.split(java.util.regex.Pattern.quote(separator))).contains(tag)) {
                scala.jdk.javaapi.CollectionConverters.asJava(job.stageIds()).forEach(id -> stages.add((Integer) id));
            }
        }

        @Override
        public void onTaskStart(SparkListenerTaskStart task) {
            if (stages.contains(task.stageId())) {
                running.incrementAndGet();
                events.incrementAndGet();
            }
        }

        @Override
        public void onTaskEnd(SparkListenerTaskEnd task) {
            if (stages.contains(task.stageId())) {
                running.decrementAndGet();
                events.incrementAndGet();
            }
        }
    }
}
