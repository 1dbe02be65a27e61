package io.hnswseg.spark;

import io.hnswseg.hnsw.SearchResults;
import io.hnswseg.io.FloatMatrix;
import io.hnswseg.manifest.IndexManifest;
import io.hnswseg.reader.IndexReader;
import io.hnswseg.reader.LocalS3;
import io.hnswseg.reader.ReaderOptions;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The job through its command line, reading a Parquet table from and writing the index to an S3 store
 * through S3A: s3proxy with an in-memory store on loopback, checking signed requests, started in this JVM.
 * The table is written locally once and uploaded byte for byte, so a local build of the same files is the
 * reference the S3 build must equal.
 */
class S3BuildTest {

    private static final String ACCESS = LocalS3.ACCESS;
    private static final String SECRET = LocalS3.SECRET;
    private static final String BUCKET = "warehouse";
    /** Three files of different sizes: Spark orders input splits by size, so ties cannot reorder them. */
    private static final int[] FILE_ROWS = {900, 1_300, 1_800};

    @TempDir
    static Path tmp;
    private static LocalS3 store;
    private static S3Client s3;
    private static String endpoint;
    private static FloatMatrix[] data;
    private static Path table;

    @BeforeAll
    static void start() throws Exception {
        // What bin/hnswseg build sets: the SDK's checksums only where S3 requires them.
        System.setProperty("aws.requestChecksumCalculation", "WHEN_REQUIRED");
        System.setProperty("aws.responseChecksumValidation", "WHEN_REQUIRED");
        store = LocalS3.start(0, BUCKET);
        s3 = store.client();
        endpoint = store.endpoint();
        data = JobFixtures.clustered(Arrays.stream(FILE_ROWS).sum(), 100, 16, 11);
        table = writeTable(tmp.resolve("table"));
        try (Stream<Path> files = Files.list(table)) {
            List<Path> parquet = files.filter(f -> f.getFileName().toString().endsWith(".parquet")).toList();
            assertEquals(FILE_ROWS.length, parquet.size(), "data files: " + parquet);
            for (Path p : parquet) {
                s3.putObject(b -> b.bucket(BUCKET).key("tables/vectors/" + p.getFileName()), RequestBody.fromFile(p));
            }
        }
    }

    /** (id bigint, vector array&lt;float&gt;), one file per entry of FILE_ROWS. */
    private static Path writeTable(Path dir) {
        SparkSession spark = JobFixtures.session("local[2]").getOrCreate();
        try {
            StructType schema = new StructType().add("id", DataTypes.LongType).add("vector", DataTypes.createArrayType(DataTypes.FloatType));
            int first = 0;
            for (int rows : FILE_ROWS) {
                List<Row> list = new ArrayList<>();
                for (int r = first; r < first + rows; r++) {
                    float[] v = data[0].row(r);
                    Float[] boxed = new Float[v.length];
                    for (int i = 0; i < v.length; i++) {
                        boxed[i] = v[i];
                    }
                    list.add(RowFactory.create((long) r, Arrays.asList(boxed)));
                }
                spark.createDataFrame(list, schema).coalesce(1).write().mode("append").parquet(dir.toString());
                first += rows;
            }
        } finally {
            spark.stop();
        }
        return dir;
    }

    @AfterAll
    static void stop() throws Exception {
        System.clearProperty("aws.requestChecksumCalculation");
        System.clearProperty("aws.responseChecksumValidation");
        // The job's S3A file system stays in Hadoop's cache, pointing at this proxy: close it with the proxy.
        try {
            FileSystem.get(URI.create("s3a://" + BUCKET + "/"), new Configuration()).close();
        } catch (IOException | RuntimeException | LinkageError e) {
            // nothing cached, or S3A unusable; the test itself reports that
        }
        if (store != null) {
            store.close();
        }
    }

