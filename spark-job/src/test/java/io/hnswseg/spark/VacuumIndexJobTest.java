package io.hnswseg.spark;

import io.hnswseg.hnsw.SearchResults;
import io.hnswseg.io.FloatMatrix;
import io.hnswseg.manifest.IndexManifest;
import io.hnswseg.manifest.Leases;
import io.hnswseg.reader.IndexReader;
import io.hnswseg.reader.ReaderOptions;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code hnswseg vacuum} through its command line, on an index the job built (k-means, so with a centroids file). */
class VacuumIndexJobTest {

    @TempDir
    static Path tmp;
    private static Path index;
    private static FloatMatrix queries;

    @BeforeAll
    static void build() throws IOException {
        FloatMatrix[] data = JobFixtures.clustered(3_000, 20, 16, 5);
        queries = data[1];
        Path fvecs = JobFixtures.writeFvecs(tmp.resolve("base.fvecs"), data[0]);
        index = tmp.resolve("index");
        SparkSession spark = JobFixtures.session("local[2]").getOrCreate();
        try {
            JobFixtures.runJob(spark, "--input", fvecs.toString(), "--output", index.toString(), "--partitions", "3",
                    "--m", "12", "--ef-construction", "60", "--eval-queries", "0");
        } finally {
            spark.stop();
        }
    }

    /** Exit status, standard output and standard error of one run of the command. */
    private record Run(int status, String out, String err) {
    }

    private static Run vacuum(String... args) {
        CommandLine cli = VacuumIndexJob.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int status = cli.execute(args);
        return new Run(status, out.toString(), err.toString());
    }

