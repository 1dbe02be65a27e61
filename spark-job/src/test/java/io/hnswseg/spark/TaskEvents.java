package io.hnswseg.spark;

import org.apache.spark.ExecutorLostFailure;
import org.apache.spark.FetchFailed;
import org.apache.spark.Success$;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/** Records how tasks ended, for the fault tests to tell which attempt failed, how, and which one won. */
final class TaskEvents extends SparkListener {

    /** One task attempt's end: stage and stage attempt, Spark's task attempt id, the RDD partition, task type, outcome. */
    record End(int stage, int stageAttempt, long taskId, int partition, String type, String outcome) {
        boolean succeeded() {
            return outcome.equals("success");
        }
    }

    private final List<End> ends = new ArrayList<>();
    private int started;

    @Override
    public synchronized void onTaskStart(SparkListenerTaskStart start) {
        started++;
    }

    @Override
    public synchronized void onTaskEnd(SparkListenerTaskEnd end) {
        String outcome = end.reason() == Success$.MODULE$ ? "success"
                : end.reason() instanceof ExecutorLostFailure ? "executor-lost"
                : end.reason() instanceof FetchFailed ? "fetch-failed"
                : end.reason().getClass().getSimpleName();
        ends.add(new End(end.stageId(), end.stageAttemptId(), end.taskInfo().taskId(), end.taskInfo().partitionId(), end.taskType(), outcome));
    }

    synchronized List<End> ends(Predicate<End> which) {
        return ends.stream().filter(which).toList();
    }

    /**
     * Waits (at most 30 s) until the listener bus has delivered what was posted and every task that started
     * has ended: attempts that lost a race (of a stage attempt given up) may still run after their job ended.
     */
    void awaitQuiet(org.apache.spark.SparkContext sc) throws InterruptedException, java.util.concurrent.TimeoutException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline) {
            sc.listenerBus().waitUntilEmpty();
            synchronized (this) {
                if (ends.size() >= started) {
                    return;
                }
            }
            Thread.sleep(100);
        }
    }

    @Override
    public synchronized String toString() {
        return ends.toString();
    }
}