    /**
     * Runs {@code build} through its command line with the options every build here shares; a target recall
     * no routed setting reaches, so that every build also reads its segments back to measure every one.
     */
    private static void build(String input, String output, String... more) {
        List<String> args = new ArrayList<>(List.of("--input", input, "--output", output, "--partitions", "3",
                "--threads-per-task", "1", "--m", "12", "--ef-construction", "80", "--target-recall", "0.9999"));
        run(BuildIndexJob.commandLine(), args, input.startsWith("s3a:") || output.startsWith("s3a:"), more);
    }

    private static void run(CommandLine cli, List<String> args, boolean s3, String... more) {
        // Two cores and up to 3 attempts per task, for --test-fail-first-attempt.
        args.addAll(List.of("--master", "local[2,3]", "--conf", "spark.ui.enabled=false", "--conf", "spark.sql.shuffle.partitions=4",
                "--conf", "spark.kryo.registrationRequired=true"));
        if (s3) {
            args.addAll(List.of(
                    "--conf", "spark.hadoop.fs.s3a.endpoint=" + endpoint,
                    "--conf", "spark.hadoop.fs.s3a.path.style.access=true",
                    "--conf", "spark.hadoop.fs.s3a.endpoint.region=us-east-1",
                    "--conf", "spark.hadoop.fs.s3a.access.key=" + ACCESS,
                    "--conf", "spark.hadoop.fs.s3a.secret.key=" + SECRET,
                    // Fail fast rather than retry for minutes if something is wrong.
                    "--conf", "spark.hadoop.fs.s3a.attempts.maximum=2",
                    "--conf", "spark.hadoop.fs.s3a.retry.limit=2",
                    // s3proxy answers the SDK's bulk DeleteObjects (its checksum header) with 501; Spark's
                    // committer deletes its _temporary tree, so delete one object at a time here.
                    "--conf", "spark.hadoop.fs.s3a.multiobjectdelete.enable=false"));
        }
        args.addAll(List.of(more));
        StringWriter err = new StringWriter();
        cli.setErr(new PrintWriter(err, true));
        int status = cli.execute(args.toArray(String[]::new));
        assertEquals(0, status, cli.getCommandName() + " " + String.join(" ", args) + " failed: " + err);
    }

