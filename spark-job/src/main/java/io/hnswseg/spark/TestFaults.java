package io.hnswseg.spark;

import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ShuffleDependency;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.rdd.RDD;
import org.apache.spark.shuffle.FetchFailedException;
import org.apache.spark.storage.BlockId;
import org.apache.spark.storage.BlockManagerId;
import org.apache.spark.storage.ShuffleBlockId;
import scala.Tuple2;
import scala.Tuple3;
import scala.collection.Seq;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * Test hooks, all in one place: faults the fault tests (issue #9) inject into a build or a batch search
 * through the hidden option {@code --test-fault NAME} ({@link BuildOptions#testFault},
 * {@link SearchOptions#testFault}). Not a user option: it is hidden from {@code --help}, and with it unset
 * (always, outside tests) every method here does nothing. Each fault strikes partition 0 only.
 */
final class TestFaults {

    /**
     * The executor JVM dies ({@code Runtime.halt}) after writing the first bytes of partition 0's segment, on
     * the first attempt of the first stage attempt only. Refused in the driver's JVM (local mode), which
     * would take the test runner with it.
     */
    static final String HALT_MID_SEGMENT = "halt-mid-segment";
    /** Every attempt of partition 0 fails with an I/O error after writing the first bytes of its segment. */
    static final String FAIL_SEGMENT = "fail-segment";
    /**
     * The first attempt of partition 0's reduce task (shuffle builds only), once its segment is written,
     * reports a lost map output as Spark's shuffle reader does: the map stage and the reduce stage run again.
     * Refused in the driver's JVM (local mode).
     */
    static final String FETCH_FAILURE = "fetch-failure";
    /** The driver fails after the commit's re-check, right before the manifest is written. */
    static final String FAIL_BEFORE_MANIFEST = "fail-before-manifest";
    /** Writing the staged manifest (local disk, HDFS) fails as a full disk does, once some of it is written. */
    static final String FAIL_STAGING_MANIFEST = "fail-staging-manifest";
    /**
     * The driver, after the commit's re-check and before the manifest is written, writes a manifest of its own
     * where the build's goes: another build committing at that moment.
     */
    static final String MANIFEST_APPEARS = "manifest-appears";
    /**
     * Right before the manifest is written, the driver runs what {@code hnswseg vacuum --older-than 0} runs on
     * the output: another process cleaning up while the build runs.
     */
    static final String VACUUM_BEFORE_MANIFEST = "vacuum-before-manifest";
    /** Right before the manifest is written, the driver deletes this build's segment of partition 0. */
    static final String SEGMENT_GONE = "segment-gone-before-manifest";
    /** Every attempt of partition 0's task in the build's second recall pass ({@link EverySegmentPass}) fails. */
    static final String FAIL_UNROUTED_RECALL = "fail-unrouted-recall";
    /** Batch search: the first attempt of partition 0 fails with an I/O error once it has written some result rows. */
    static final String FAIL_RESULTS = "fail-results";
    /** Batch search: the recall check after the results are committed fails. */
    static final String FAIL_RECALL_CHECK = "fail-recall-check";

    /** Bytes a faulty segment write lets through before it strikes (more than a segment header). */
    private static final int PARTIAL_BYTES = 4096;
    /** Result rows a faulty search task writes before it strikes. */
    private static final int PARTIAL_ROWS = 10;

    private TestFaults() {
    }

    static void validate(String fault) {
        if (fault != null && !Set.of(HALT_MID_SEGMENT, FAIL_SEGMENT, FETCH_FAILURE, FAIL_BEFORE_MANIFEST, FAIL_STAGING_MANIFEST, MANIFEST_APPEARS,
                FAIL_RESULTS, FAIL_RECALL_CHECK, FAIL_UNROUTED_RECALL, VACUUM_BEFORE_MANIFEST, SEGMENT_GONE).contains(fault)) {
            throw new InvalidInputException("--test-fault " + fault + ": unknown");
        }
    }

    private static boolean firstAttempt(TaskContext task) {
        return task != null && task.stageAttemptNumber() == 0 && task.attemptNumber() == 0;
    }

    /** The stream a segment is written to: {@code out} itself unless a segment fault strikes this attempt. */
    static OutputStream segmentStream(JobConfig config, int partition, OutputStream out) {
        TaskContext task = TaskContext.get();
        boolean halt = HALT_MID_SEGMENT.equals(config.testFault) && firstAttempt(task);
        boolean fail = FAIL_SEGMENT.equals(config.testFault);
        if (partition != 0 || !(halt || fail)) {
            return out;
        }
        if (halt && "driver".equals(SparkEnv.get().executorId())) {
            throw new IllegalStateException("--test-fault " + HALT_MID_SEGMENT + " needs executor JVMs (local-cluster or a cluster)");
        }
        return new FilterOutputStream(out) {
            private long written;

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                int part = (int) Math.max(0, Math.min(len, PARTIAL_BYTES - written));
                out.write(b, off, part);
                written += part;
                if (written >= PARTIAL_BYTES) {
                    out.flush();
                    if (halt) {
                        Runtime.getRuntime().halt(1);
                    }
                    throw new IOException("injected failure of partition " + partition + " after " + written + " bytes (test hook)");
                }
            }

            @Override
            public void write(int b) throws IOException {
                write(new byte[]{(byte) b}, 0, 1);
            }
        };
    }

    /** The id of the shuffle that feeds {@code reduced}, when {@link #FETCH_FAILURE} needs it; else -1. */
    static int shuffleId(JobConfig config, RDD<?> reduced) {
        if (!FETCH_FAILURE.equals(config.testFault)) {
            return -1;
        }
        return ((ShuffleDependency<?, ?, ?>) reduced.dependencies().head()).shuffleId();
    }

    /**
     * After a reduce task has written its segment: for {@link #FETCH_FAILURE}, fails the task as Spark's shuffle
     * reader does when it cannot fetch a block, naming the first map output the task read. Refused in the
     * driver's JVM: in local mode a fetch failure unregisters the driver's own block manager for good.
     */
    static void afterReduce(JobConfig config, int partition, int shuffleId) throws FetchFailedException {
        TaskContext task = TaskContext.get();
        if (!FETCH_FAILURE.equals(config.testFault) || partition != 0 || !firstAttempt(task)) {
            return;
        }
        SparkEnv env = SparkEnv.get();
        if ("driver".equals(env.executorId())) {
            throw new IllegalStateException("--test-fault " + FETCH_FAILURE + " needs executor JVMs (local-cluster or a cluster)");
        }
        int reduceId = task.partitionId();
        Tuple2<BlockManagerId, Seq<Tuple3<BlockId, Object, Object>>> location =
                env.mapOutputTracker().getMapSizesByExecutorId(shuffleId, reduceId).next();
        Tuple3<BlockId, Object, Object> block = location._2().head();
        long mapId = block._1() instanceof ShuffleBlockId id ? id.mapId() : -1L;
        throw new FetchFailedException(location._1(), shuffleId, mapId, (Integer) block._3(), reduceId,
                "injected loss of map output " + block._3() + " on " + location._1() + " (test hook)", null);
    }

    /** In a batch search's task, after each result row it wrote: for {@link #FAIL_RESULTS}, fails the first attempt of partition 0. */
    static void afterResultRow(String fault, long rows) throws IOException {
        if (!FAIL_RESULTS.equals(fault) || rows != PARTIAL_ROWS) {
            return; // every row of every search passes here: nothing more before the fault is known to be on
        }
        TaskContext task = TaskContext.get();
        if (task.partitionId() == 0 && firstAttempt(task)) {
            throw new IOException("injected failure of a search task after " + rows + " result rows (test hook)");
        }
    }

    /** In a task of the build's second recall pass, before it reads its segment back. */
    static void beforeUnroutedRecall(String fault, int partition) throws IOException {
        if (FAIL_UNROUTED_RECALL.equals(fault) && partition == 0) {
            throw new IOException("injected failure of the recall pass over every segment (test hook)");
        }
    }

    /** In the driver, after the commit's re-check and before the manifest is written. */
    static void beforeManifest(String fault, FileSystem fs, Path manifest, String runId) throws IOException {
        Path root = manifest.getParent();
        if (VACUUM_BEFORE_MANIFEST.equals(fault)) {
            Vacuum.run(fs, root, java.time.Duration.ZERO, null, false);
        }
        if (SEGMENT_GONE.equals(fault)) {
            for (org.apache.hadoop.fs.FileStatus f : fs.listStatus(new Path(root, "segments"))) {
                if (f.getPath().getName().startsWith(runId + "-part-00000-")) {
                    fs.delete(f.getPath(), false);
                }
            }
        }
        if (FAIL_BEFORE_MANIFEST.equals(fault)) {
            throw new IOException("injected failure before the manifest is written (test hook)");
        }
        if (MANIFEST_APPEARS.equals(fault)) {
            try (FSDataOutputStream out = fs.create(manifest, true)) {
                out.write(OTHER_MANIFEST);
            }
        }
    }

    /** In the driver, writing the staged manifest into {@code out}. */
    static void whileStagingManifest(String fault, java.io.OutputStream out) throws IOException {
        if (FAIL_STAGING_MANIFEST.equals(fault)) {
            out.write('{');
            throw new IOException("No space left on device (test hook)");
        }
    }

    /** What {@link #MANIFEST_APPEARS} writes (a test compares the bytes, nothing reads them as a manifest). */
    static final byte[] OTHER_MANIFEST = "{\"written by\": \"another build (test hook)\"}".getBytes(StandardCharsets.UTF_8);
}
