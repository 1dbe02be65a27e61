package io.hnswseg.spark;

import io.hnswseg.distance.Metric;
import io.hnswseg.io.FloatMatrix;
import io.hnswseg.manifest.IndexManifest;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntFunction;
import java.util.stream.Stream;

import static io.hnswseg.spark.JobFixtures.runJob;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The job end to end in local mode (2 threads, tasks retried up to 3 times), Kryo registration required. */
class BuildIndexJobTest {

    @TempDir
    static Path tmp;
    private static SparkSession spark;
    private static FloatMatrix[] data;
    private static Path fvecs;

    @BeforeAll
    static void start() throws IOException {
        spark = JobFixtures.session("local[2,3]").getOrCreate();
        data = JobFixtures.clustered(6_000, 100, 16, 2);
        fvecs = JobFixtures.writeFvecs(tmp.resolve("base.fvecs"), data[0]);
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static String out(String name) {
        return tmp.resolve(name).toString();
    }

    /** {@code --float-only}: segments without codes, searched on the floats (the recourse for ip outliers). */
    @Test
    void floatOnlyBuildsSegmentsWithoutCodes() throws IOException {
        Map<String, Object> summary = runJob(spark, "--input", fvecs.toString(), "--output", out("float-only"), "--partitions", "2",
                "--float-only");
        assertTrue(String.valueOf(summary.get("scoring")).startsWith("float vectors"), summary.toString());
        for (IndexManifest.Segment s : JobFixtures.manifest(tmp.resolve("float-only")).segments()) {
            try (io.hnswseg.segment.MappedSegment segment = io.hnswseg.segment.MappedSegment.open(tmp.resolve("float-only").resolve(s.path()))) {
                assertFalse(segment.header().hasCodes(), s.path());
            }
        }
        double recall = JobFixtures.recall(tmp.resolve("float-only"), data[0], data[1], Metric.L2);
        assertTrue(recall >= 0.95, "recall@10 " + recall);
    }

    @Test
    void fvecsEndToEnd() throws IOException {
        Map<String, Object> summary = runJob(spark, "--input", fvecs.toString(), "--output", out("fvecs"), "--partitions", "3",
                "--m", "12", "--ef-construction", "80");
        IndexManifest manifest = JobFixtures.manifest(tmp.resolve("fvecs"));
        assertEquals(3, manifest.segments().size());
        assertEquals(6_000, manifest.totalCount());
        assertEquals(6_000L, manifest.segments().stream().mapToLong(IndexManifest.Segment::count).sum());
        assertEquals(6_000L, ((Number) summary.get("vectors")).longValue());
        assertEquals(((Number) summary.get("vectors_per_second")).longValue(),
                ((Number) manifest.summary().get("vectors_per_second")).longValue());
        double recall = JobFixtures.recall(tmp.resolve("fvecs"), data[0], data[1], Metric.L2);
        assertTrue(recall >= 0.95, "recall@10 " + recall);
        JobFixtures.assertSegmentsRecordTheirCentroids(tmp.resolve("fvecs"));
        try (Stream<Path> files = Files.list(tmp.resolve("fvecs/segments"))) {
            assertEquals(3, files.count(), "exactly the listed segments are on disk");
        }
    }

    /**
     * Relative paths are the driver's: under spark-submit on a cluster a relative --output had each executor write its
     * segments in its own working directory (probe helper 93), so tasks now refuse an unqualified output.
     */
    @Test
    void relativePathsAreQualifiedOnTheDriver() throws IOException {
        Path cwd = Path.of("").toAbsolutePath();
        String input = cwd.relativize(fvecs).toString();
        String output = cwd.relativize(tmp.resolve("relative")).toString();
        assertFalse(Path.of(output).isAbsolute(), output);
        Map<String, Object> summary = runJob(spark, "--input", input, "--output", output, "--partitions", "2", "--eval-queries", "0");
        assertEquals(6_000L, ((Number) summary.get("vectors")).longValue());
        assertEquals(6_000, JobFixtures.manifest(tmp.resolve("relative")).totalCount());
        assertTrue(String.valueOf(JobFixtures.manifest(tmp.resolve("relative")).summary().get("input")).startsWith("file:/"),
                "the manifest records the input whole");
        // In local mode driver and tasks share a working directory, so the build above passes only through the tasks'
        // refusal of what the driver did not qualify (review helper 96): that refusal is checked here.
        JobConfig unqualified = new JobConfig();
        unqualified.output = output;
        assertThrows(IllegalStateException.class, unqualified::outputRoot);
    }

    private static Path parquet(String name, DataType vectorType, IntFunction<Object> vector, int rows, long idOffset) {
        StructType schema = new StructType().add("id", DataTypes.LongType).add("embedding", vectorType, true);
        List<Row> list = new ArrayList<>();
        for (int r = 0; r < rows; r++) {
            list.add(RowFactory.create(idOffset + r, vector.apply(r)));
        }
        Path path = tmp.resolve(name);
        spark.createDataFrame(list, schema).repartition(3).write().parquet(path.toString());
        return path;
    }

    private static Object floats(int r) {
        float[] v = data[0].row(r);
        Float[] boxed = new Float[v.length];
        for (int i = 0; i < v.length; i++) {
            boxed[i] = v[i];
        }
        return Arrays.asList(boxed);
    }

    @Test
    void parquetEndToEnd() throws IOException {
        Path input = parquet("table-float", DataTypes.createArrayType(DataTypes.FloatType), BuildIndexJobTest::floats, 6_000, 0);
        runJob(spark, "--input", input.toString(), "--output", out("parquet"), "--vector-col", "embedding", "--partitions", "2");
        IndexManifest manifest = JobFixtures.manifest(tmp.resolve("parquet"));
        assertEquals(2, manifest.segments().size());
        assertEquals(6_000, manifest.totalCount());
        double recall = JobFixtures.recall(tmp.resolve("parquet"), data[0], data[1], Metric.L2);
        assertTrue(recall >= 0.95, "recall@10 " + recall);
        JobFixtures.assertSegmentsRecordTheirCentroids(tmp.resolve("parquet"));
    }

    @Test
    void doubleArraysAndMlVectors() throws IOException {
        Path doubles = parquet("table-double", DataTypes.createArrayType(DataTypes.DoubleType), r -> {
            float[] v = data[0].row(r);
            Double[] d = new Double[v.length];
            for (int i = 0; i < v.length; i++) {
                d[i] = (double) v[i];
            }
            return Arrays.asList(d);
        }, 500, 0);
        Path ml = parquet("table-ml", new VectorUDT(), r -> {
            float[] v = data[0].row(r);
            double[] d = new double[v.length];
            for (int i = 0; i < v.length; i++) {
                d[i] = v[i];
            }
            return Vectors.dense(d);
        }, 500, 0);
        for (Path input : List.of(doubles, ml)) {
            String output = out(input.getFileName() + "-index");
            runJob(spark, "--input", input.toString(), "--output", output, "--vector-col", "embedding", "--partitions", "2");
            FloatMatrix queries = new FloatMatrix(16, 5, Arrays.copyOf(data[0].data(), 5 * 16));
            long[][] found = JobFixtures.searchIndex(Path.of(output), queries, 1, 20);
            for (int q = 0; q < 5; q++) {
                assertEquals(q, found[q][0], input.getFileName() + ": a stored vector finds itself");
            }
        }
        // A double beyond float32's range: the error says the cast made the Infinity the file does not hold.
        Path huge = parquet("table-double-huge", DataTypes.createArrayType(DataTypes.DoubleType), r -> {
            Double[] d = new Double[16];
            for (int i = 0; i < d.length; i++) {
                d[i] = r == 7 && i == 3 ? 1e39 : (double) data[0].row(r)[i];
            }
            return Arrays.asList(d);
        }, 500, 0);
        Exception e = assertThrows(Exception.class, () -> runJob(spark, "--input", huge.toString(),
                "--output", out("huge-index"), "--vector-col", "embedding", "--partitions", "2"));
        String said = SessionOptions.explain(e);
        assertTrue(said.startsWith("row id 7 (column embedding, array<double> read as float32: beyond +-3.4e38 is Infinity")
                && said.contains("Infinity at component 3"), said);
    }

    /**
     * Probe helper 34: Spark passes over files in a plain subdirectory of a table without a word (half a table was
     * indexed, "skipped 0"), and a file of another column type failed with Parquet's words alone, naming no file.
     */
    @Test
    void aTableWhoseFilesSparkWouldNotAllReadIsRefusedAndAFileOfAnotherTypeIsNamed() throws IOException {
        Path floats = parquet("table-float-parts", DataTypes.createArrayType(DataTypes.FloatType), BuildIndexJobTest::floats, 600, 0);
        Path doubles = parquet("table-double-parts", DataTypes.createArrayType(DataTypes.DoubleType), r -> {
            Double[] d = new Double[16];
            for (int i = 0; i < d.length; i++) {
                d[i] = (double) data[0].row(r)[i];
            }
            return Arrays.asList(d);
        }, 600, 10_000);
        List<Path> floatParts = parts(floats);
        Path nested = tmp.resolve("nested-table");
        Files.createDirectories(nested.resolve("more"));
        Files.copy(floatParts.get(0), nested.resolve(floatParts.get(0).getFileName()));
        Files.copy(floatParts.get(1), nested.resolve("more").resolve(floatParts.get(1).getFileName()));
        Files.writeString(nested.resolve("_SUCCESS"), "");
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> runJob(spark, "--input", nested.toString(),
                "--output", out("nested-index"), "--vector-col", "embedding", "--partitions", "2"));
        assertTrue(e.getMessage().contains("1 file in it would not be read (e.g. more/" + floatParts.get(1).getFileName() + ")"),
                e.getMessage());
        // The glob the error suggests reads every file: it named the subdirectory's alone (probe helper 77), and the
        // build indexed the other half without a word.
        String refusal = e.getMessage();
        String glob = refusal.substring(refusal.indexOf("--input '") + "--input '".length(), refusal.length() - 1);
        assertEquals(nested + "/{*.parquet,more/*.parquet}", glob);
        long rows = spark.read().parquet(floatParts.get(0).toString()).count() + spark.read().parquet(floatParts.get(1).toString()).count();
        runJob(spark, "--input", glob, "--output", out("nested-globbed"), "--vector-col", "embedding", "--partitions", "2",
                "--eval-queries", "0");
        assertEquals(rows, JobFixtures.manifest(tmp.resolve("nested-globbed")).totalCount());
        // Every file in plain subdirectories: Spark asked for a schema, which no option gives.
        Path deeper = tmp.resolve("deeper-table");
        Files.createDirectories(deeper.resolve("2024"));
        Files.createDirectories(deeper.resolve("2025"));
        Files.copy(floatParts.get(0), deeper.resolve("2024").resolve(floatParts.get(0).getFileName()));
        Files.copy(floatParts.get(1), deeper.resolve("2025").resolve(floatParts.get(1).getFileName()));
        e = assertThrows(InvalidInputException.class, () -> runJob(spark, "--input", deeper.toString(),
                "--output", out("deeper-index"), "--vector-col", "embedding", "--partitions", "2"));
        assertTrue(e.getMessage().contains("2 files in it would not be read") && e.getMessage().endsWith(deeper + "/{2024/*.parquet,2025/*.parquet}'"),
                e.getMessage());
        // No glob where *.parquet would also match a directory, whose files Spark would read twice (review helper 79).
        assertEquals(null, ParquetTables.globOf("/t", List.of("a.parquet", "more.parquet/b.parquet")));
        assertEquals(null, ParquetTables.globOf("/t", List.of("000000_0", "sub/000001_0")));
        assertEquals("/t/{*.parquet,x=1/*.parquet}", ParquetTables.globOf("/t/", List.of("a.parquet", "x=1/b.parquet")));
        // A file beside key=value directories: Spark lists it among its inputs, then reads none of its rows.
        Path dated = tmp.resolve("dated-table");
        Files.createDirectories(dated.resolve("date=2026-12-01"));
        Files.copy(floatParts.get(0), dated.resolve("date=2026-12-01").resolve(floatParts.get(0).getFileName()));
        Files.copy(floatParts.get(1), dated.resolve("loose.parquet"));
        e = assertThrows(InvalidInputException.class, () -> runJob(spark, "--input", dated.toString(),
                "--output", out("dated-index"), "--vector-col", "embedding", "--partitions", "2"));
        assertTrue(e.getMessage().contains("1 file in it would not be read (e.g. loose.parquet)"), e.getMessage());
        Path mixed = tmp.resolve("mixed-table");
        Files.createDirectories(mixed);
        Files.copy(floatParts.get(0), mixed.resolve("a-" + floatParts.get(0).getFileName()));
        Path doublePart = mixed.resolve("b-" + parts(doubles).get(0).getFileName());
        Files.copy(parts(doubles).get(0), doublePart);
        Exception mismatch = assertThrows(Exception.class, () -> runJob(spark, "--input", mixed.toString(),
                "--output", out("mixed-index"), "--vector-col", "embedding", "--partitions", "2"));
        String said = SessionOptions.explain(mismatch);
        assertTrue(said.startsWith("reading ") && said.contains(doublePart.getFileName().toString())
                && said.contains("column embedding holds double values where the table has float"), said);
    }