    private static IndexManifest s3Manifest(String prefix) {
        byte[] json = s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(prefix + "/" + IndexManifest.FILE_NAME)).asByteArray();
        return IndexManifest.parse(json, "s3://" + BUCKET + "/" + prefix + "/" + IndexManifest.FILE_NAME);
    }

    private static Set<String> s3Keys(String prefix) {
        return s3.listObjectsV2Paginator(b -> b.bucket(BUCKET).prefix(prefix)).contents().stream()
                .map(S3Object::key).collect(Collectors.toCollection(TreeSet::new));
    }

    /** The reader's S3 options; it takes credentials from the SDK's chain, of which system properties are part. */
    private static IndexReader openFromS3(String prefix, String cache) throws IOException {
        System.setProperty("aws.accessKeyId", ACCESS);
        System.setProperty("aws.secretAccessKey", SECRET);
        try {
            return IndexReader.open("s3://" + BUCKET + "/" + prefix, ReaderOptions.defaults().withS3Endpoint(endpoint)
                    .withS3Region("us-east-1").withCacheDir(tmp.resolve(cache)));
        } finally {
            System.clearProperty("aws.accessKeyId");
            System.clearProperty("aws.secretAccessKey");
        }
    }

    /** Per partition (segment names start with the run id, then the partition): vectors and checksum. */
    private static List<String> segmentsByPartition(IndexManifest manifest) {
        return manifest.segments().stream().sorted(Comparator.comparing(IndexManifest.Segment::path))
                .map(s -> s.count() + " vectors, crc32c " + Long.toHexString(s.crc32c())).toList();
    }


    /** The same answers at several nprobe (each manifest's recommended one is compared apart). */
    private static void assertSameAnswers(IndexReader expected, IndexReader actual) {
        for (int nprobe : new int[] {1, 2, 0}) {
            for (int q = 0; q < data[1].rows(); q++) {
                SearchResults x = expected.search(data[1].row(q), 10, 40, nprobe);
                SearchResults y = actual.search(data[1].row(q), 10, 40, nprobe);
                assertTrue(x.matches(y, 1e-6), "nprobe " + nprobe + ", query " + q + ": " + x + " vs " + y);
            }
        }
    }

    @Test
    void s3BuildsLikeALocalBuildAndRetriedAttemptsLeaveNothingBehind() throws IOException {
        Path local = tmp.resolve("local-index");
        build(table.toString(), local.toString());
        build("s3a://" + BUCKET + "/tables/vectors", "s3a://" + BUCKET + "/indexes/v1");
        build("s3a://" + BUCKET + "/tables/vectors", "s3a://" + BUCKET + "/indexes/retried", "--test-fail-first-attempt");

        IndexManifest reference = JobFixtures.manifest(local);
        assertEquals(3, reference.segments().size());
        assertEquals(data[0].rows(), reference.totalCount());
        for (String prefix : List.of("indexes/v1", "indexes/retried")) {
            IndexManifest manifest = s3Manifest(prefix);
            // Same input files, same options: the same rows land in the same partitions in the same order,
            // so every segment is byte for byte the local one.
            assertEquals(segmentsByPartition(reference), segmentsByPartition(manifest), prefix + ": segments differ from the local build");
            // And the build measured the same recall and counted cost at every setting (its searches are
            // deterministic, only their timings differ), so it recommends the same one.
            assertEquals(JobFixtures.countedGrid(reference.quality()), JobFixtures.countedGrid(manifest.quality()), prefix + ": measured recall differs from the local build");
            assertEquals(JobFixtures.counted(reference.quality().defaults()), JobFixtures.counted(manifest.quality().defaults()), prefix + ": recommended setting");
            // A target no routed setting reaches: the build read its segments back from the store to measure every one.
            assertTrue(manifest.quality().grid().stream().anyMatch(p -> p.nprobe() == 0), prefix + ": no second pass: " + manifest.quality().grid());
            try (IndexReader fromS3 = openFromS3(prefix, "cache-" + prefix.replace('/', '-'));
                 IndexReader fromDisk = IndexReader.open(local.toString())) {
                assertEquals(3, fromS3.segmentCount());
                assertEquals(data[0].rows(), fromS3.size());
                assertSameAnswers(fromDisk, fromS3);
            }
        }

        IndexManifest retried = s3Manifest("indexes/retried");
        Set<String> partitions = new TreeSet<>();
        for (IndexManifest.Segment s : retried.segments()) {
            partitions.add(s.path().replaceAll(".*-part-(\\d+)-.*", "$1"));
        }
        assertEquals(Set.of("00000", "00001", "00002"), partitions, "one segment per partition: " + retried.segments());
        Set<String> listed = retried.segments().stream().map(s -> "indexes/retried/" + s.path()).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(listed, s3Keys("indexes/retried/segments/"), "the store holds exactly the listed segments");
        listed.add("indexes/retried/" + IndexManifest.FILE_NAME);
        listed.add("indexes/retried/" + retried.routing().centroids().path());
        // S3A leaves a directory marker (a key ending in '/') where it deleted the last file under a prefix
        // (the output's write probe): not a file of the index.
        Set<String> files = s3Keys("indexes/retried/").stream().filter(k -> !k.endsWith("/")).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(listed, files, "and nothing else: no staged manifest, no probe, no other attempt's files");

        // The batch search reads the index and the queries from the store and writes its results there:
        // each executor copies the index once, and answers as the reader does on the local build.
        List<String> search = new ArrayList<>(List.of("--index", "s3a://" + BUCKET + "/indexes/v1", "--queries",
                "s3a://" + BUCKET + "/tables/vectors", "--output", "s3a://" + BUCKET + "/neighbours", "--k", "5", "--ef", "40", "--nprobe", "2"));
        run(SearchIndexJob.commandLine(), search, true);
        Set<String> written = s3Keys("neighbours/");
        assertTrue(written.contains("neighbours/_SUCCESS"), "results committed: " + written);
        Path results = tmp.resolve("neighbours");
        for (String key : written) {
            if (key.endsWith(".parquet")) {
                Path file = results.resolve(key.substring(key.lastIndexOf('/') + 1));
                Files.createDirectories(results);
                Files.write(file, s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(key)).asByteArray());
            }
        }
        try (SparkSession spark = JobFixtures.session("local[1]").getOrCreate();
             IndexReader fromDisk = IndexReader.open(local.toString())) {
            List<Row> rows = spark.read().parquet(results.toString()).collectAsList();
            assertEquals(data[0].rows(), rows.size(), "one row per query");
            for (Row row : rows.subList(0, 200)) {
                long id = row.getLong(0);
                SearchResults expected = fromDisk.search(data[0].row((int) id), 5, 40, 2);
                assertEquals(java.util.Arrays.stream(expected.ids()).boxed().toList(), row.getList(1), "query " + id);
            }
        }
        // An empty _attempts/ marker left in the results (a store's directory marker, probe helper 84: every
        // --overwrite failed on it) is the job's own: the next run replaces the results.
        s3.putObject(b -> b.bucket(BUCKET).key("neighbours/_attempts/"), RequestBody.empty());
        run(SearchIndexJob.commandLine(), new ArrayList<>(List.of("--index", "s3a://" + BUCKET + "/indexes/v1", "--queries",
                "s3a://" + BUCKET + "/tables/vectors", "--output", "s3a://" + BUCKET + "/neighbours", "--k", "3")), true, "--overwrite");
        assertFalse(s3Keys("neighbours/").contains("neighbours/_attempts/"), "replaced whole: " + s3Keys("neighbours/"));
        assertTrue(s3Keys("neighbours/").contains("neighbours/_SUCCESS"));
    }

    /**
     * The commit's conditional PUT goes through S3A's own client and request factory, with the ETag S3A reports
     * for the manifest being replaced, and reaches the store with its condition (recorded on the wire:
     * s3proxy ignores the conditions; S3ManifestPutTest covers the refusals).
     */
    /** to-parquet writes a table into the store, committed with its _SUCCESS, which the build then reads whole. */
    @Test
    void toParquetWritesATableTheBuildReads() throws IOException {
        Path vecs = JobFixtures.writeFvecs(tmp.resolve("for-table.fvecs"), data[0]);
        run(VecsToParquetJob.commandLine(), new ArrayList<>(List.of("--input", vecs.toString(), "--output",
                "s3a://" + BUCKET + "/tables/converted", "--files", "2")), true);
        assertTrue(s3Keys("tables/converted/").contains("tables/converted/_SUCCESS"), s3Keys("tables/converted/").toString());
        build("s3a://" + BUCKET + "/tables/converted", tmp.resolve("from-converted").toString());
        try (IndexReader reader = IndexReader.open(tmp.resolve("from-converted").toString())) {
            assertEquals(data[0].rows(), reader.size());
        }
    }

    @Test
    void theManifestIsPutConditionallyThroughS3a() throws IOException {
        Configuration conf = new Configuration();
        conf.set("fs.s3a.endpoint", endpoint);
        conf.set("fs.s3a.path.style.access", "true");
        conf.set("fs.s3a.endpoint.region", "us-east-1");
        conf.set("fs.s3a.access.key", ACCESS);
        conf.set("fs.s3a.secret.key", SECRET);
        conf.set("fs.s3a.audit.execution.interceptors", ManifestPutHeaders.class.getName());
        conf.setBoolean("fs.s3a.impl.disable.cache", true);
        String key = "indexes/conditional/" + IndexManifest.FILE_NAME;
        ManifestPutHeaders.SENT.clear();
        try (FileSystem fs = FileSystem.get(URI.create("s3a://" + BUCKET + "/"), conf)) {
            assertEquals("org.apache.hadoop.fs.s3a.S3AFileSystem", fs.getClass().getName());
            org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path("s3a://" + BUCKET + "/" + key);
            byte[] first = "{\"first\": 1}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            assertEquals(S3ManifestPut.Outcome.WRITTEN, S3ManifestPut.put(fs, path, first, null).outcome());
            org.apache.hadoop.fs.FileStatus before = fs.getFileStatus(path);
            String etag = ((org.apache.hadoop.fs.EtagSource) before).getEtag();
            assertTrue(etag != null && !etag.isEmpty(), "S3A reports the manifest's ETag");
            byte[] second = "{\"second\": 2}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            S3ManifestPut.Result replaced = S3ManifestPut.put(fs, path, second, before);
            assertEquals(S3ManifestPut.Outcome.WRITTEN, replaced.outcome(), replaced.detail());
            assertArrayEquals(second, s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(key)).asByteArray());
            assertEquals(List.of(java.util.Map.of("If-None-Match", "*"), java.util.Map.of("If-Match", etag)), ManifestPutHeaders.SENT);
        }
    }

    /** {@code hnswseg vacuum} over S3A, with the --conf arguments bin/hnswseg passes; no Spark involved. */
    @Test
    void vacuumWorksOverS3a() {
        String prefix = "indexes/vacuumed";
        IndexManifest manifest = new IndexManifest("l2", 4, new IndexManifest.BuildParams(16, 100, 42), 5,
                List.of(new IndexManifest.Segment("segments/run1-part-00000-task-0.hseg", 5, 10, 1L)), java.util.Map.of());
        s3.putObject(b -> b.bucket(BUCKET).key(prefix + "/" + IndexManifest.FILE_NAME), RequestBody.fromBytes(manifest.toJson()));
        for (String key : List.of("segments/run1-part-00000-task-0.hseg", "segments/run0-part-00000-task-3.hseg",
                "routing/run0-centroids.fvecs", "manifest.json.run0.tmp")) {
            s3.putObject(b -> b.bucket(BUCKET).key(prefix + "/" + key), RequestBody.fromBytes(new byte[10]));
        }
        String[] conf = {"--conf", "spark.hadoop.fs.s3a.endpoint=" + endpoint, "--conf", "spark.hadoop.fs.s3a.path.style.access=true",
            "--conf", "spark.hadoop.fs.s3a.endpoint.region=us-east-1", "--conf", "fs.s3a.access.key=" + ACCESS,
            "--conf", "fs.s3a.secret.key=" + SECRET, "--conf", "fs.s3a.attempts.maximum=2", "--conf", "fs.s3a.retry.limit=2"};
        String uri = "s3a://" + BUCKET + "/" + prefix;
        String dry = vacuum(conf, uri, "--older-than", "0", "--dry-run");
        assertTrue(dry.contains("would remove 3 unlisted files (30 B)"), dry);
        assertEquals(5, s3Keys(prefix + "/").stream().filter(k -> !k.endsWith("/")).count(), "a dry run removes nothing");
        String young = vacuum(conf, uri);
        assertTrue(young.contains("removed 0 unlisted files (0 B); kept 3 for later (30 B)"), young);
        String now = vacuum(conf, uri, "--older-than", "0");
        assertTrue(now.contains("removed        segments/run0-part-00000-task-3.hseg  10 B")
                && now.contains("removed 3 unlisted files (30 B)"), now);
        Set<String> left = s3Keys(prefix + "/").stream().filter(k -> !k.endsWith("/")).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(Set.of(prefix + "/" + IndexManifest.FILE_NAME, prefix + "/segments/run1-part-00000-task-0.hseg"), left);
    }

    private static String vacuum(String[] conf, String... args) {
        CommandLine cli = VacuumIndexJob.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        List<String> all = new ArrayList<>(List.of(conf));
        all.addAll(List.of(args));
        assertEquals(0, cli.execute(all.toArray(String[]::new)), "vacuum " + all + " failed: " + err);
        return out.toString();
    }
}