    /** Every file under the directory, relative path to size. */
    private static Map<String, Long> files(Path dir) throws IOException {
        Map<String, Long> all = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                all.put(dir.relativize(p).toString().replace('\\', '/'), Files.size(p));
            }
        }
        return all;
    }

    private static Path write(String relative, int bytes, Duration age) throws IOException {
        Path p = index.resolve(relative);
        Files.createDirectories(p.getParent());
        Files.write(p, new byte[bytes]);
        Files.setLastModifiedTime(p, FileTime.from(Instant.now().minus(age)));
        return p;
    }

    /**
     * Lets {@code lease} lapse: a vacuum with the default grace keeps it for later, saying it lapsed; one with no grace
     * removes it and its {@code files}.
     */
    private static void lapsesWithItsFiles(Path lease, Path... files) throws IOException {
        Files.setLastModifiedTime(lease, FileTime.from(Instant.now().minus(Leases.LAPSES_AFTER).minusSeconds(1)));
        Run run = vacuum(index.toString());
        assertTrue(run.out().contains("kept           " + lease.getFileName() + "  ")
                && run.out().contains("(a lapsed lease: its job ended without removing it)"), run.out());
        run = vacuum(index.toString(), "--older-than", "0");
        assertEquals(0, run.status(), run.err());
        assertFalse(Files.exists(lease), run.out());
        for (Path f : files) {
            assertFalse(Files.exists(f), run.out());
        }
        assertTrue(run.out().contains("removed " + (files.length + 1) + " unlisted files"), run.out());
    }

    private static List<SearchResults> answers() throws IOException {
        try (IndexReader reader = IndexReader.open(index.toString())) {
            List<SearchResults> all = new ArrayList<>();
            for (int q = 0; q < queries.rows(); q++) {
                all.add(reader.search(queries.row(q), 10, 40, 0));
            }
            return all;
        }
    }

    @Test
    void listsRemovesOnlyUnlistedFilesAndTheIndexStillOpens() throws IOException {
        IndexManifest manifest = JobFixtures.manifest(index);
        assertTrue(manifest.routed(), "a k-means index, with a centroids file");
        List<SearchResults> before = answers();
        Map<String, Long> committed = files(index);

        // What killed builds, lost attempts and replaced indexes leave behind, and a file that is not the index's.
        write("segments/dead0001-part-00000-task-7.hseg", 1500, Duration.ofMinutes(5));
        write("segments/dead0001-part-00001-task-8.hseg", 2500, Duration.ofMinutes(5));
        write("routing/dead0001-centroids.fvecs", 204, Duration.ofMinutes(5));
        write("manifest.json.dead0001.tmp", 300, Duration.ofMinutes(5));
        write("notes.txt", 10, Duration.ofDays(3));
        write("segments/my-notes.txt", 20, Duration.ofDays(3));
        write("routing/readme.md", 30, Duration.ofDays(3));
        Map<String, Long> littered = files(index);
        List<String> unlisted = List.of("manifest.json.dead0001.tmp", "routing/dead0001-centroids.fvecs",
                "segments/dead0001-part-00000-task-7.hseg", "segments/dead0001-part-00001-task-8.hseg");

        // Default grace (1 h): everything is young, so it is listed as kept and nothing goes.
        Run young = vacuum(index.toString());
        assertEquals(0, young.status(), young.err());
        for (String f : unlisted) {
            assertTrue(young.out().contains("kept           " + f), young.out());
        }
        assertTrue(young.out().contains("removed 0 unlisted files (0 B); kept 4 for later (4.4 KiB), younger than 1h"), young.out());
        assertEquals(littered, files(index));

        // A commit 30 s ago: a serve following the index may not have switched to it yet (probe helper 111).
        Path manifestFile = index.resolve(IndexManifest.FILE_NAME);
        Files.setLastModifiedTime(manifestFile, FileTime.from(Instant.now().minusSeconds(30)));

        // Dry run with no grace: all four listed with their sizes, nothing removed.
        Run dry = vacuum(index.toString(), "--older-than", "0", "--dry-run");
        assertFalse(dry.err().contains("warning"), dry.err());
        assertEquals(0, dry.status(), dry.err());
        assertTrue(dry.out().contains("would remove   segments/dead0001-part-00001-task-8.hseg  2.4 KiB"), dry.out());
        assertTrue(dry.out().contains("would remove   manifest.json.dead0001.tmp  300 B"), dry.out());
        assertTrue(dry.out().contains("would remove 4 unlisted files (4.4 KiB)"), dry.out());
        assertFalse(dry.out().contains("notes.txt") || dry.out().contains("readme.md") || dry.out().contains(manifest.segments().get(0).path()),
                dry.out());
        assertEquals(littered, files(index), "a dry run removes nothing");

        // No grace, as a file: URI: the four go; the listed segments, the centroids and other files stay.
        Run now = vacuum("--older-than", "0", index.toUri().toString());
        assertEquals(0, now.status(), now.err());
        for (String f : unlisted) {
            assertTrue(now.out().contains("removed        " + f), now.out());
        }
        assertTrue(now.out().contains("removed 4 unlisted files (4.4 KiB)") && !now.out().contains("kept"), now.out());
        assertTrue(now.err().startsWith("hnswseg vacuum: warning: the manifest was written 3") && now.err().contains(" ago, and 3 removed"
                + " files of segments/ and routing/ may belong to the index it replaced") && now.err().contains("give --older-than 2m"),
                now.err());
        Map<String, Long> expected = new TreeMap<>(committed);
        expected.put("notes.txt", 10L);
        expected.put("segments/my-notes.txt", 20L);
        expected.put("routing/readme.md", 30L);
        assertEquals(expected, files(index), "exactly the unlisted files removed");
        assertEquals(manifest, JobFixtures.manifest(index));
        List<SearchResults> after = answers();
        for (int q = 0; q < before.size(); q++) {
            assertTrue(before.get(q).matches(after.get(q), 1e-6), "query " + q);
        }

        // A commit older than any reader's switch: nothing to warn of.
        Files.setLastModifiedTime(manifestFile, FileTime.from(Instant.now().minus(VacuumIndexJob.READERS_SWITCH_WITHIN).minusSeconds(1)));
        write("segments/dead0002-part-00000-task-9.hseg", 100, Duration.ofMinutes(5));
        Run later = vacuum(index.toString(), "--older-than", "0");
        assertTrue(later.out().contains("removed        segments/dead0002-part-00000-task-9.hseg") && later.err().isEmpty(), later.err());
    }

    @Test
    void theGraceAppliesToFilesAndToTheManifest() throws IOException {
        Path manifest = index.resolve(IndexManifest.FILE_NAME);
        FileTime committed = Files.getLastModifiedTime(manifest);
        try {
            Path old = write("segments/old00002-part-00000-task-1.hseg", 100, Duration.ofHours(3));
            Path recent = write("segments/new00002-part-00000-task-1.hseg", 100, Duration.ofMinutes(10));
            // The manifest is younger than 2h: a reader of the one it replaced may still fetch the old file.
            Files.setLastModifiedTime(manifest, FileTime.from(Instant.now().minus(Duration.ofMinutes(30))));
            Run run = vacuum(index.toString(), "--older-than", "2h");
            assertEquals(0, run.status(), run.err());
            assertTrue(Files.exists(old) && Files.exists(recent), run.out());
            assertTrue(run.out().contains("kept           segments/old00002-part-00000-task-1.hseg  100 B, written 3h ago; "
                    + "removable in 1h 30m"), run.out());
            assertTrue(run.out().contains("or written before a manifest that is"), run.out());
            // Once the manifest is old enough too, only the old file goes.
            Files.setLastModifiedTime(manifest, FileTime.from(Instant.now().minus(Duration.ofHours(2).plusMinutes(5))));
            run = vacuum(index.toString(), "--older-than", "2h");
            assertEquals(0, run.status(), run.err());
            assertFalse(Files.exists(old), run.out());
            assertTrue(Files.exists(recent), run.out());
            assertTrue(run.out().contains("removed 1 unlisted files (100 B); kept 1 for later (100 B), younger than 2h\n"), run.out());
            Files.delete(recent);
        } finally {
            Files.setLastModifiedTime(manifest, committed);
        }
    }

    /**
     * A running build's files stay whatever their age and the grace period, while its lease is renewed; once
     * the lease lapses (a killed driver), they and the lease are leftovers like any other (probe helper 30).
     */
    @Test
    void aRunningBuildsFilesStayUntilItsLeaseLapses() throws IOException {
        Path segment = write("segments/run00001-part-00000-task-1.hseg", 100, Duration.ofHours(3));
        Path centroids = write("routing/run00001-centroids.fvecs", 10, Duration.ofHours(3));
        Path lease = write(BuildLease.PREFIX + "run00001", 0, Duration.ofSeconds(20));
        Path otherRun = write("segments/run00002-part-00000-task-1.hseg", 100, Duration.ofHours(3));
        Run run = vacuum(index.toString(), "--older-than", "0");
        assertEquals(0, run.status(), run.err());
        assertTrue(Files.exists(segment) && Files.exists(centroids) && Files.exists(lease), run.out());
        assertFalse(Files.exists(otherRun), run.out());
        assertTrue(run.out().contains("kept           every file of the build run00001, running there"), run.out());
        lapsesWithItsFiles(lease, segment, centroids);
    }

    /**
     * The files a search reads stay while its lease is live, however old they and the manifest are, and are said to be
     * kept for it; once the lease lapses (a killed driver), they and the lease are leftovers like any other.
     */
    @Test
    void theFilesARunningSearchReadsStayUntilItsLeaseLapses() throws IOException {
        Path segment = write("segments/old00004-part-00000-task-1.hseg", 100, Duration.ofHours(3));
        Path centroids = write("routing/old00004-centroids.fvecs", 10, Duration.ofHours(3));
        Path unread = write("segments/old00005-part-00000-task-1.hseg", 100, Duration.ofHours(3));
        org.apache.hadoop.fs.FileSystem fs = org.apache.hadoop.fs.FileSystem.getLocal(new Configuration());
        org.apache.hadoop.fs.Path root = new org.apache.hadoop.fs.Path(index.toUri());
        Path lease;
        try (BuildLease held = BuildLease.takeForReading(fs, root,
                List.of("segments/old00004-part-00000-task-1.hseg", "./routing//old00004-centroids.fvecs"), "search")) {
            try (Stream<Path> files = Files.list(index)) {
                lease = files.filter(f -> f.getFileName().toString().startsWith(Leases.READ_PREFIX)).findFirst().orElseThrow();
            }
            Run run = vacuum(index.toString(), "--older-than", "0");
            assertEquals(0, run.status(), run.err());
            assertTrue(Files.exists(segment) && Files.exists(centroids), run.out());
            assertFalse(Files.exists(unread), run.out());
            assertTrue(run.out().contains("kept           segments/old00004-part-00000-task-1.hseg  100 B, written 3h ago; a reader "
                    + "(a search-job, a server) uses it (its lease " + lease.getFileName() + " is renewed"), run.out());
            assertTrue(run.out().contains("removed 1 unlisted files (100 B); kept 2 that running readers use (110 B)"), run.out());
            Path copy = lease.resolveSibling(lease.getFileName() + "-killed");
            Files.copy(lease, copy);
            lease = copy;
        }
        // A killed search's lease: live a while after its last renewal, then a leftover with the files it held.
        Files.setLastModifiedTime(lease, FileTime.from(Instant.now().minus(Leases.LAPSES_AFTER).plusSeconds(30)));
        Run run = vacuum(index.toString(), "--older-than", "0");
        assertTrue(Files.exists(segment) && Files.exists(centroids) && Files.exists(lease), run.out());
        lapsesWithItsFiles(lease, segment, centroids);
    }

    /**
     * A server's reader holds a lease on the files it answers from, so that a vacuum with no grace right after a rebuild
     * keeps them until the reader has closed (probe helper 111: without one, every search failed until the server switched).
     * The rebuild here is a manifest listing copies of the segments under another run's names.
     */
    @Test
    void aLeasedReaderKeepsTheReplacedFilesItAnswersFromUntilItCloses() throws IOException {
        Path served = tmp.resolve("served");
        for (Map.Entry<String, Long> f : files(index).entrySet()) {
            Files.createDirectories(served.resolve(f.getKey()).getParent());
            Files.copy(index.resolve(f.getKey()), served.resolve(f.getKey()));
        }
        IndexManifest first = JobFixtures.manifest(served);
        IndexReader reader = IndexReader.open(served.toString(), ReaderOptions.defaults().withReadLease(true));
        List<String> replaced = new ArrayList<>();
        try {
            List<IndexManifest.Segment> rebuilt = new ArrayList<>();
            for (IndexManifest.Segment s : first.segments()) {
                String copy = "segments/next0001-" + s.path().substring(s.path().indexOf('-') + 1);
                Files.copy(served.resolve(s.path()), served.resolve(copy));
                rebuilt.add(new IndexManifest.Segment(copy, s.count(), s.bytes(), s.crc32c(), s.centroid(), s.distinct()));
                replaced.add(s.path());
            }
            IndexManifest next = new IndexManifest(first.formatVersion(), first.metric(), first.dimension(), first.build(),
                    first.totalCount(), rebuilt, first.routing(), first.quality(), first.summary(), first.vectorLength());
            Files.write(served.resolve(IndexManifest.FILE_NAME), next.toJson());

            Run run = vacuum(served.toString(), "--older-than", "0");
            assertEquals(0, run.status(), run.err());
            for (String path : replaced) {
                assertTrue(Files.exists(served.resolve(path)), path + ": " + run.out());
                assertTrue(run.out().contains("kept           " + path + "  "), run.out());
            }
            assertTrue(run.out().contains("uses it (its lease " + reader.readLease() + " is renewed"), run.out());
            assertTrue(run.err().isEmpty(), "nothing removed that a reader without a lease could use: " + run.err());
            Thread.sleep(1_100); // past the reader's check of its files: they are still there, so it answers on
            for (int q = 0; q < queries.rows(); q++) {
                assertEquals(10, reader.search(queries.row(q), 10, 40, 0).size(), "query " + q);
            }
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        } finally {
            reader.close();
        }
        Run run = vacuum(served.toString(), "--older-than", "0");
        assertEquals(0, run.status(), run.err());
        for (String path : replaced) {
            assertFalse(Files.exists(served.resolve(path)), path + ": " + run.out());
        }
        assertTrue(run.out().contains("removed " + replaced.size() + " unlisted files"), run.out());
    }

    /**
     * A lease read while its renewal rewrites it (empty on HDFS and local disk for that moment) held nothing, and its
     * files went (probe helper 90); so did one cut short. A live lease without its last line keeps every unlisted file.
     */
    @Test
    void aLeaseReadWhileItIsRewrittenKeepsEveryFile() throws IOException {
        Path segment = write("segments/old00006-part-00000-task-1.hseg", 100, Duration.ofHours(3));
        // Empty, and cut short (also an earlier version's lease, which had no last line) naming other files.
        for (String content : new String[]{"", "segments/other-part-00000-task-1.hseg\nsegm"}) {
            Path lease = index.resolve(Leases.READ_PREFIX + "0f0f0f0f-renewing");
            Files.writeString(lease, content);
            Run run = vacuum(index.toString(), "--older-than", "0");
            assertEquals(0, run.status(), run.err());
            assertTrue(Files.exists(segment), "lease '" + content + "': " + run.out());
            Files.delete(lease);
        }
        Run run = vacuum(index.toString(), "--older-than", "0");
        assertFalse(Files.exists(segment), run.out());
    }

    /**
     * A file the store refuses to delete (another user's under a sticky bit, on HDFS) stopped the whole vacuum, and with
     * it every build's clean-up there (probe helper 90): the other files go, and it is named with the store's reason.
     */
    @Test
    void aFileTheStoreWillNotDeleteIsNamedAndTheOthersGo() throws IOException {
        Path refused = write("segments/old00007-part-00000-task-1.hseg", 100, Duration.ofHours(3));
        Path other = write("segments/old00007-part-00001-task-2.hseg", 100, Duration.ofHours(3));
        org.apache.hadoop.fs.FileSystem refusing = new org.apache.hadoop.fs.FilterFileSystem(
                org.apache.hadoop.fs.FileSystem.getLocal(new Configuration())) {
            @Override
            public boolean delete(org.apache.hadoop.fs.Path f, boolean recursive) throws IOException {
                if (f.getName().equals(refused.getFileName().toString())) {
                    throw new org.apache.hadoop.security.AccessControlException("Permission denied by sticky bit\n\tat a frame");
                }
                return super.delete(f, recursive);
            }
        };
        Vacuum.Result result = Vacuum.run(refusing, new org.apache.hadoop.fs.Path(index.toUri()), Duration.ZERO, null, false);
        assertFalse(Files.exists(other));
        assertTrue(Files.exists(refused));
        assertEquals(1, result.failed().size(), result.toString());
        assertEquals("segments/" + refused.getFileName(), result.failed().get(0).entry().path());
        assertEquals("Permission denied by sticky bit", result.failed().get(0).reason());
        Files.delete(refused);
    }

    /**
     * A store whose clock runs ten minutes behind this machine's: a lease renewed a moment ago is ten minutes old by
     * this machine's clock, which made a running build's files go. Vacuum reads ages by the store's clock.
     */
    @Test
    void aStoreClockBehindThisMachinesKeepsARunningBuildsFiles() throws IOException {
        Path dir = tmp.resolve("skewed");
        Files.createDirectories(dir.resolve("segments"));
        Path segment = dir.resolve("segments/run00003-part-00000-task-1.hseg");
        Files.write(segment, new byte[100]);
        Files.setLastModifiedTime(segment, FileTime.from(Instant.now().minus(Duration.ofHours(3))));
        Path lease = dir.resolve(BuildLease.PREFIX + "run00003");
        Files.write(lease, new byte[0]);
        org.apache.hadoop.fs.FileSystem store = new SkewedStore(Duration.ofMinutes(10));
        org.apache.hadoop.fs.Path root = new org.apache.hadoop.fs.Path(dir.toUri());
        Vacuum.Result kept = Vacuum.run(store, root, Duration.ofHours(1), null, false);
        assertTrue(kept.running().contains("run00003") && kept.removed().isEmpty(), kept.toString());
        assertTrue(Files.exists(segment));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(lease.getFileName().toString(), "segments"),
                    files.map(f -> f.getFileName().toString()).filter(n -> !n.startsWith(".")).sorted().toList(), "no clock probe left");
        }
        // Its lease lapsed by the store's clock: its old segment goes (the lease itself is younger than the grace period).
        Files.setLastModifiedTime(lease, FileTime.from(Instant.now().minus(Leases.LAPSES_AFTER).minusSeconds(1)));
        Vacuum.Result removed = Vacuum.run(store, root, Duration.ofHours(1), null, false);
        assertEquals(List.of("segments/run00003-part-00000-task-1.hseg"), removed.removed().stream().map(Vacuum.Entry::path).toList(),
                removed.toString());
        assertFalse(Files.exists(segment));
    }

    /** Probe helper 94: a manifest altered by one digit in a segment's name had vacuum delete that live segment. */
    @Test
    void aManifestThatDoesNotDescribeTheDirectoryRemovesNothing() throws IOException {
        Path copy = tmp.resolve("altered");
        try (var files = Files.walk(index)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, copy.resolve(index.relativize(f).toString()));
            }
        }
        IndexManifest manifest = JobFixtures.manifest(copy);
        String segment = manifest.segments().get(0).path();
        String renamed = segment.replace("-part-", "-pArt-");
        Path manifestFile = copy.resolve(IndexManifest.FILE_NAME);
        String written = Files.readString(manifestFile);
        Set<String> before = JobFixtures.dataFiles(copy);
        // As the build wrote it, the manifest's own checksum tells the change.
        Files.writeString(manifestFile, written.replace(segment, renamed));
        Run run = vacuum(copy.toString(), "--older-than", "0");
        assertEquals(1, run.status(), run.out());
        assertTrue(run.err().contains("manifest_crc32c") && run.err().contains("not removing anything"), run.err());
        // Without it (a manifest of an earlier build, or edited by hand), the listing does.
        Files.writeString(manifestFile, io.hnswseg.reader.TestIndexes.editable(manifestFile).replace(segment, renamed));
        run = vacuum(copy.toString(), "--older-than", "0");
        assertEquals(1, run.status(), run.out());
        assertTrue(run.err().contains("lists " + renamed) && run.err().contains("there is no such file")
                && run.err().contains("not removing anything"), run.err());
        assertEquals(before, JobFixtures.dataFiles(copy), "the segment the manifest no longer names is still there");
        // A listed file of another size than the manifest gives: the same.
        Files.writeString(manifestFile, Files.readString(manifestFile).replace(renamed, segment));
        Files.write(copy.resolve(segment), new byte[]{1}, java.nio.file.StandardOpenOption.APPEND);
        run = vacuum(copy.toString(), "--older-than", "0");
        assertEquals(1, run.status(), run.out());
        assertTrue(run.err().contains("that file holds"), run.err());
    }

    @Test
    void withoutAManifestNothingIsRemoved() throws IOException {
        Path dir = tmp.resolve("not-an-index");
        Path stray = dir.resolve("segments/part-00000.hseg");
        Files.createDirectories(stray.getParent());
        Files.write(stray, new byte[64]);
        Files.setLastModifiedTime(stray, FileTime.from(Instant.now().minus(Duration.ofDays(2))));
        Run run = vacuum(dir.toString(), "--older-than", "0");
        assertEquals(1, run.status());
        assertEquals("hnswseg vacuum: error: index file:" + dir + " holds no manifest.json: nothing removed (without a manifest, "
                + "which files belong to an index is unknown)\n", run.err().replace(System.lineSeparator(), "\n"));
        assertTrue(Files.exists(stray));
        run = vacuum(tmp.resolve("missing").toString());
        assertEquals(1, run.status());
        assertTrue(run.err().contains("does not exist: nothing removed"), run.err());
        // An unreadable manifest: what it lists is unknown, so nothing goes either.
        Files.writeString(dir.resolve(IndexManifest.FILE_NAME), "{ not json");
        run = vacuum(dir.toString(), "--older-than", "0");
        assertEquals(1, run.status());
        assertTrue(run.err().contains("cannot be read") && run.err().contains("not removing anything"), run.err());
        assertTrue(Files.exists(stray));
    }

    @Test
    void optionsAndDurations() throws IOException {
        Run bad = vacuum(tmp.toString(), "--older-than=-5m");
        assertEquals(2, bad.status(), "a value of the wrong type is a usage error, as serve's durations");
        assertTrue(bad.err().startsWith("hnswseg vacuum: error: --older-than: duration '-5m'") && bad.err().lines().count() <= 2, bad.err());
        assertEquals(Duration.ofSeconds(90), Vacuum.parseDuration("90s"));
        assertEquals(Duration.ofDays(7), Vacuum.parseDuration("7d"));
        assertEquals(Duration.ofMinutes(90), Vacuum.parseDuration("PT1H30M"));
        assertThrows(InvalidInputException.class, () -> Vacuum.parseDuration("1w"));
        // The reader's s3:// is S3A's s3a:// here.
        bad = vacuum("s3://bucket/index");
        assertTrue(bad.status() == 1 && bad.err().contains("give s3a://bucket/path"), bad.err());

        VacuumIndexJob job = new VacuumIndexJob();
        Path props = tmp.resolve("spark.conf");
        Files.writeString(props, "spark.hadoop.fs.s3a.endpoint  http://file.example\nspark.hadoop.fs.s3a.connection.maximum 7\n"
                + "spark.serializer org.apache.spark.serializer.KryoSerializer\n");
        new CommandLine(job).parseArgs("--properties-file", props.toString(), "--conf", "spark.hadoop.fs.s3a.endpoint=http://a.example",
                "--conf", "fs.s3a.path.style.access=true", "--conf", "spark.ui.enabled=false", "s3a://bucket/idx");
        Configuration hadoop = job.hadoopConfiguration();
        assertEquals("http://a.example", hadoop.get("fs.s3a.endpoint"), "--conf wins over the properties file");
        assertEquals("7", hadoop.get("fs.s3a.connection.maximum"));
        assertEquals("true", hadoop.get("fs.s3a.path.style.access"));
        assertNull(hadoop.get("ui.enabled"));
        assertNull(hadoop.get("spark.ui.enabled"));
        // What spark-submit passes (as system properties) counts too, under the file and --conf (probe helper 93: vacuum
        // under spark-submit went to AWS's S3, not the endpoint its --conf set).
        System.setProperty("spark.hadoop.fs.s3a.endpoint", "http://submitted.example");
        System.setProperty("spark.hadoop.fs.s3a.threads.max", "3");
        try {
            hadoop = job.hadoopConfiguration();
            assertEquals("3", hadoop.get("fs.s3a.threads.max"));
            assertEquals("http://a.example", hadoop.get("fs.s3a.endpoint"));
        } finally {
            System.clearProperty("spark.hadoop.fs.s3a.endpoint");
            System.clearProperty("spark.hadoop.fs.s3a.threads.max");
        }
    }

    @Test
    void listedPathsAreComparedNormalised() {
        assertEquals("segments/a.hseg", IndexManifest.normalPath("segments/././a.hseg"));
        assertEquals("segments/a.hseg", IndexManifest.normalPath("./segments//a.hseg"));
        assertEquals("routing/c.fvecs", IndexManifest.normalPath("routing/./c.fvecs"));
    }
}