    /** Probe helper 39: Spark refuses a float16 column in its words alone, naming neither the column nor the file. */
    @Test
    void aFloat16ColumnIsNamedWithItsFile() throws IOException {
        Path table = tmp.resolve("half-table");
        Files.createDirectories(table);
        Path file = table.resolve("part-0.parquet");
        org.apache.parquet.schema.MessageType schema = org.apache.parquet.schema.Types.buildMessage()
                .required(org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.INT64).named("id")
                .optional(org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY).length(2)
                .as(org.apache.parquet.schema.LogicalTypeAnnotation.float16Type()).named("half")
                .named("row");
        try (var writer = org.apache.parquet.hadoop.example.ExampleParquetWriter
                .builder(new org.apache.hadoop.fs.Path(file.toUri())).withType(schema).build()) {
            writer.write(new org.apache.parquet.example.data.simple.SimpleGroupFactory(schema).newGroup()
                    .append("id", 1L).append("half", org.apache.parquet.io.api.Binary.fromConstantByteArray(new byte[] {0, 0x3c})));
        }
        String said = failure("--input", table.toString(), "--output", out("half-index"), "--vector-col", "half");
        assertTrue(said.contains("column half of file ") && said.contains(file.getFileName().toString()) && said.contains("float16"), said);
    }

    /**
     * Probe helper 89: a table directory named t[1] was read as the pattern t[1], which matched its sibling t1, and that
     * table was indexed without a word; one named z[9] beside no z9 did not exist. A name that exists is that path.
     */
    @Test
    void aTableNamedWithGlobCharactersIsReadByItsNameAndAGlobStillMatches() throws IOException {
        Path named = parquet("glob-name/t[1]", DataTypes.createArrayType(DataTypes.FloatType), BuildIndexJobTest::floats, 300, 0);
        parquet("glob-name/t1", DataTypes.createArrayType(DataTypes.FloatType), BuildIndexJobTest::floats, 200, 10_000);
        runJob(spark, "--input", named.toString(), "--output", out("glob-named"), "--vector-col", "embedding", "--partitions", "2",
                "--eval-queries", "0");
        assertEquals(300, JobFixtures.manifest(tmp.resolve("glob-named")).totalCount(), "t[1]'s rows, not t1's");
        // Where no path has the name, it is a pattern: t? matches t1 alone (t[1] is four characters long).
        runJob(spark, "--input", tmp.resolve("glob-name").resolve("t?").toString(), "--output", out("glob-matched"),
                "--vector-col", "embedding", "--partitions", "2", "--eval-queries", "0");
        assertEquals(200, JobFixtures.manifest(tmp.resolve("glob-matched")).totalCount());
        assertEquals("/a/t\\[1\\]\\{x,y\\}\\*\\?", ParquetTables.escapeGlob("/a/t[1]{x,y}*?"));
        assertEquals("hdfs://[::1]:8020/t\\[1\\]", ParquetTables.escapeGlob("hdfs://[::1]:8020/t[1]"));
        // The glob a refusal suggests for such a table names its files, not its sibling's (review helper 92).
        assertEquals("/t\\[1\\]/{*.parquet,more/*.parquet}", ParquetTables.globOf("/t[1]", List.of("a.parquet", "more/b.parquet")));
    }

