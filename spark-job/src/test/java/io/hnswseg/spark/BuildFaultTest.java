package io.hnswseg.spark;

import io.hnswseg.hnsw.HnswGraphBuilder;
import io.hnswseg.hnsw.SearchResults;
import io.hnswseg.io.FloatMatrix;
import io.hnswseg.manifest.IndexManifest;
import io.hnswseg.reader.IndexReader;
import io.hnswseg.segment.MappedSegment;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntFunction;
import java.util.stream.Stream;

import static io.hnswseg.spark.JobFixtures.runJob;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Builds that fail, or are retried, at each stage (issue #9), in local mode with tasks tried up to 3 times.
 * Faults come from the hidden {@code --test-fault} option ({@link TestFaults}) or from bad input.
 */
class BuildFaultTest {

    @TempDir
    static Path tmp;
    private static SparkSession spark;
    private static FloatMatrix[] data;
    private static Path table;

    @BeforeAll
    static void start() {
        spark = JobFixtures.session("local[2,3]").getOrCreate();
        data = JobFixtures.clustered(3_000, 20, 16, 11);
        table = parquet("table", 3_000, r -> data[0].row(r));
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    /** A Parquet table (id bigint, vector array<float>) of rows 0..rows-1, in 3 files. */
    private static Path parquet(String name, int rows, IntFunction<float[]> vector) {
        StructType schema = new StructType().add("id", DataTypes.LongType).add("vector", DataTypes.createArrayType(DataTypes.FloatType));
        List<Row> list = new ArrayList<>();
        for (int r = 0; r < rows; r++) {
            list.add(RowFactory.create((long) r, vector.apply(r)));
        }
        Path path = tmp.resolve(name);
        spark.createDataFrame(list, schema).repartition(3).write().parquet(path.toString());
        return path;
    }

    /** Every file of the index, relative path to size and modification time. */
    private static Map<String, List<Long>> snapshot(Path index) throws IOException {
        Map<String, List<Long>> all = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(index)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                all.put(index.relativize(p).toString(), List.of(Files.size(p), Files.getLastModifiedTime(p).toMillis()));
            }
        }
        return all;
    }

    /** The answers of the committed index: the reader's defaults, and every segment at ef 40. */
    private static List<SearchResults> answers(Path index) throws IOException {
        try (IndexReader reader = IndexReader.open(index.toString())) {
            List<SearchResults> all = new ArrayList<>();
            for (int q = 0; q < data[1].rows(); q++) {
                all.add(reader.search(data[1].row(q), 10));
                all.add(reader.search(data[1].row(q), 10, 40, 0));
            }
            return all;
        }
    }

    private static String failure(String... args) {
        Exception e = assertThrows(Exception.class, () -> runJob(spark, args));
        return SessionOptions.explain(e);
    }

    @Test
    void anOverwriteFailingAtAnyStageLeavesTheOldIndexAnsweringAsBefore() throws IOException {
        Path index = tmp.resolve("replaced");
        runJob(spark, "--input", table.toString(), "--output", index.toString(), "--partitions", "2", "--eval-queries", "200");
        IndexManifest old = JobFixtures.manifest(index);
        byte[] manifestBytes = Files.readAllBytes(index.resolve(IndexManifest.FILE_NAME));
        Map<String, List<Long>> files = snapshot(index);
        List<SearchResults> before = answers(index);
        String out = index.toString();

        // (a) Reading the input: a Parquet file cut short fails the pass that counts and samples the table.
        Path cut = tmp.resolve("cut-table");
        try (Stream<Path> parts = Files.list(table)) {
            for (Path p : parts.filter(p -> p.getFileName().toString().endsWith(".parquet")).sorted().toList()) {
                Files.createDirectories(cut);
                Files.copy(p, cut.resolve(p.getFileName()));
            }
        }
        Path victim;
        try (Stream<Path> parts = Files.list(cut)) {
            victim = parts.sorted().toList().get(2);
        }
        byte[] whole = Files.readAllBytes(victim);
        Files.write(victim, java.util.Arrays.copyOf(whole, whole.length / 2));
        String m = failure("--input", cut.toString(), "--output", out, "--overwrite", "--partitions", "2");
        assertTrue(m.contains(victim.getFileName().toString()), m);
        assertUnchanged(index, manifestBytes, files, before, "a table that cannot be read");

        // (a') Building: a NaN component, which the counting pass does not look at, fails the shuffle's map side.
        Path nan = parquet("nan-table", 3_000, r -> {
            float[] v = data[0].row(r).clone();
            if (r == 2_345) {
                v[5] = Float.NaN;
            }
            return v;
        });
        m = failure("--input", nan.toString(), "--output", out, "--overwrite", "--partitions", "2");
        assertTrue(m.contains("row id 2345") && m.contains("NaN"), m);
        assertUnchanged(index, manifestBytes, files, before, "a bad row");

        // (c) The commit: the driver fails after every segment and the centroids are written, before the manifest.
        // Its tasks are done, so the build removes every file it wrote.
        m = failure("--input", table.toString(), "--output", out, "--overwrite", "--partitions", "2",
                "--test-fault", TestFaults.FAIL_BEFORE_MANIFEST);
        assertTrue(m.contains("injected failure before the manifest"), m);
        assertUnchanged(index, manifestBytes, files, before, "a failure before the manifest is written");
        assertEquals(JobFixtures.listed(old), JobFixtures.dataFiles(index), "the failed builds removed the files they wrote");

        // (c') The staged manifest cannot be written (a full disk): nothing was committed, so the build's files go too.
        m = failure("--input", table.toString(), "--output", out, "--overwrite", "--partitions", "2",
                "--test-fault", TestFaults.FAIL_STAGING_MANIFEST);
        assertTrue(m.contains("the manifest could not be staged") && m.contains("No space left on device")
                && m.contains("this build's files removed"), m);
        assertUnchanged(index, manifestBytes, files, before, "a staged manifest that cannot be written");
        assertEquals(JobFixtures.listed(old), JobFixtures.dataFiles(index), "the failed build removed the files it wrote");
        try (Stream<Path> top = Files.list(index)) {
            assertEquals(List.of(), top.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".tmp")).toList(),
                    "no staged manifest left");
        }

        // (b) Segment tasks: every attempt of partition 0 fails once 4 KiB of its segment are written.
        m = failure("--input", table.toString(), "--output", out, "--overwrite", "--partitions", "2", "--test-fault", TestFaults.FAIL_SEGMENT);
        assertTrue(m.contains("injected failure of partition 0"), m);
        assertUnchanged(index, manifestBytes, files, before, "failing segment tasks");

        // A task that outlives its failed job may still write a segment: a vacuum removes exactly such leftovers,
        // and the old index still answers the same.
        assertEquals(0, JobFixtures.vacuum(out, "--older-than", "0"));
        assertEquals(JobFixtures.listed(old), JobFixtures.dataFiles(index));
        assertUnchanged(index, manifestBytes, files, before, "vacuum");
    }

    @Test
    void anIndexCommittedAfterTheReCheckIsNotReplaced() throws IOException {
        // Another build's manifest appears between this build's re-check and its write: the rename into a new
        // output never replaces, so this build fails, removes its files and leaves the other manifest as it is.
        Path index = tmp.resolve("raced");
        String m = failure("--input", table.toString(), "--output", index.toString(), "--partitions", "2",
                "--test-fault", TestFaults.MANIFEST_APPEARS);
        assertTrue(m.contains("an index was committed there while this build ran") && m.contains("this build's files removed"), m);
        assertArrayEquals(TestFaults.OTHER_MANIFEST, Files.readAllBytes(index.resolve(IndexManifest.FILE_NAME)));
        assertEquals(java.util.Set.of(), JobFixtures.dataFiles(index), "this build's segments and centroids");
        try (Stream<Path> top = Files.list(index)) {
            assertEquals(List.of(IndexManifest.FILE_NAME), top.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).toList(),
                    "no staged manifest left");
        }
    }

    /**
     * A vacuum that runs while a build writes (probe helper 30: an hourly vacuum beside a build longer than its
     * grace period) takes none of the build's files, and a build whose files are gone commits nothing: it had
     * committed, exit 0, an index whose segments no reader could find.
     */
    @Test
    void aVacuumDuringTheBuildTakesNoneOfItsFilesAndAGoneFileIsNeverCommitted() throws IOException {
        Path index = tmp.resolve("vacuumed-while-building");
        String out = index.toString();
        runJob(spark, "--input", table.toString(), "--output", out, "--partitions", "2", "--eval-queries", "0");
        java.util.Set<String> both = new java.util.TreeSet<>(JobFixtures.listed(JobFixtures.manifest(index)));
        // vacuum --older-than 0 right before the manifest: the old index's files are listed, the build's leased.
        runJob(spark, "--input", table.toString(), "--output", out, "--partitions", "3", "--eval-queries", "0", "--overwrite",
                "--test-fault", TestFaults.VACUUM_BEFORE_MANIFEST);
        IndexManifest built = JobFixtures.manifest(index);
        assertEquals(3, built.segments().size());
        both.addAll(JobFixtures.listed(built));
        assertEquals(both, new java.util.TreeSet<>(JobFixtures.dataFiles(index)), "the old index's files and every new one");
        byte[] manifestBytes = Files.readAllBytes(index.resolve(IndexManifest.FILE_NAME));
        Map<String, List<Long>> files = snapshot(index);
        List<SearchResults> before = answers(index);

        String m = failure("--input", table.toString(), "--output", out, "--partitions", "2", "--eval-queries", "0", "--overwrite",
                "--test-fault", TestFaults.SEGMENT_GONE);
        assertTrue(m.contains("1 of the 3 files this build wrote are gone") && m.contains("Nothing committed, this build's files removed"), m);
        assertUnchanged(index, manifestBytes, files, before, "a build whose segment was removed under it");
        assertEquals(both, new java.util.TreeSet<>(JobFixtures.dataFiles(index)), "the refused build's files removed");
        try (Stream<Path> top = Files.list(index)) {
            assertEquals(List.of(), top.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(BuildLease.PREFIX)).toList(),
                    "leases end with their builds");
        }
    }

    private static void assertUnchanged(Path index, byte[] manifestBytes, Map<String, List<Long>> files, List<SearchResults> before,
                                        String after) throws IOException {
        assertArrayEquals(manifestBytes, Files.readAllBytes(index.resolve(IndexManifest.FILE_NAME)), "manifest bytes after " + after);
        Map<String, List<Long>> now = snapshot(index);
        for (Map.Entry<String, List<Long>> f : files.entrySet()) {
            assertEquals(f.getValue(), now.get(f.getKey()), f.getKey() + " (size, modified) after " + after);
        }
        // The same ids; distances to the last bit but for the Vector API's rounding across JIT tiers.
        List<SearchResults> answers = answers(index);
        for (int i = 0; i < before.size(); i++) {
            assertTrue(before.get(i).matches(answers.get(i), 1e-6), "answer " + i + " after " + after + ": " + answers.get(i)
                    + ", before " + before.get(i));
        }
    }

    /**
     * Probe helper 94: a store that kept a segment altered answered 200, and the build committed an index no reader
     * opened. A byte in the body and one in the footer (the stored CRC32C) alike; and the manifest itself, read back too
     * (probe helper 97).
     */
    @ParameterizedTest
    @ValueSource(strings = {"segment", "segment's footer", "staged manifest"})
    void aFileTheStoreKeptAlteredIsWrittenAgainBeforeTheCommit(String altered) throws IOException {
        spark.sparkContext().hadoopConfiguration().set("fs.altering.impl", AlteringFileSystem.class.getName());
        spark.sparkContext().hadoopConfiguration().set("fs.AbstractFileSystem.altering.impl", AlteringFileSystem.Fs.class.getName());
        AlteringFileSystem.altered.set(0);
        // A manifest's last byte is its closing brace, which its checksum does not cover: the 1,000th is inside it.
        AlteringFileSystem.suffix = altered.equals("staged manifest") ? ".tmp" : ".hseg";
        AlteringFileSystem.lastByte = altered.equals("segment's footer");
        Path index = tmp.resolve("altered-" + altered.replace(' ', '-').replace("'", ""));
        try {
            runJob(spark, "--input", table.toString(), "--output", "altering://" + index, "--partitions", "2", "--eval-queries", "0");
        } finally {
            spark.sparkContext().hadoopConfiguration().unset("fs.altering.impl");
            spark.sparkContext().hadoopConfiguration().unset("fs.AbstractFileSystem.altering.impl");
            AlteringFileSystem.suffix = ".hseg";
        }
        assertTrue(AlteringFileSystem.altered.get() > AlteringFileSystem.ALTERED, "one file was altered, and others written");
        IndexManifest manifest = JobFixtures.manifest(index);
        assertEquals(3_000, manifest.totalCount());
        for (IndexManifest.Segment s : manifest.segments()) {
            try (MappedSegment segment = MappedSegment.open(index.resolve(s.path()), true)) {
                assertEquals(s.crc32c(), segment.storedChecksum(), s.path());
            }
        }
    }

    @Test
    void twoAttemptsNamedAlikeNeverShareAFile() throws IOException {
        // Outside Spark every attempt is number 0: the second finds the first's file and fails, leaving it whole.
        JobConfig config = new JobConfig();
        config.output = tmp.resolve("same-name").toUri().toString();
        config.runId = "0123abcd";
        config.metric = "l2";
        config.m = 8;
        config.efConstruction = 40;
        config.seed = 1;
        config.threadsPerTask = 1;
        config.dimension = 16;
        SegmentResult written = SegmentTask.buildAndWrite(config, builder(config, 0), 0, 0, 0, 0, new Configuration(), null);
        Path file = tmp.resolve("same-name").resolve(written.path);
        byte[] bytes = Files.readAllBytes(file);
        UncheckedIOException e = assertThrows(UncheckedIOException.class,
                () -> SegmentTask.buildAndWrite(config, builder(config, 500), 0, 0, 0, 0, new Configuration(), null));
        assertInstanceOf(FileAlreadyExistsException.class, e.getCause(), e.toString());
        assertArrayEquals(bytes, Files.readAllBytes(file), "the first attempt's file is untouched");
        try (MappedSegment segment = MappedSegment.open(file, true)) {
            assertEquals(written.crc32c, segment.storedChecksum());
        }
    }

    private static HnswGraphBuilder builder(JobConfig config, int first) {
        HnswGraphBuilder b = new HnswGraphBuilder(config.dimension, 300, config.params());
        for (int r = first; r < first + 300; r++) {
            b.add(r, data[0].row(r), 0);
        }
        return b;
    }
}
