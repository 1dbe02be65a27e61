package io.hnswseg.spark;

import io.hnswseg.eval.BruteForce;
import io.hnswseg.eval.Recall;
import io.hnswseg.hnsw.SearchResults;
import io.hnswseg.io.FloatMatrix;
import io.hnswseg.manifest.IndexManifest;
import io.hnswseg.reader.IndexReader;
import io.hnswseg.segment.MappedSegment;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Faults that need executor JVMs, in Spark's local-cluster mode (two workers, one executor JVM of one core
 * each, set up as in {@link LocalClusterTest}), injected by the hidden {@code --test-fault} option
 * ({@link TestFaults}): an executor that dies in the middle of writing a segment, and a lost map output
 * that makes Spark run the map stage and the segment stage again.
 */
class ClusterFaultTest {

    @TempDir
    static Path tmp;
    private static SparkSession spark;
    private static FloatMatrix[] data;
    private static Path input;
    /** The same rows with a NaN row before every 100th ({@link #GAPS} of them), and each row's id (row number) in it. */
    private static Path withGaps;
    private static long[] idsWithGaps;
    private static final int GAPS = 40;

    @BeforeAll
    static void start() throws IOException {
        List<String> app = new ArrayList<>();
        LocalClusterTest.sparkHome(app);
        data = JobFixtures.clustered(4_000, 50, 16, 9);
        input = JobFixtures.writeFvecs(tmp.resolve("base.fvecs"), data[0]);
        writeWithGaps(data[0]);
        String opens = System.getProperty("hnswseg.spark.opens", "");
        spark = JobFixtures.session("local-cluster[2,1,1024]")
                .config("spark.executor.extraClassPath", String.join(File.pathSeparator, app))
                .config("spark.executor.extraJavaOptions", "--add-modules=jdk.incubator.vector " + opens)
                .config("spark.executor.memory", "768m")
                .getOrCreate();
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    /** Waits for both executors (a killed one is replaced by its worker), so tasks cannot all land on one. */
    private static void awaitExecutors() throws InterruptedException {
        for (int i = 0; i < 600 && spark.sparkContext().getExecutorMemoryStatus().size() < 3; i++) {
            Thread.sleep(100);
        }
        assertEquals(3, spark.sparkContext().getExecutorMemoryStatus().size(), "driver + 2 executors");
    }

    /** Spread over every map task's rows, so that a map task run again has rows to skip. */
    private static void writeWithGaps(FloatMatrix base) throws IOException {
        int dim = base.dimension();
        int rows = base.rows() + GAPS;
        float[] all = new float[rows * dim];
        idsWithGaps = new long[base.rows()];
        int at = 0;
        for (int r = 0; r < base.rows(); r++) {
            if (r % (base.rows() / GAPS) == 0) {
                java.util.Arrays.fill(all, at * dim, (at + 1) * dim, Float.NaN);
                at++;
            }
            System.arraycopy(base.data(), r * dim, all, at * dim, dim);
            idsWithGaps[r] = at++;
        }
        withGaps = JobFixtures.writeFvecs(tmp.resolve("gaps.fvecs"), new FloatMatrix(dim, rows, all));
    }

    /** Runs a build (4 k-means partitions of {@code from}: a shuffle) with a listener recording how its tasks ended. */
    private static Map<String, Object> build(Path index, TaskEvents events, String fault, Path from, String... options) throws Exception {
        awaitExecutors();
        spark.sparkContext().addSparkListener(events);
        try {
            List<String> args = new ArrayList<>(List.of("--input", from.toString(), "--output", index.toString(),
                    "--partitions", "4", "--eval-queries", "200", "--test-fault", fault));
            args.addAll(List.of(options));
            Map<String, Object> summary = JobFixtures.runJob(spark, args.toArray(new String[0]));
            events.awaitQuiet(spark.sparkContext());
            return summary;
        } finally {
            spark.sparkContext().removeSparkListener(events);
        }
    }

    private static String runOf(IndexManifest manifest) {
        return manifest.segments().get(0).path().substring("segments/".length(), "segments/".length() + 8);
    }

    /** Every partition listed once, every vector stored once under its id ({@code ids[r]} for row r), the reader's answers right. */
    private static void assertCorrect(Path index, IndexManifest manifest, Map<String, Object> summary, long[] ids) throws IOException {
        List<Integer> partitions = manifest.segments().stream().map(s -> JobFixtures.partitionOf(s.path())).toList();
        assertEquals(4, partitions.size(), manifest.segments().toString());
        assertEquals(4, new HashSet<>(partitions).size(), "each partition listed once: " + partitions);
        assertEquals(4_000, manifest.totalCount());
        assertEquals(4_000L, ((Number) summary.get("vectors")).longValue());
        try (IndexReader reader = IndexReader.open(index.toString())) {
            assertEveryVectorOnce(reader, data[0], ids);
            assertTrue(recall(reader, data[0], data[1], ids) >= 0.9, "recall@10");
        }
    }

    @Test
    void anExecutorKilledMidSegmentLeavesACorrectIndexAndNoUnlistedFileAfterVacuum() throws Exception {
        Path index = tmp.resolve("killed");
        TaskEvents events = new TaskEvents();
        Map<String, Object> summary = build(index, events, TestFaults.HALT_MID_SEGMENT, input);

        // The killed attempt: partition 0's first, ended by the loss of its executor (the only task it ran then).
        List<TaskEvents.End> lost = events.ends(e -> e.outcome().equals("executor-lost"));
        assertEquals(1, lost.size(), "one task attempt lost with its executor: " + events);
        assertEquals(0, lost.get(0).partition(), events.toString());
        IndexManifest manifest = JobFixtures.manifest(index);
        String killed = SegmentTask.segmentPath(runConfig(runOf(manifest)), 0, lost.get(0).taskId());
        Set<String> listed = JobFixtures.listed(manifest);
        assertFalse(listed.contains(killed), "the killed attempt's file is not listed: " + killed);
        assertFalse(Files.exists(index.resolve(killed)), "the killed attempt's partial file was removed by the build: " + killed);
        assertTrue(((Number) summary.get("removed_attempt_files")).intValue() >= 1, "the build removed it: " + summary);
        assertCorrect(index, manifest, summary, java.util.stream.LongStream.range(0, data[0].rows()).toArray());

        // After a vacuum with no grace, only what the manifest lists is left.
        assertEquals(0, JobFixtures.vacuum(index.toString(), "--older-than", "0"));
        assertEquals(listed, JobFixtures.dataFiles(index));
        assertEquals(manifest, JobFixtures.manifest(index));
    }

    /**
     * Also counts a map task run again once: rows skipped and vectors replicated were counted by an accumulator,
     * which Spark applies again for a task run again, and the manifest's count came out short by the rows that task
     * skipped.
     */
    @Test
    void aStageRetryCommitsOneDistinctCorrectFilePerPartition() throws Exception {
        Path index = tmp.resolve("stage-retry");
        TaskEvents events = new TaskEvents();
        Map<String, Object> summary = build(index, events, TestFaults.FETCH_FAILURE, withGaps, "--on-invalid", "skip",
                "--replication", "0.1");

        // The first attempt of partition 0's reduce task wrote its segment, then reported a lost map output:
        // the map stage ran again, then a new attempt of the reduce stage, whose attempt numbers restart at 0.
        List<TaskEvents.End> fetchFailed = events.ends(e -> e.outcome().equals("fetch-failed"));
        assertEquals(1, fetchFailed.size(), events.toString());
        TaskEvents.End failed = fetchFailed.get(0);
        assertEquals(0, failed.partition(), events.toString());
        assertEquals(0, failed.stageAttempt(), events.toString());
        assertFalse(events.ends(e -> e.type().equals("ShuffleMapTask") && e.stageAttempt() >= 1 && e.succeeded()).isEmpty(),
                "the map stage ran again: " + events);
        List<TaskEvents.End> retried = events.ends(e -> e.stage() == failed.stage() && e.stageAttempt() >= 1 && e.partition() == 0
                && e.succeeded());
        assertEquals(1, retried.size(), "partition 0 built again in a new attempt of the reduce stage: " + events);

        IndexManifest manifest = JobFixtures.manifest(index);
        JobConfig run = runConfig(runOf(manifest));
        String first = SegmentTask.segmentPath(run, 0, failed.taskId());
        String second = SegmentTask.segmentPath(run, 0, retried.get(0).taskId());
        assertNotEquals(first, second);
        Set<String> listed = JobFixtures.listed(manifest);
        assertTrue(listed.contains(second) && !listed.contains(first), listed + " lists the retry's file " + second);
        assertFalse(Files.exists(index.resolve(first)), "the build removed the lost attempt's file " + first);
        assertTrue(((Number) summary.get("removed_attempt_files")).intValue() >= 1, summary.toString());

        // Each listed file whole (its own CRC32C verified) and matching its manifest entry.
        for (IndexManifest.Segment s : manifest.segments()) {
            Path file = index.resolve(s.path());
            assertEquals(s.bytes(), Files.size(file), s.path());
            try (MappedSegment segment = MappedSegment.open(file, true)) {
                assertEquals(s.crc32c(), segment.storedChecksum(), s.path());
                assertEquals(s.count(), segment.size(), s.path());
            }
        }
        assertCorrect(index, manifest, summary, idsWithGaps);
        assertEquals((long) GAPS, ((Number) summary.get("skipped")).longValue(), summary.toString());
        long stored = manifest.segments().stream().mapToLong(IndexManifest.Segment::count).sum();
        long replicated = ((Number) summary.get("replicated")).longValue();
        assertTrue(replicated > 0, summary.toString());
        assertEquals(stored - 4_000, replicated, summary.toString());
        assertEquals(replicated, manifest.routing().replicatedVectors());
        // An attempt of a stage attempt given up may still finish after the commit; vacuum removes what it wrote.
        Set<String> unlisted = new TreeSet<>(JobFixtures.dataFiles(index));
        unlisted.removeAll(listed);
        System.out.println("unlisted files after the build: " + unlisted);
        assertEquals(0, JobFixtures.vacuum(index.toString(), "--older-than", "0"));
        assertEquals(listed, JobFixtures.dataFiles(index));
    }

    private static JobConfig runConfig(String run) {
        JobConfig c = new JobConfig();
        c.runId = run;
        return c;
    }

    /** Each stored vector's exact nearest neighbour is itself: with {@code size()} equal to the row count, each id is stored once. */
    static void assertEveryVectorOnce(IndexReader reader, FloatMatrix base, long[] expected) {
        List<float[]> rows = new ArrayList<>();
        for (int r = 0; r < base.rows(); r++) {
            rows.add(base.row(r));
        }
        List<SearchResults> exact = reader.exactSearch(rows, 1);
        long[] found = exact.stream().mapToLong(s -> s.ids()[0]).toArray();
        assertArrayEquals(expected, found, "every row found as its own nearest neighbour");
        assertEquals(base.rows(), reader.size());
    }

    /** Recall@10 of the reader's default search against brute force, printed for the log. */
    static double recall(IndexReader reader, FloatMatrix base, FloatMatrix queries) {
        return recall(reader, base, queries, java.util.stream.LongStream.range(0, base.rows()).toArray());
    }

    /** As above, where row r of {@code base} has id {@code ids[r]}. */
    static double recall(IndexReader reader, FloatMatrix base, FloatMatrix queries, long[] ids) {
        int[][] truth = BruteForce.nearest(base, queries, 10, reader.metric());
        Map<Long, Long> rowOf = new java.util.HashMap<>();
        for (int r = 0; r < ids.length; r++) {
            rowOf.put(ids[r], (long) r);
        }
        long[][] found = new long[queries.rows()][];
        for (int q = 0; q < queries.rows(); q++) {
            found[q] = java.util.Arrays.stream(reader.search(queries.row(q), 10).ids()).map(id -> rowOf.getOrDefault(id, -1L)).toArray();
        }
        double recall = Recall.atK(found, truth, 10);
        System.out.printf("recall@10 %.4f at nprobe %s, ef %d%n", recall,
                reader.defaultNprobe() == 0 ? "all" : reader.defaultNprobe(), reader.defaultEf());
        return recall;
    }
}