    private static List<Path> parts(Path table) throws IOException {
        try (Stream<Path> files = Files.list(table)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".parquet")).sorted().toList();
        }
    }

    @Test
    void failedFirstAttemptsAreRetriedAndListedOnce() throws IOException {
        runJob(spark, "--input", fvecs.toString(), "--output", out("retried"), "--partitions", "2", "--test-fail-first-attempt");
        IndexManifest manifest = JobFixtures.manifest(tmp.resolve("retried"));
        assertEquals(2, manifest.segments().size());
        try (Stream<Path> files = Files.list(tmp.resolve("retried/segments"))) {
            List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
            List<String> listed = manifest.segments().stream().map(s -> s.path().substring("segments/".length())).sorted().toList();
            assertEquals(listed, names, "exactly the retries' files are left, the failed attempts' removed");
        }
        assertEquals(6_000, manifest.totalCount());
    }

    @Test
    void aRunIdAlreadyInTheOutputIsNeverDrawnAgain() throws IOException {
        // A build deletes files by its run id (failed attempts, a refused commit): an id that an earlier
        // index's files carry would delete that index's segments.
        Path index = tmp.resolve("taken-ids");
        Files.createDirectories(index.resolve("segments"));
        Files.createDirectories(index.resolve("routing"));
        Files.write(index.resolve("segments/aaaaaaaa-part-00000-task-3.hseg"), new byte[1]);
        Files.write(index.resolve("routing/bbbbbbbb-centroids.fvecs"), new byte[1]);
        Files.write(index.resolve(IndexManifest.FILE_NAME + ".cccccccc.tmp"), new byte[1]);
        IndexCommit commit = IndexCommit.prepare(index.toString(), new org.apache.hadoop.conf.Configuration(), false);
        java.util.Iterator<String> draws = List.of("aaaaaaaa", "bbbbbbbb", "cccccccc", "aaaaaaaa", "dddddddd").iterator();
        assertEquals("dddddddd", commit.newRunId(draws::next));
        IOException e = assertThrows(IOException.class, () -> commit.newRunId(() -> "aaaaaaaa"));
        assertTrue(e.getMessage().contains("no unused run id"), e.getMessage());
        String started = commit.startRun();
        assertEquals(8, started.length());
        // Its lease takes the id too, and ends with the run.
        assertTrue(Files.exists(index.resolve(BuildLease.PREFIX + started)));
        assertThrows(IOException.class, () -> commit.newRunId(() -> started));
        commit.close();
        assertTrue(!Files.exists(index.resolve(BuildLease.PREFIX + started)));
    }

    /** An output that is a symbolic link to nothing is named as one (Hadoop said only "Mkdirs failed"). */
    @Test
    void anOutputLinkedToNothingIsNamed() throws IOException {
        Path link = Files.createSymbolicLink(tmp.resolve("dangling"), tmp.resolve("nothing-here/index"));
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> IndexCommit.prepare(link.resolve("idx").toString(), new org.apache.hadoop.conf.Configuration(), false));
        assertTrue(e.getMessage().contains(link + " is a symbolic link to " + tmp.resolve("nothing-here/index") + ", which does not exist"),
                e.getMessage());
    }

    @Test
    void existingIndexIsRefusedAndOverwriteKeepsItUntilCommit() throws IOException {
        Path index = tmp.resolve("overwrite");
        runJob(spark, "--input", fvecs.toString(), "--output", index.toString(), "--partitions", "2");
        IndexManifest first = JobFixtures.manifest(index);
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> runJob(spark, "--input", fvecs.toString(), "--output", index.toString()));
        assertTrue(e.getMessage().contains("already holds an index") && e.getMessage().contains("--overwrite"), e.getMessage());
        // A replacement that fails leaves the old index whole and readable.
        Path bad = tmp.resolve("bad.fvecs");
        Files.write(bad, Arrays.copyOf(Files.readAllBytes(fvecs), 1000));
        assertThrows(InvalidInputException.class,
                () -> runJob(spark, "--input", bad.toString(), "--output", index.toString(), "--overwrite"));
        assertEquals(first, JobFixtures.manifest(index));
        assertEquals(data[1].rows(), JobFixtures.searchIndex(index, data[1], 10, 40).length, "the old index still answers");
        // A replacement that succeeds swaps the manifest; the old segments stay for readers of the old
        // manifest until vacuum finds them older than its grace period.
        runJob(spark, "--input", fvecs.toString(), "--output", index.toString(), "--partitions", "3", "--overwrite");
        IndexManifest second = JobFixtures.manifest(index);
        assertEquals(3, second.segments().size());
        for (IndexManifest.Segment old : first.segments()) {
            assertTrue(Files.exists(index.resolve(old.path())), "old segment kept for its readers: " + old.path());
        }
        org.apache.hadoop.fs.FileSystem fs = IndexCommit.fileSystem(index.toString(), new org.apache.hadoop.conf.Configuration());
        org.apache.hadoop.fs.Path root = new org.apache.hadoop.fs.Path(index.toUri());
        assertTrue(Vacuum.run(fs, root, java.time.Duration.ofHours(1), null, false).removed().isEmpty(), "young files kept");
        Vacuum.Result vacuumed = Vacuum.run(fs, root, java.time.Duration.ZERO, null, false);
        assertEquals(first.segments().size() + (first.routed() ? 1 : 0), vacuumed.removed().size(), vacuumed.toString());
        for (IndexManifest.Segment old : first.segments()) {
            assertTrue(!Files.exists(index.resolve(old.path())), "old segment removed by vacuum: " + old.path());
        }
        assertEquals(data[1].rows(), JobFixtures.searchIndex(index, data[1], 10, 40).length, "the new index answers");
    }

    /** Vectors whose float32 distances cannot be told apart are refused before anything is written (probe helper 32). */
    @Test
    void dataTooSmallForFloatDistancesIsRefusedAndNothingIsWritten() throws Exception {
        float[] tiny = data[0].data().clone();
        for (int i = 0; i < tiny.length; i++) {
            tiny[i] *= 1e-25f;
        }
        Path input = JobFixtures.writeFvecs(tmp.resolve("tiny.fvecs"), new FloatMatrix(data[0].dimension(), data[0].rows(), tiny));
        Path index = tmp.resolve("tiny-index");
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> runJob(spark, "--input", input.toString(), "--output", index.toString(), "--partitions", "2"));
        assertTrue(e.getMessage().contains(input + ": the typical squared l2 distance") && e.getMessage().contains("multiply every vector"),
                e.getMessage());
        assertTrue(!Files.exists(index.resolve(IndexManifest.FILE_NAME)), "nothing committed");
        // Random partitions without a recall measurement take no sample: the first rows are checked.
        e = assertThrows(InvalidInputException.class, () -> runJob(spark, "--input", input.toString(), "--output", index.toString(),
                "--partitions", "2", "--partitioner", "random", "--eval-queries", "0"));
        assertTrue(e.getMessage().contains(input + ": the typical squared l2 distance"), e.getMessage());
    }

    @Test
    void optionsThatCannotTakeEffectAreErrorsNamingThem() throws Exception {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> runJob(spark, "--input", fvecs.toString(),
                "--output", out("one-replicated"), "--partitions", "1", "--replication", "0.1"));
        assertTrue(e.getMessage().contains("--replication 0.1 needs --partitions 2 or more"), e.getMessage());
        e = assertThrows(InvalidInputException.class, () -> runJob(spark, "--input", fvecs.toString(),
                "--output", out("one-routed"), "--partitions", "1", "--partitioner", "kmeans"));
        assertTrue(e.getMessage().contains("--partitioner kmeans needs --partitions 2 or more"), e.getMessage());
        e = assertThrows(InvalidInputException.class, () -> runJob(spark, "--input", fvecs.toString(),
                "--output", out("narrow-beam"), "--m", "16", "--ef-construction", "8"));
        assertTrue(e.getMessage().contains("--ef-construction 8 is below --m 16"), e.getMessage());
        // A sample smaller than the partitions trained fewer cells and built fewer, larger segments (review helper 65:
        // 3 of 8, the largest 4.90x the mean); an input smaller than the sample is all sampled and builds.
        e = assertThrows(InvalidInputException.class, () -> runJob(spark, "--input", fvecs.toString(),
                "--output", out("small-sample"), "--partitions", "8", "--sample-size", "3", "--eval-queries", "0"));
        assertTrue(e.getMessage().contains("--sample-size 3 is below the 8 partitions"), e.getMessage());
        // Partitions the user did not ask for are said to be chosen, and how to set them (probe helper 67).
        e = assertThrows(InvalidInputException.class, () -> runJob(spark, "--input", fvecs.toString(),
                "--output", out("small-sample-derived"), "--sample-size", "1", "--eval-queries", "0"));
        assertTrue(e.getMessage().contains("--sample-size 1 is below the") && e.getMessage().contains("partitions chosen for this input")
                && e.getMessage().contains("--partitions sets them"), e.getMessage());
        Path four = JobFixtures.writeFvecs(tmp.resolve("four.fvecs"), data[0].head(4));
        runJob(spark, "--input", four.toString(), "--output", out("four-rows"), "--partitions", "8", "--sample-size", "4",
                "--eval-queries", "0");
        Path queries = JobFixtures.writeFvecs(tmp.resolve("eval-queries.fvecs"), data[1]);
        e = assertThrows(InvalidInputException.class, () -> runJob(spark, "--input", fvecs.toString(),
                "--output", out("two-sources"), "--eval-queries", "10", "--eval-queries-file", queries.toString()));
        assertTrue(e.getMessage().contains("two sources of recall queries"), e.getMessage());
        // A bad queries file is named as the user gave it, not by the local copy the driver reads.
        Path truncated = tmp.resolve("eval-truncated.fvecs");
        Files.write(truncated, Arrays.copyOf(Files.readAllBytes(queries), 100));
        e = assertThrows(InvalidInputException.class, () -> runJob(spark, "--input", fvecs.toString(),
                "--output", out("truncated-queries"), "--partitions", "2", "--eval-queries-file", truncated.toString()));
        assertTrue(e.getMessage().startsWith("--eval-queries-file " + truncated + ": ") && e.getMessage().contains("truncated")
                && !e.getMessage().contains("hnswseg-eval-"), e.getMessage());
        assertTrue(!Files.exists(tmp.resolve("truncated-queries/manifest.json")), "nothing committed");
        // A query the metric cannot search is named by file and row before any task runs.
        float[] zero = data[1].data().clone();
        Arrays.fill(zero, 3 * data[1].dimension(), 4 * data[1].dimension(), 0f);
        Path zeroRow = JobFixtures.writeFvecs(tmp.resolve("eval-zero.fvecs"), new FloatMatrix(data[1].dimension(), data[1].rows(), zero));
        e = assertThrows(InvalidInputException.class, () -> runJob(spark, "--input", fvecs.toString(), "--output", out("zero-query"),
                "--partitions", "2", "--metric", "cosine", "--eval-queries-file", zeroRow.toString()));
        assertEquals("--eval-queries-file " + zeroRow + ": row 3 is the zero vector, which has no direction for the cosine metric", e.getMessage());
        // Another dimension is refused before the sampling pass and the k-means (probe helper 28: after both).
        Path narrow = JobFixtures.writeFvecs(tmp.resolve("eval-narrow.fvecs"), new FloatMatrix(4, 2, new float[8]));
        java.util.concurrent.atomic.AtomicInteger jobs = new java.util.concurrent.atomic.AtomicInteger();
        org.apache.spark.scheduler.SparkListener counter = new org.apache.spark.scheduler.SparkListener() {
            @Override
            public void onJobStart(org.apache.spark.scheduler.SparkListenerJobStart start) {
                jobs.incrementAndGet();
            }
        };
        spark.sparkContext().addSparkListener(counter);
        try {
            e = assertThrows(InvalidInputException.class, () -> runJob(spark, "--input", fvecs.toString(), "--output", out("narrow-queries"),
                    "--partitions", "2", "--eval-queries-file", narrow.toString()));
            spark.sparkContext().listenerBus().waitUntilEmpty();
        } finally {
            spark.sparkContext().removeSparkListener(counter);
        }
        assertTrue(e.getMessage().contains("has dimension 4, the input " + data[0].dimension()), e.getMessage());
        assertEquals(0, jobs.get(), "no Spark job (the sampling pass) before the refusal");
    }

    /** ip and cosine centroids are unit vectors: the segments' CRCs must be of the rows the centroids file holds. */
    @Test
    void directionMetricsRecordTheCentroidsTheReaderRoutesBy() throws IOException {
        for (String metric : new String[]{"ip", "cosine"}) {
            Path index = tmp.resolve("routed-" + metric);
            runJob(spark, "--input", fvecs.toString(), "--output", index.toString(), "--partitions", "3", "--metric", metric);
            JobFixtures.assertSegmentsRecordTheirCentroids(index);
            try (io.hnswseg.reader.IndexReader reader = io.hnswseg.reader.IndexReader.open(index.toString())) {
                assertTrue(reader.routed() && reader.manifest().routing().segmentsRecordCentroidCrcs(), metric);
                assertEquals(10, reader.search(data[1].row(0), 10, 40, 3).size(), metric);
                // The input's typical length, judged on the build's sample: what an ip reader checks queries against.
                double all = io.hnswseg.distance.Vectors.typicalLength(data[0].data(), data[0].rows(), data[0].dimension());
                double recorded = reader.manifest().vectorLength();
                assertTrue(recorded > 0.8 * all && recorded < 1.25 * all, metric + ": recorded " + recorded + ", the whole input's " + all);
                if (metric.equals("ip")) {
                    // Searched scaled up by it: the same answer as the query ten million times longer.
                    float[] tiny = data[1].row(0).clone();
                    for (int d = 0; d < tiny.length; d++) {
                        tiny[d] *= 1e-7f;
                    }
                    assertArrayEquals(reader.search(data[1].row(0), 10, 40, 3).ids(), reader.search(tiny, 10, 40, 3).ids());
                }
            }
        }
    }

    @Test
    void oneLargePartitionWithSeveralThreads() throws IOException {
        Map<String, Object> summary = runJob(spark, "--input", fvecs.toString(), "--output", out("threads"), "--partitions", "1",
                "--threads-per-task", "2", "--metric", "cosine");
        assertEquals(2, ((Number) summary.get("threads_per_task")).intValue());
        IndexManifest manifest = JobFixtures.manifest(tmp.resolve("threads"));
        assertEquals(1, manifest.segments().size());
        assertEquals("cosine", manifest.metric());
        double recall = JobFixtures.recall(tmp.resolve("threads"), data[0], data[1], Metric.COSINE);
        assertTrue(recall >= 0.95, "recall@10 " + recall);
    }

    /**
     * Neighbours closer together than float32 cosine distances resolve (1 - x.q steps by 6e-8): 200 directions, 50
     * vectors each within angles of 3e-4, so a query's 10th and 11th neighbours often differ by less than a step.
     * Recall counting results as near as the 10th true neighbour reads about 1.0 there; the build also records the
     * recall by ids, which shows what the index could not rank (probe helper 36: 1.0 against 0.905 by float64 truth).
     */
    @Test
    void neighboursFloat32CannotTellApartShowInTheRecallByIds() throws IOException {
        int dim = 32;
        java.util.Random random = new java.util.Random(13);
        int rows = 10_000;
        float[] x = new float[rows * dim];
        float[][] directions = new float[200][dim];
        for (float[] c : directions) {
            for (int d = 0; d < dim; d++) {
                c[d] = (float) random.nextGaussian();
            }
        }
        for (int r = 0; r < rows; r++) {
            float[] c = directions[r % 200];
            double length = 0.5 + 1.5 * random.nextDouble();
            for (int d = 0; d < dim; d++) {
                x[r * dim + d] = (float) (length * (c[d] + 3e-4 * random.nextGaussian()));
            }
        }
        Path input = JobFixtures.writeFvecs(tmp.resolve("near-ties.fvecs"), new FloatMatrix(dim, rows, x));
        Map<String, Object> summary = runJob(spark, "--input", input.toString(), "--output", out("near-ties"), "--partitions", "2",
                "--metric", "cosine", "--eval-queries", "300");
        double counted = ((Number) summary.get("recall_at_10")).doubleValue();
        double byIds = ((Number) summary.get("recall_at_10_by_ids")).doubleValue();
        assertTrue(counted - byIds >= 0.02, "recall " + counted + ", by ids " + byIds);
        IndexManifest.GridPoint chosen = JobFixtures.manifest(tmp.resolve("near-ties")).quality().defaults();
        assertEquals(byIds, chosen.recallAt10ByIds(), 1e-9);
    }

    /**
     * ip queries far shorter than the vectors are searched scaled up by readers; the build searched them unscaled, where
     * every distance rounds to 1, so their truth was arbitrary: 80 of 200 queries scaled by 1e-12 took the build's recall
     * at ef 16 to 0.58 (0.98 with ties counted, before) where `eval` measures 0.97, and --require-recall refused a sound
     * index (review helper 76). The build now searches its queries as readers do.
     */
    @Test
    void shortIpQueriesAreMeasuredAsReadersSearchThem() throws IOException {
        java.util.Random random = new java.util.Random(17);
        float[] x = new float[5_000 * 16];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        float[] q = new float[200 * 16];
        for (int i = 0; i < q.length; i++) {
            q[i] = (float) (random.nextGaussian() * (i >= 120 * 16 ? 1e-12 : 1));
        }
        Path input = JobFixtures.writeFvecs(tmp.resolve("short-ip.fvecs"), new FloatMatrix(16, 5_000, x));
        Path queries = JobFixtures.writeFvecs(tmp.resolve("short-ip-queries.fvecs"), new FloatMatrix(16, 200, q));
        Map<String, Object> summary = runJob(spark, "--input", input.toString(), "--output", out("short-ip"), "--partitions", "2",
                "--partitioner", "random", "--metric", "ip", "--eval-queries-file", queries.toString(), "--require-recall");
        IndexManifest.Quality quality = JobFixtures.manifest(tmp.resolve("short-ip")).quality();
        IndexManifest.GridPoint widest = quality.grid().stream().max(java.util.Comparator.comparingInt(IndexManifest.GridPoint::ef)).orElseThrow();
        assertTrue(widest.recallAt10ByIds() > 0.95, "by ids at the widest beam: " + widest + "; " + summary);
    }

    /**
     * Every vector held 4 times (one embedding for several rows): a sampled query's copies are found by any search at
     * distance 0, where a user's query has none, so the build leaves them out of its truth and results, as it does
     * the query itself. Before, at ef 16 it claimed 0.11 more than fresh queries of the same distribution measure
     * (probe helper 45 on sift rows 4 times each: 0.9778 claimed, 0.9460 measured). The partitioning is random, so a
     * query's copies are also in the other segment.
     */
    @Test
    void aSampledQuerysCopiesAreLeftOutOfTheRecallTheBuildClaims() throws IOException {
        int dim = 24;
        int distinct = 3_000;
        java.util.Random random = new java.util.Random(21);
        float[] base = new float[distinct * dim];
        for (int i = 0; i < base.length; i++) {
            base[i] = (float) random.nextGaussian();
        }
        float[] rows = new float[4 * base.length];
        for (int r = 0; r < 4 * distinct; r++) {
            System.arraycopy(base, (r % distinct) * dim, rows, r * dim, dim);
        }
        Path input = JobFixtures.writeFvecs(tmp.resolve("fourfold.fvecs"), new FloatMatrix(dim, 4 * distinct, rows));
        float[] fresh = new float[300 * dim];
        for (int i = 0; i < fresh.length; i++) {
            fresh[i] = (float) random.nextGaussian();
        }
        Path queries = JobFixtures.writeFvecs(tmp.resolve("fourfold-queries.fvecs"), new FloatMatrix(dim, 300, fresh));
        double[] recall = new double[2];
        for (int i = 0; i < 2; i++) {
            List<String> args = new ArrayList<>(List.of("--input", input.toString(), "--output", out("fourfold" + i),
                    "--partitions", "2", "--partitioner", "random", "--m", "8", "--ef-construction", "40"));
            // Given relative to the working directory: the manifest names the file whole (probe helper 97).
            String relative = Path.of("").toAbsolutePath().relativize(queries).toString();
            args.addAll(i == 0 ? List.of("--eval-queries", "300") : List.of("--eval-queries-file", relative));
            runJob(spark, args.toArray(String[]::new));
            IndexManifest.Quality quality = JobFixtures.manifest(tmp.resolve("fourfold" + i)).quality();
            recall[i] = point(quality, 0, 16).recallAt10();
            if (i == 1) {
                assertEquals("300 queries from " + queries.toUri().toString().replace("file:///", "file:/"), quality.source());
            }
        }
        assertTrue(recall[1] < 0.9, "fresh queries at ef 16 must miss neighbours, or the copies found would not show: " + recall[1]);
        // The walk passes over the query's node, whose neighbours the build linked around it, so the claim errs low
        // (0.7924 against 0.8313 when written); before, 0.9451.
        assertTrue(recall[0] <= recall[1] + 0.02 && recall[0] >= recall[1] - 0.1,
                "at ef 16, sampled queries " + recall[0] + " against fresh ones " + recall[1]);
    }

    /**
     * An input of one vector, 500 times: a query's only neighbours are its own copies, left out, so no answer can miss
     * anything. It claimed 0 and --require-recall refused it (probe helper 47).
     */
    @Test
    void anInputOfOneVectorClaimsFullRecall() throws IOException {
        float[] rows = new float[500 * 8];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = i % 8;
        }
        Path input = JobFixtures.writeFvecs(tmp.resolve("one-vector.fvecs"), new FloatMatrix(8, 500, rows));
        runJob(spark, "--input", input.toString(), "--output", out("one-vector"), "--partitions", "1", "--require-recall");
        assertEquals(1.0, JobFixtures.manifest(tmp.resolve("one-vector")).quality().defaults().recallAt10());
    }

    /**
     * A dense region with few k-means centroids in it: 70% of the rows in one wide blob, the rest in 30 tight
     * clusters far away, over 16 partitions. When the balancing counted each row's 8 nearest cells only, this
     * input made a segment of 5.87x the mean (the sample's cells reported 1.33x); the partitions are now routed
     * as the balancing counted them.
     */
    @Test
    void aDenseRegionIsSpreadOverBalancedSegments() throws IOException {
        int rows = 40_000;
        int dim = 16;
        java.util.SplittableRandom random = new java.util.SplittableRandom(7);
        float[][] centres = new float[30][dim];
        for (float[] c : centres) {
            double norm = 0;
            for (int i = 0; i < dim; i++) {
                c[i] = (float) random.nextDouble(-1, 1);
                norm += c[i] * c[i];
            }
            for (int i = 0; i < dim; i++) {
                c[i] = (float) (50 * c[i] / Math.sqrt(norm));
            }
        }
        float[] x = new float[rows * dim];
        java.util.Random gaussian = new java.util.Random(7);
        for (int r = 0; r < rows; r++) {
            boolean blob = random.nextDouble() < 0.7;
            float[] centre = blob ? new float[dim] : centres[random.nextInt(30)];
            for (int i = 0; i < dim; i++) {
                x[r * dim + i] = (float) (centre[i] + (blob ? 1 : 0.1) * gaussian.nextGaussian());
            }
        }
        Path input = JobFixtures.writeFvecs(tmp.resolve("dense-region.fvecs"), new FloatMatrix(dim, rows, x));
        Map<String, Object> summary = runJob(spark, "--input", input.toString(), "--output", out("dense-region"), "--partitions", "16",
                "--m", "8", "--ef-construction", "40", "--eval-queries", "0");
        IndexManifest manifest = JobFixtures.manifest(tmp.resolve("dense-region"));
        assertEquals(16, manifest.segments().size());
        assertTrue((Double) summary.get("largest_segment_vs_mean") <= 1.3, summary.toString());
        // Nor is a partition drained by the balancing (cells raised with their full neighbours lose every row).
        long smallest = manifest.segments().stream().mapToLong(IndexManifest.Segment::count).min().orElse(0);
        assertTrue(smallest >= 0.4 * rows / 16, "smallest segment " + smallest + " vectors, mean " + rows / 16);
    }

    /**
     * The build's recall grid on a k-means index: every point costed by the bytes its searches scored, the
     * default the cheapest point reaching the target, and (counted, not timed) the same choice from a second
     * build of the same input, where timings would differ. A point reaches the target with a margin for its estimate,
     * which the manifest does not record: 1.645 standard errors of the mean of 300 queries' recalls in [0, 1], at most
     * 1.645 * sqrt(0.99 * 0.01 / 299) = 0.0095 at recall 0.99. So a point measured 0.01 above the target clears it, and
     * the default must reach the target and cost no more than the cheapest such point (the bound holds for 300 queries
     * and more: keep --eval-queries at 300). (With a target of 0.99, which this routed grid
     * reaches at the edge of the margin, the test passed or failed by what ran before it in the JVM.)
     */
    @Test
    void measuredQualityChoosesItsDefaultByCountedWorkAndRepeats() throws IOException {
        double target = 0.98;
        String[] args = {"--input", fvecs.toString(), "--partitions", "3", "--m", "8", "--ef-construction", "40",
                "--eval-queries", "300", "--target-recall", String.valueOf(target)};
        IndexManifest.Quality[] built = new IndexManifest.Quality[2];
        for (int i = 0; i < 2; i++) {
            String[] withOutput = Arrays.copyOf(args, args.length + 2);
            withOutput[args.length] = "--output";
            withOutput[args.length + 1] = out("quality" + i);
            runJob(spark, withOutput);
            built[i] = JobFixtures.manifest(tmp.resolve("quality" + i)).quality();
        }
        IndexManifest.Quality quality = built[0];
        assertTrue(quality != null && !quality.grid().isEmpty(), "a k-means build measures its recall");
        for (IndexManifest.GridPoint p : quality.grid()) {
            assertTrue(p.recallAt10() >= 0 && p.recallAt10() <= 1, p.toString());
            // The centroids alone (3 x 16 floats), then at least the nearest segment's beam as int8 codes.
            assertTrue(p.bytesScoredPerQuery() >= 3 * 16 * 4 + p.ef() * 16L, p.toString());
        }
        for (int nprobe : quality.grid().stream().mapToInt(IndexManifest.GridPoint::nprobe).distinct().toArray()) {
            long narrow = point(quality, nprobe, 16).bytesScoredPerQuery();
            long wide = point(quality, nprobe, 128).bytesScoredPerQuery();
            assertTrue(wide > narrow, "nprobe " + nprobe + ": ef 128 " + wide + " bytes, ef 16 " + narrow);
        }
        IndexManifest.GridPoint clear = quality.grid().stream().filter(p -> p.recallAt10() >= target + 0.01)
                .min(java.util.Comparator.comparingLong(IndexManifest.GridPoint::bytesScoredPerQuery)).orElseThrow();
        assertTrue(quality.reached());
        assertTrue(quality.grid().stream().allMatch(p -> p.nprobe() > 0), "a routed grid that reached its target needs no second pass: " + quality.grid());
        IndexManifest.GridPoint chosen = quality.defaults();
        assertTrue(chosen.recallAt10() >= target && chosen.bytesScoredPerQuery() <= clear.bytesScoredPerQuery(),
                chosen + " against the cheapest point 0.01 above the target, " + clear);
        assertEquals(JobFixtures.countedGrid(quality), JobFixtures.countedGrid(built[1]), "the second build's grid");
        assertEquals(JobFixtures.counted(quality.defaults()), JobFixtures.counted(built[1].defaults()), "the second build's default");
    }

    /**
     * Vectors without structure in twelve partitions: a query's neighbours lie in cells all around, more than the
     * grid's widest routed point (nprobe 8) visits, so no routed setting reaches the target. The build then
     * measures every segment with the full beam (nprobe 0) and recommends that, rather than its best routed point
     * below the target. (Four tight clumps of ten vectors did this until the reach rule was kept for segments of
     * 100 vectors per result and more: it had left each clump's sibling cells unsearched.)
     */
    @Test
    void aTargetOnlyEverySegmentReachesIsMeasuredAndRecommended() throws IOException {
        IndexManifest.Quality quality = buildTwelve("scattered", scatteredInput());
        double bestRouted = quality.grid().stream().filter(p -> p.nprobe() > 0).mapToDouble(IndexManifest.GridPoint::recallAt10).max().orElseThrow();
        assertTrue(bestRouted < 0.95, "no routed setting may reach the target here, or this test guards nothing: " + quality.grid());
        assertEquals(Evaluation.EFS.length, quality.grid().stream().filter(p -> p.nprobe() == 0).count(), "nprobe 0 at every ef: " + quality.grid());
        assertTrue(quality.reached(), quality.toString());
        assertEquals(0, quality.defaults().nprobe(), quality.toString());
        assertTrue(quality.defaults().recallAt10() >= 0.95, quality.toString());
        try (io.hnswseg.reader.IndexReader reader = io.hnswseg.reader.IndexReader.open(out("scattered"))) {
            assertEquals(0, reader.defaultNprobe(), "a reader of the index searches every segment by default");
            assertEquals(quality.defaults().ef(), reader.defaultEf());
        }
        // The summary says what searching every segment costs against the best routed point.
        IndexManifest.GridPoint routed = GridChoice.bestRouted(quality.grid());
        assertEquals(bestRouted, routed.recallAt10());
        String cost = String.valueOf(JobFixtures.manifest(tmp.resolve("scattered")).summary().get("best_routed"));
        assertTrue(cost.startsWith("recall " + routed.recallAt10() + " at nprobe " + routed.nprobe() + ", ef " + routed.ef()
                + "; the default, every segment, scores ") && cost.endsWith("x that point's bytes per query"), cost);
        assertTrue(fvecsSummaryHasNoBestRouted(), "a build whose default routes says nothing of it");

        // Beyond every point: the default is the cheapest within NEAR_BEST of the best, not the widest search.
        // Segments of 500 vectors on a sparse graph, which no beam of the grid searches whole. (Four clumps of 40
        // vectors did this while the build's measure cut the walks of segments of 3 vectors: 0.98 at best.)
        IndexManifest.Quality missed = buildTwelve("sparse-missed", gaussianInput("sparse", 6_000, 16), "--m", "4",
                "--ef-construction", "8", "--eval-queries", "300", "--target-recall", "1.0");
        double best = missed.grid().stream().mapToDouble(IndexManifest.GridPoint::recallAt10).max().orElseThrow();
        assertTrue(!missed.reached() && best < 1.0, missed.toString());
        IndexManifest.GridPoint cheapestNearBest = missed.grid().stream().filter(p -> p.recallAt10() >= best - GridChoice.NEAR_BEST)
                .min(java.util.Comparator.comparingLong(IndexManifest.GridPoint::bytesScoredPerQuery)).orElseThrow();
        assertEquals(JobFixtures.counted(cheapestNearBest), JobFixtures.counted(missed.defaults()), missed.grid().toString());

        // The second pass only measures: when it fails the index is committed with the routed grid, unless the
        // target is required.
        IndexManifest.Quality routedOnly = buildTwelve("scattered-no-pass", scatteredInput(), "--test-fault", TestFaults.FAIL_UNROUTED_RECALL);
        assertTrue(!routedOnly.reached() && routedOnly.grid().stream().allMatch(p -> p.nprobe() > 0), routedOnly.toString());
        Object failed = JobFixtures.manifest(tmp.resolve("scattered-no-pass")).summary().get("recall_every_segment");
        assertTrue(String.valueOf(failed).startsWith("failed: ") && String.valueOf(failed).contains("injected"), "the summary says so: " + failed);
        String required = failure("--input", scatteredInput().toString(), "--output", out("scattered-required"), "--partitions", "12",
                "--test-fault", TestFaults.FAIL_UNROUTED_RECALL, "--require-recall");
        assertTrue(required.contains("--require-recall is set: nothing committed, this build's files removed"), required);
        assertTrue(!Files.exists(tmp.resolve("scattered-required").resolve(IndexManifest.FILE_NAME)));
        assertEquals(Set.of(), JobFixtures.dataFiles(tmp.resolve("scattered-required")), "no segment of the failed build is left");
    }

    private static boolean fvecsSummaryHasNoBestRouted() throws IOException {
        Path index = tmp.resolve("routed-default");
        runJob(spark, "--input", fvecs.toString(), "--output", index.toString(), "--partitions", "2");
        IndexManifest manifest = JobFixtures.manifest(index);
        return manifest.quality().defaults().nprobe() > 0 && !manifest.summary().containsKey("best_routed");
    }

    /** Builds {@code input} in 12 partitions. */
    private static IndexManifest.Quality buildTwelve(String name, Path input, String... more) throws IOException {
        List<String> args = new ArrayList<>(List.of("--input", input.toString(), "--output", out(name), "--partitions", "12"));
        args.addAll(List.of(more));
        runJob(spark, args.toArray(String[]::new));
        return JobFixtures.manifest(tmp.resolve(name)).quality();
    }

    /** {@code rows} Gaussian vectors of {@code dim} dimensions in {@code name}.fvecs. */
    private static Path gaussianInput(String name, int rows, int dim) throws IOException {
        Path input = tmp.resolve(name + ".fvecs");
        if (!Files.exists(input)) {
            java.util.Random random = new java.util.Random(5);
            float[] v = new float[rows * dim];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) random.nextGaussian();
            }
            JobFixtures.writeFvecs(input, new FloatMatrix(dim, rows, v));
        }
        return input;
    }

    /**
     * 60 Gaussian vectors of 32 dimensions, no structure: in 12 partitions a vector's nearest neighbours lie in
     * cells all around, so the 8 nearest cells of the grid's widest routed point miss some of them.
     */
    private static Path scatteredInput() throws IOException {
        Path input = tmp.resolve("scattered.fvecs");
        if (!Files.exists(input)) {
            java.util.Random random = new java.util.Random(3);
            float[] v = new float[60 * 32];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) random.nextGaussian();
            }
            JobFixtures.writeFvecs(input, new FloatMatrix(32, 60, v));
        }
        return input;
    }

    private static IndexManifest.GridPoint point(IndexManifest.Quality quality, int nprobe, int ef) {
        return quality.grid().stream().filter(p -> p.nprobe() == nprobe && p.ef() == ef).findFirst().orElseThrow();
    }

    @Test
    void morePartitionsThanRows() throws IOException {
        // Paths with spaces, as a local path may well have.
        Path small = JobFixtures.writeFvecs(tmp.resolve("small input.fvecs"), data[0].head(5));
        runJob(spark, "--input", small.toString(), "--output", out("small index"), "--partitions", "8");
        IndexManifest manifest = JobFixtures.manifest(tmp.resolve("small index"));
        assertEquals(5, manifest.totalCount());
        assertTrue(manifest.segments().size() <= 5, "empty partitions write no segment");
        assertEquals(8, ((Number) manifest.summary().get("partitions")).intValue());
        JobFixtures.assertSegmentsRecordTheirCentroids(tmp.resolve("small index"));
    }

    private static String failure(String... args) {
        Exception e = assertThrows(Exception.class, () -> runJob(spark, args));
        return SessionOptions.explain(e);
    }

    @Test
    void badInputIsNamedAndNothingIsCommitted() throws IOException {
        DataType floats = DataTypes.createArrayType(DataTypes.FloatType);
        Path mixed = parquet("mixed-dim", floats, r -> r == 77 ? Arrays.asList(1f, 2f) : floats(r), 300, 1000);
        String m = failure("--input", mixed.toString(), "--output", out("bad1"), "--vector-col", "embedding");
        assertTrue(m.contains("row id 1077") && m.contains("dimension 2") && m.contains("expected 16"), m);
        String holding = spark.read().parquet(mixed.toString()).where("id = 1077")
                .select(org.apache.spark.sql.functions.input_file_name()).first().getString(0);
        assertTrue(m.contains("file " + holding), m + " names the file holding the row, " + holding);

        Path nulls = parquet("null-vector", floats, r -> r == 5 ? null : floats(r), 300, 0);
        m = failure("--input", nulls.toString(), "--output", out("bad2"), "--vector-col", "embedding");
        assertTrue(m.contains("row id 5") && m.contains("null"), m);

        Path empty = parquet("empty-vector", floats, r -> r == 9 ? List.of() : floats(r), 300, 0);
        m = failure("--input", empty.toString(), "--output", out("bad3"), "--vector-col", "embedding");
        assertTrue(m.contains("row id 9") && m.contains("empty"), m);

        Path nan = parquet("nan-vector", floats, r -> {
            if (r != 11) {
                return floats(r);
            }
            List<Float> v = new ArrayList<>((List<Float>) floats(r));
            v.set(3, Float.NaN);
            return v;
        }, 300, 0);
        m = failure("--input", nan.toString(), "--output", out("bad4"), "--vector-col", "embedding");
        assertTrue(m.contains("row id 11") && m.contains("NaN") && m.contains("component 3"), m);

        m = failure("--input", nan.toString(), "--output", nan.resolve("index").toString(), "--vector-col", "embedding");
        assertTrue(m.contains("lies inside --input " + nan) && m.contains("choose another --output"), m);
        assertTrue(!Files.exists(nan.resolve("index")), "nothing written into the input table");
        m = failure("--input", nan.toString(), "--output", out("bad5"), "--vector-col", "vec");
        assertTrue(m.contains("no column 'vec'") && m.contains("embedding"), m);
        m = failure("--input", nan.toString(), "--output", out("bad6"), "--vector-col", "id");
        assertTrue(m.contains("column id is bigint") && m.contains("expected array<float>"), m);

        Path dup = parquet("dup-ids", floats, BuildIndexJobTest::floats, 300, 0);
        spark.read().parquet(dup.toString()).limit(2).write().mode("append").parquet(dup.toString());
        m = failure("--input", dup.toString(), "--output", out("bad7"), "--vector-col", "embedding");
        assertTrue(m.contains("duplicate ids"), m);

        Path none = parquet("no-rows", floats, BuildIndexJobTest::floats, 0, 0);
        m = failure("--input", none.toString(), "--output", out("bad8"), "--vector-col", "embedding");
        assertTrue(m.contains("no rows"), m);

        Path truncated = tmp.resolve("truncated.fvecs");
        Files.write(truncated, Arrays.copyOf(Files.readAllBytes(fvecs), 68 * 10 + 7));
        m = failure("--input", truncated.toString(), "--output", out("bad9"));
        assertTrue(m.contains("truncated") && m.contains("record 10"), m);

        // A record of another dimension in the middle: the size is off, and the message names that record.
        byte[] whole = Files.readAllBytes(fvecs);
        java.nio.ByteBuffer odd = java.nio.ByteBuffer.allocate(68 * 9 + 4 + 9 * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        odd.put(whole, 0, 68 * 4).putInt(9).put(new byte[9 * 4]).put(whole, 68 * 5, 68 * 5);
        Path oddRecord = tmp.resolve("odd-record.fvecs");
        Files.write(oddRecord, odd.array());
        // Into an output whose parents are new as well: they go too.
        m = failure("--input", oddRecord.toString(), "--output", tmp.resolve("bad10/new/parents").toString());
        assertTrue(m.contains("record 4 declares dimension 9") && m.contains(oddRecord.toString()), m);

        m = failure("--input", tmp.resolve("no-such-input.fvecs").toString(), "--output", out("bad11"));
        assertTrue(m.contains("does not exist"), m);
        m = failure("--input", tmp.resolve("no-such-table").toString(), "--output", out("bad11"));
        assertTrue(m.equals("input " + tmp.resolve("no-such-table") + " does not exist"), m);

        m = failure("--input", fvecs.toString(), "--output", "nosuchscheme://x/idx");
        assertTrue(m.startsWith("--output nosuchscheme://x/idx: ") && m.contains("nosuchscheme"), m);
        m = failure("--input", fvecs.toString(), "--output", "file://somehost" + tmp.resolve("bad12"));
        assertTrue(m.contains("file://somehost") && m.contains("another host is not a local path"), m);

        // Probe helper 45: these named the local copy of the file, or not the option.
        m = failure("--input", fvecs.toString(), "--output", out("bad14"), "--eval-queries-file", tmp.toString());
        assertTrue(m.equals("--eval-queries-file " + tmp + " is a directory: give the queries as a .fvecs or .bvecs file"), m);
        m = failure("--input", fvecs.toString(), "--output", out("bad14"), "--eval-queries-file", tmp.resolve("none.fvecs").toString());
        assertTrue(m.startsWith("--eval-queries-file " + tmp.resolve("none.fvecs") + " does not exist"), m);
        Path ivecs = Files.write(tmp.resolve("truth.ivecs"), new byte[8]);
        m = failure("--input", fvecs.toString(), "--output", out("bad14"), "--eval-queries-file", ivecs.toString());
        assertTrue(m.equals("--eval-queries-file " + ivecs + " holds ints (a ground truth's ids), not vectors: give the queries as a"
                + " .fvecs or .bvecs file"), m);

        for (int i = 1; i <= 12; i++) {
            assertTrue(!Files.exists(tmp.resolve("bad" + i).resolve(IndexManifest.FILE_NAME)), "nothing committed for bad" + i);
        }
        // A Dataset of a table, built into that table's directory.
        InvalidInputException inside = assertThrows(InvalidInputException.class, () -> HnswsegSpark.build(spark.read().parquet(nan.toString()),
                nan.resolve("idx").toString(), new BuildOptions().vectorColumn("embedding")));
        assertTrue(inside.getMessage().contains("lies inside the table at"), inside.getMessage());
        // A bad row a task finds reaches an API caller as the InvalidInputException declared, not wrapped in Spark's.
        InvalidInputException row = assertThrows(InvalidInputException.class, () -> HnswsegSpark.build(spark.read().parquet(nan.toString()),
                tmp.resolve("bad13").toString(), new BuildOptions().vectorColumn("embedding")));
        assertTrue(row.getMessage().contains("row id 11"), row.getMessage());
        // Refused on the driver (9-12) or by a task before any segment was written (1-4): no output directory.
        for (int i : new int[]{1, 2, 3, 4, 9, 10, 11, 12}) {
            assertTrue(!Files.exists(tmp.resolve("bad" + i)), "a build refused before it wrote anything leaves no output directory: bad" + i);
        }
    }

    /**
     * Probe helper 43: a Dataset computed anew on each read, and differently (ids from a nondeterministic function),
     * was indexed from one read and measured against queries of the other: a recall claim of 0.9535 where eval
     * measured 0.9376. The build compares its two reads and commits nothing when they differ.
     */
    @Test
    void anInputThatChangesBetweenTheBuildsReadsIsRefused() throws IOException {
        org.apache.spark.sql.expressions.UserDefinedFunction jitter = org.apache.spark.sql.functions.udf(
                (org.apache.spark.sql.api.java.UDF1<Long, Long>) id -> id * 100 + java.util.concurrent.ThreadLocalRandom.current().nextInt(100),
                DataTypes.LongType).asNondeterministic();
        org.apache.spark.sql.Dataset<Row> changing = spark.range(0, 2_000, 1, 2).select(jitter.apply(org.apache.spark.sql.functions.col("id")).as("id"),
                org.apache.spark.sql.functions.array(org.apache.spark.sql.functions.sin(org.apache.spark.sql.functions.col("id")).cast("float"),
                        org.apache.spark.sql.functions.cos(org.apache.spark.sql.functions.col("id")).cast("float"),
                        org.apache.spark.sql.functions.col("id").cast("float")).as("embedding"));
        Path output = tmp.resolve("changing-index");
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> HnswsegSpark.build(changing, output.toString(),
                new BuildOptions().vectorColumn("embedding").partitions(2)));
        assertRefusedAsChanged(e, output, CHANGED + " with other ids or vectors)");
        // Stable ids, vectors with noise drawn on each read: the same ids, other vectors (not caught before).
        org.apache.spark.sql.expressions.UserDefinedFunction noise = org.apache.spark.sql.functions.udf(
                (org.apache.spark.sql.api.java.UDF1<Long, Float>) id -> id + (float) java.util.concurrent.ThreadLocalRandom.current().nextGaussian(),
                DataTypes.FloatType).asNondeterministic();
        org.apache.spark.sql.Dataset<Row> noisy = spark.range(0, 2_000, 1, 2).select(org.apache.spark.sql.functions.col("id"),
                org.apache.spark.sql.functions.array(noise.apply(org.apache.spark.sql.functions.col("id")),
                        org.apache.spark.sql.functions.cos(org.apache.spark.sql.functions.col("id")).cast("float")).as("embedding"));
        // A sampled query's row is found changed in its segment's task; without queries, the driver finds the fingerprints differ.
        Path noisyOutput = tmp.resolve("noisy-index");
        assertRefusedAsChanged(assertThrows(InvalidInputException.class, () -> HnswsegSpark.build(noisy, noisyOutput.toString(),
                new BuildOptions().vectorColumn("embedding").partitions(2))), noisyOutput, "another vector on the build's read of it than on its first");
        assertRefusedAsChanged(assertThrows(InvalidInputException.class, () -> HnswsegSpark.build(noisy, noisyOutput.toString(),
                new BuildOptions().vectorColumn("embedding").partitions(2).evalQueries(0))), noisyOutput, CHANGED + " with other ids or vectors)");
    }

    private static final String CHANGED = "gave other rows to the build's second read of it than to its first (2,000 rows, then 2,000";

    private static void assertRefusedAsChanged(InvalidInputException e, Path output, String how) throws IOException {
        assertTrue(e.getMessage().contains(how) && e.getMessage().contains("persist it"), e.getMessage());
        assertFalse(Files.exists(output.resolve(IndexManifest.FILE_NAME)), "nothing committed");
        if (Files.exists(output.resolve("segments"))) {
            try (Stream<Path> left = Files.list(output.resolve("segments"))) {
                assertEquals(List.of(), left.toList(), "and the build's segments removed");
            }
        }
    }

    /**
     * Probe helper 43: each split's reservoir held twice its even share, so one split of 50,000 rows among 199 of 250
     * gave 1,026 of its rows to a sample of 51,026 (a segment of 2.0x the mean followed). The sample now takes the same
     * fraction of every split, with a second pass when the large one's reservoir is too small for that.
     */
    @Test
    void theSampleIsUniformOverSplitsOfUnevenSizes() {
        org.apache.spark.sql.Dataset<Row> large = spark.range(0, 20_000, 1, 1).toDF();
        org.apache.spark.sql.Dataset<Row> small = spark.range(20_000, 40_000, 1, 99).toDF();
        org.apache.spark.sql.Dataset<Row> table = large.union(small).select(org.apache.spark.sql.functions.col("id"),
                org.apache.spark.sql.functions.array(org.apache.spark.sql.functions.col("id").cast("float"),
                        org.apache.spark.sql.functions.lit(1f)).as("embedding"));
        Sample sample = InputSample.ofTable(TableInput.of(table, "id", "embedding"), "uneven", new BuildOptions().sampleSize(10_000).evalQueries(0));
        assertEquals(40_000, sample.rowsRead);
        int fromLarge = 0;
        for (int r = 0; r < sample.rows; r++) {
            fromLarge += sample.vectors[2 * r] < 20_000 ? 1 : 0;
        }
        double share = (double) fromLarge / sample.rows;
        assertTrue(sample.rows >= 5_000 && share > 0.45 && share < 0.55, fromLarge + " of " + sample.rows + " sampled rows from the split of half the rows");
    }

    /** Probe helper 86: a Dataset's input was recorded in the manifest as "file:/the/working/dir/a Dataset". */
    @Test
    void aDatasetsInputIsRecordedAsADatasetNotAPath() throws IOException {
        org.apache.spark.sql.Dataset<Row> table = spark.range(0, 2_000, 1, 2).toDF().withColumn("embedding",
                org.apache.spark.sql.functions.array(org.apache.spark.sql.functions.col("id").cast("float"),
                        org.apache.spark.sql.functions.sin(org.apache.spark.sql.functions.col("id")).cast("float")));
        Path output = tmp.resolve("from-code");
        HnswsegSpark.build(table, output.toString(), new BuildOptions().vectorColumn("embedding").partitions(2).evalQueries(0));
        assertEquals("a Dataset", JobFixtures.manifest(output).summary().get("input"));
    }

    /** The API's build from a URI, and its summary's figures as the manifest records them (review helper 99: untested). */
    @Test
    void theApisBuildFromAUriReturnsTheManifestsFigures() throws IOException {
        Path input = JobFixtures.writeFvecs(tmp.resolve("api-input.fvecs"), JobFixtures.clustered(3_000, 10, 8, 5)[0]);
        Path output = tmp.resolve("api-built");
        BuildSummary built = HnswsegSpark.build(spark, input.toString(), output.toString(),
                new BuildOptions().partitions(2).evalQueries(200));
        IndexManifest manifest = JobFixtures.manifest(output);
        assertEquals(3_000, built.vectors());
        assertEquals(manifest.segments().size(), built.segments());
        assertEquals(manifest.quality().defaults().recallAt10(), built.recallAt10());
        assertEquals(manifest.quality().reached(), built.targetRecallReached());
        assertTrue(built.seconds() > 0 && Math.abs(built.vectorsPerSecond() - 3_000 / built.seconds()) < 0.05 * built.vectorsPerSecond(),
                built.seconds() + " s, " + built.vectorsPerSecond() + " vectors/s");
        assertEquals(output.toUri().toString().replace("file:///", "file:/").replaceAll("/$", ""), built.output().replaceAll("/$", ""));
        assertEquals(manifest.summary().get("seconds"), built.figures().get("seconds"));
    }

    /** Probe helper 43: columns a join, a narrow cast or the older mllib API leave were named in Spark's words or wrongly. */
    @Test
    void columnsAJoinANarrowIdOrTheOlderVectorsLeaveAreNamedClearly() {
        org.apache.spark.sql.Dataset<Row> table = spark.range(0, 10).toDF().withColumn("embedding",
                org.apache.spark.sql.functions.array(org.apache.spark.sql.functions.col("id").cast("float")));
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> TableInput.of(table.crossJoin(spark.range(0, 1).toDF()), "id", "embedding"));
        assertTrue(e.getMessage().contains("two columns named 'id'"), e.getMessage());
        e = assertThrows(InvalidInputException.class, () -> TableInput.of(table.select(org.apache.spark.sql.functions.col("id").cast("smallint").as("id"),
                org.apache.spark.sql.functions.col("embedding")), "id", "embedding"));
        assertTrue(e.getMessage().endsWith("is smallint, expected bigint or int"), e.getMessage());
        org.apache.spark.sql.Dataset<Row> older = org.apache.spark.mllib.util.MLUtils.convertVectorColumnsFromML(table.select(
                org.apache.spark.sql.functions.col("id"), org.apache.spark.ml.functions.array_to_vector(
                        org.apache.spark.sql.functions.col("embedding")).as("embedding")), "embedding");
        e = assertThrows(InvalidInputException.class, () -> TableInput.of(older, "id", "embedding"));
        assertTrue(e.getMessage().contains("older org.apache.spark.mllib.linalg") && e.getMessage().contains("convertVectorColumnsToML"), e.getMessage());
    }

    /**
     * Probe helper 54, Parquet tables other writers make: unsigned 64-bit ids (read as decimal(20,0)), files that
     * differ in a column's type (Spark took the table's type from an empty one and named no file), a stale summary
     * file (Spark takes the columns from it), and a null id named no file.
     */
    @Test
    void tablesOtherWritersMakeAreExplainedByFile() throws IOException {
        org.apache.spark.sql.Dataset<Row> table = spark.range(0, 10).toDF().withColumn("embedding",
                org.apache.spark.sql.functions.array(org.apache.spark.sql.functions.col("id").cast("float")));
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> TableInput.of(table.select(
                org.apache.spark.sql.functions.col("id").cast("decimal(20,0)").as("id"), org.apache.spark.sql.functions.col("embedding")), "id", "embedding"));
        assertTrue(e.getMessage().contains("is decimal(20,0), expected bigint or int (Spark reads an unsigned 64-bit integer column, uint64"), e.getMessage());

        Path ints = tmp.resolve("differ-ints");
        Path floatsDir = tmp.resolve("differ-floats");
        table.select(org.apache.spark.sql.functions.col("id"), org.apache.spark.sql.functions.array(org.apache.spark.sql.functions.col("id")
                .cast("int")).as("embedding")).coalesce(1).write().parquet(ints.toString());
        table.repartition(2).write().parquet(floatsDir.toString());
        String hint = ParquetTables.filesDiffering(spark.read().parquet(ints.toString(), floatsDir.toString()), "embedding");
        assertTrue(hint.startsWith("; the table's files differ: " + ints.toUri().toString().replaceAll("/$", "").replace("file:///", "file:/"))
                && hint.contains("holds column embedding as int32 where 2 other files hold it as float"), hint);

        Path stale = tmp.resolve("stale-summary");
        table.coalesce(1).write().parquet(stale.toString());
        Path other = tmp.resolve("other-columns");
        table.withColumnRenamed("embedding", "vector").coalesce(1).write().parquet(other.toString());
        try (Stream<Path> files = Files.list(other)) {
            Files.copy(files.filter(f -> f.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow(),
                    stale.resolve("_common_metadata"));
        }
        e = assertThrows(InvalidInputException.class, () -> TableInput.of(ParquetTables.open(spark, stale.toString(), "input"), "id", "embedding"));
        assertTrue(e.getMessage().startsWith("no column 'embedding' (--vector-col) in the input; it has: id, vector; the table's columns come from"
                + " its summary file ") && e.getMessage().contains("_common_metadata, which Spark reads instead of its data files"), e.getMessage());

        // A summary of other column types: the data files, which agree, were blamed (probe helper 77).
        Path staleTypes = tmp.resolve("stale-summary-types");
        table.coalesce(1).write().parquet(staleTypes.toString());
        Path intIds = tmp.resolve("int-id-columns");
        table.withColumn("id", org.apache.spark.sql.functions.col("id").cast("int")).coalesce(1).write().parquet(intIds.toString());
        try (Stream<Path> files = Files.list(intIds)) {
            Files.copy(files.filter(f -> f.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow(),
                    staleTypes.resolve("_common_metadata"));
        }
        String typed = failure("--input", staleTypes.toString(), "--output", tmp.resolve("stale-types-index").toString(),
                "--vector-col", "embedding", "--eval-queries", "0");
        assertTrue(typed.contains("column id holds int64 values where the table has int")
                && typed.contains("the table's columns come from its summary file") && typed.contains("_common_metadata"), typed);

        Path nullId = tmp.resolve("null-id");
        table.select(org.apache.spark.sql.functions.when(org.apache.spark.sql.functions.col("id").equalTo(5), null)
                .otherwise(org.apache.spark.sql.functions.col("id")).as("id"), org.apache.spark.sql.functions.col("embedding"))
                .coalesce(1).write().parquet(nullId.toString());
        String m = failure("--input", nullId.toString(), "--output", tmp.resolve("null-id-index").toString(), "--vector-col", "embedding");
        assertTrue(m.contains("a row has a null id (column id, file " + nullId.toUri()), m);
    }

    /**
     * Probe helper 57: on local disk an --overwrite commit deleted the old manifest, then renamed the new one into its
     * place (Hadoop's rename with OVERWRITE), so a driver killed between the two left no manifest. It is now one
     * rename(2); the checksum file Hadoop keeps beside the manifest must still match it, or Hadoop's reads of it fail.
     */
    @Test
    void anOverwriteOnLocalDiskReplacesTheManifestInOneStepAndItsChecksumMatches() throws IOException {
        Path index = tmp.resolve("replaced-in-place");
        runJob(spark, "--input", fvecs.toString(), "--output", index.toString(), "--partitions", "2", "--eval-queries", "100");
        runJob(spark, "--input", fvecs.toString(), "--output", index.toString(), "--partitions", "3", "--eval-queries", "100", "--overwrite");
        byte[] manifest = Files.readAllBytes(index.resolve(IndexManifest.FILE_NAME));
        org.apache.hadoop.fs.FileSystem local = org.apache.hadoop.fs.FileSystem.getLocal(new org.apache.hadoop.conf.Configuration());
        try (java.io.InputStream in = local.open(new org.apache.hadoop.fs.Path(index.resolve(IndexManifest.FILE_NAME).toUri()))) {
            assertArrayEquals(manifest, in.readAllBytes(), "read back through Hadoop's checksummed local file system");
        }
        assertEquals(3, JobFixtures.manifest(index).segments().size());
        try (Stream<Path> files = Files.list(index)) {
            assertEquals(List.of(), files.map(f -> f.getFileName().toString()).filter(n -> n.contains(".tmp")).toList(), "nothing staged left");
        }
    }

    /**
     * Probe helper 28: a build into a directory holding a Parquet table added its manifest there (Spark then
     * failed to read the table); one through a symbolic link into its own input table passed the check; a
     * --summary-json naming the input replaced the dataset with JSON after the build.
     */
    @Test
    void whatTheBuildWouldSpoilIsRefusedUpFront() throws IOException {
        DataType floats = DataTypes.createArrayType(DataTypes.FloatType);
        Path table = parquet("a-table", floats, BuildIndexJobTest::floats, 300, 0);
        List<String> before;
        try (var files = Files.list(table)) {
            before = files.map(f -> f.getFileName().toString()).sorted().toList();
        }
        String m = failure("--input", fvecs.toString(), "--output", table.toString(), "--overwrite");
        assertTrue(m.contains("is a directory holding") && m.contains("not an index's") && m.contains("part-"), m);
        Path link = tmp.resolve("link-to-table");
        Files.createSymbolicLink(link, table);
        m = failure("--input", table.toString(), "--output", link.resolve("idx").toString(), "--vector-col", "embedding");
        assertTrue(m.contains("lies inside --input"), m);
        try (var files = Files.list(table)) {
            assertEquals(before, files.map(f -> f.getFileName().toString()).sorted().toList(), "the table's directory is as it was");
        }
        assertEquals(300, spark.read().parquet(table.toString()).count());

        // What a failed build left (segments/, a staged manifest) does not stop the next one.
        Path retried = tmp.resolve("after-a-failed-build");
        Files.createDirectories(retried.resolve("segments"));
        Files.writeString(retried.resolve(IndexManifest.FILE_NAME + ".0badc0de.tmp"), "{");
        runJob(spark, "--input", fvecs.toString(), "--output", retried.toString(), "--partitions", "2", "--m", "8",
                "--ef-construction", "40", "--eval-queries", "0");
        assertTrue(Files.exists(retried.resolve(IndexManifest.FILE_NAME)));

        // Refused before a session starts (none is made here): the input stays what it was.
        byte[] input = Files.readAllBytes(fvecs);
        java.io.StringWriter err = new java.io.StringWriter();
        picocli.CommandLine cli = BuildIndexJob.commandLine();
        cli.setErr(new java.io.PrintWriter(err, true));
        assertEquals(1, cli.execute("--input", fvecs.toString(), "--output", out("summary-over-input"), "--summary-json", fvecs.toString(),
                "--overwrite"));
        assertTrue(err.toString().contains("--summary-json " + fvecs + " is a file this command reads"), err.toString());
        // Review helper 29: a summary inside the input table made it unreadable, or replaced one of its parts;
        // one into the new index's directory would be its manifest.
        for (String inside : new String[]{table.resolve("summary.json").toString(), table.resolve(before.get(0)).toString(),
                tmp.resolve("summary-into-output").resolve(IndexManifest.FILE_NAME).toString()}) {
            err.getBuffer().setLength(0);
            assertEquals(1, cli.execute("--input", table.toString(), "--output", out("summary-into-output"), "--vector-col", "embedding",
                    "--summary-json", inside, "--overwrite"));
            assertTrue(err.toString().contains("lies inside") || err.toString().contains("is a file this command reads"), err.toString());
        }
        try (var files = Files.list(table)) {
            assertEquals(before, files.map(f -> f.getFileName().toString()).sorted().toList(), "the table's directory is as it was");
        }
        assertFalse(Files.exists(tmp.resolve("summary-into-output")));
        assertTrue(java.util.Arrays.equals(input, Files.readAllBytes(fvecs)), "the input is unchanged");
        assertFalse(Files.exists(tmp.resolve("summary-over-input")));
    }

    @Test
    void aBadFirstRowDoesNotSetTheDimension() throws IOException {
        // Row id 0, written first in a single file, has 3 components; the table's dimension is 16.
        DataType floats = DataTypes.createArrayType(DataTypes.FloatType);
        StructType schema = new StructType().add("id", DataTypes.LongType).add("embedding", floats, true);
        List<Row> list = new ArrayList<>();
        for (int r = 0; r < 400; r++) {
            list.add(RowFactory.create((long) r, r == 0 ? Arrays.asList(1f, 2f, 3f) : floats(r)));
        }
        Path path = tmp.resolve("bad-first-row");
        spark.createDataFrame(list, schema).coalesce(1).write().parquet(path.toString());
        String m = failure("--input", path.toString(), "--output", out("bad-first"), "--vector-col", "embedding");
        assertTrue(m.contains("row id 0") && m.contains("dimension 3") && m.contains("expected 16"), m);
        Map<String, Object> summary = runJob(spark, "--input", path.toString(), "--output", out("bad-first-skipped"),
                "--vector-col", "embedding", "--on-invalid", "skip", "--partitions", "2");
        assertEquals(1L, ((Number) summary.get("skipped")).longValue());
        assertEquals(399, JobFixtures.manifest(tmp.resolve("bad-first-skipped")).totalCount());
        // --dimension names it outright.
        m = failure("--input", path.toString(), "--output", out("bad-first-dim"), "--vector-col", "embedding", "--dimension", "3");
        assertTrue(m.contains("the dimension is 3") && m.contains("has dimension 16"), m);
    }

    @Test
    void invalidRowsCanBeSkippedAndCounted() throws IOException {
        DataType floats = DataTypes.createArrayType(DataTypes.FloatType);
        Path input = parquet("skippable", floats, r -> r % 100 == 0 ? null : floats(r), 1_000, 0);
        Map<String, Object> summary = runJob(spark, "--input", input.toString(), "--output", out("skipped"),
                "--vector-col", "embedding", "--on-invalid", "skip");
        assertEquals(10L, ((Number) summary.get("skipped")).longValue());
        assertEquals(990, JobFixtures.manifest(tmp.resolve("skipped")).totalCount());
    }
}
