package io.hnswseg.reader;

import io.hnswseg.distance.Metric;
import io.hnswseg.hnsw.HnswParams;
import io.hnswseg.hnsw.SearchResults;
import io.hnswseg.io.FloatMatrix;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The reader against a real S3 protocol peer: s3proxy with an in-memory store on loopback, signed
 * requests with credentials it checks, the SDK client the reader uses. No mocks.
 */
class S3ReaderTest {

    private static final String ACCESS = LocalS3.ACCESS;
    private static final String SECRET = LocalS3.SECRET;

    @TempDir
    static Path tmp;
    private static LocalS3 store;
    private static S3Client s3;
    private static String endpoint;
    private static Path local;
    private static FloatMatrix[] data;

    @BeforeAll
    static void start() throws Exception {
        store = LocalS3.start(0, "indexes");
        s3 = store.client();
        endpoint = store.endpoint();
        data = TestIndexes.clustered(6_000, 50, 16, 8);
        local = tmp.resolve("local");
        TestIndexes.write(local, data[0], 3, new HnswParams(8, 60, 1, Metric.L2), 2);
        upload("products/v1");
        // The reader takes credentials from the standard chain; system properties are part of it.
        System.setProperty("aws.accessKeyId", ACCESS);
        System.setProperty("aws.secretAccessKey", SECRET);
    }

    private static void upload(String prefix) throws IOException {
        store.upload(local, "indexes", prefix);
    }

    @AfterAll
    static void stop() throws Exception {
        System.clearProperty("aws.accessKeyId");
        System.clearProperty("aws.secretAccessKey");
        store.close();
    }

    private static ReaderOptions options(String cache) {
        return ReaderOptions.defaults().withS3Endpoint(endpoint).withS3Region("us-east-1").withCacheDir(tmp.resolve(cache));
    }

    private static void assertSameAnswers(IndexReader a, IndexReader b) {
        for (int q = 0; q < data[1].rows(); q++) {
            SearchResults x = a.search(data[1].row(q), 10, 40);
            SearchResults y = b.search(data[1].row(q), 10, 40);
            assertTrue(x.matches(y, 1e-6), "query " + q + ": " + x + " vs " + y);
        }
    }

    @Test
    void indexOnS3AnswersLikeTheLocalCopy() throws IOException {
        try (IndexReader fromS3 = IndexReader.open("s3://indexes/products/v1", options("cache-a"));
             IndexReader fromDisk = IndexReader.open(local.toString())) {
            assertEquals(3, fromS3.segmentCount());
            assertEquals(6_000, fromS3.size());
            assertSameAnswers(fromDisk, fromS3);
        }
        try (IndexReader s3a = IndexReader.open("s3a://indexes/products/v1/", options("cache-a"))) {
            assertEquals(6_000, s3a.size());
        }
    }

    @Test
    void aLazyReaderDownloadsASegmentOnlyWhenASearchNeedsIt() throws IOException {
        Path segments = tmp.resolve("cache-lazy/s3/indexes/products/v1/segments");
        try (IndexReader lazy = IndexReader.open("s3://indexes/products/v1", options("cache-lazy").withLazySegments(true));
             IndexReader fromDisk = IndexReader.open(local.toString())) {
            assertEquals(3, lazy.segmentCount());
            assertEquals(0, lazy.openSegmentCount());
            assertEquals(0, cachedFiles(segments), "downloaded at open");
            assertSameAnswers(fromDisk, lazy);
            assertEquals(3, lazy.openSegmentCount());
            assertEquals(3, cachedFiles(segments));
        }
    }

    private static long cachedFiles(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.count();
        }
    }

    /**
     * A server following its index removes the replaced index's copies from the cache once its reader closed, so the
     * cache does not grow by an index a rebuild; another reader with those copies mapped (here in this process; a
     * second process sharing the cache alike) answers on from them, past its next check of the files.
     */
    @Test
    void aReplacedIndexsCachedCopiesAreDiscardedWhileAnotherReaderAnswersOnFromThem() throws Exception {
        upload("followed");
        ReaderOptions options = options("cache-discard");
        Path cached = tmp.resolve("cache-discard/s3/indexes/followed/segments");
        IndexReader old = IndexReader.open("s3://indexes/followed", options);
        try (IndexReader stillOld = IndexReader.open("s3://indexes/followed", options);
             IndexReader fromDisk = IndexReader.open(local.toString())) {
            assertEquals(3, cachedFiles(cached));
            assertThrows(IllegalStateException.class, () -> old.discardCachedCopies(old.manifest()), "while open");
            Path rebuilt = tmp.resolve("rebuilt");
            TestIndexes.write(rebuilt, data[0], 2, new HnswParams(8, 60, 1, Metric.L2), 2, 100_000, "v2-part-");
            store.upload(rebuilt, "indexes", "followed");
            try (IndexReader next = old.reopen()) {
                assertEquals(5, cachedFiles(cached), "the rebuilt index's two copies beside the old three");
                old.close();
                assertEquals(3, old.discardCachedCopies(next.manifest()));
                assertEquals(2, cachedFiles(cached), "only the rebuilt index's copies are left");
                assertEquals(0, old.discardCachedCopies(next.manifest()), "nothing left to remove");
                assertTrue(next.search(data[1].row(0), 10, 40).ids()[0] >= 100_000, "the rebuilt index answers");
            }
            Thread.sleep(1_100);  // past the change check's period: the next searches look at the files again
            assertSameAnswers(fromDisk, stillOld);
            assertTrue(stillOld.health().ok(), "the reader mapping the removed copies: " + stillOld.health());
        }
    }

    /** A reader's lease on S3: an object beside the manifest while the reader is open, naming its files; gone at the close. */
    @Test
    void aReadersLeaseIsAnObjectBesideTheManifestWhileItIsOpen() throws IOException {
        upload("leased");
        String lease;
        try (IndexReader reader = IndexReader.open("s3://indexes/leased", options("cache-lease").withReadLease(true))) {
            lease = reader.readLease();
            assertTrue(lease != null && io.hnswseg.manifest.Leases.isReadLease(lease), String.valueOf(lease));
            byte[] held = s3.getObjectAsBytes(b -> b.bucket("indexes").key("leased/" + lease)).asByteArray();
            assertEquals(List.copyOf(io.hnswseg.manifest.Leases.filesOf(reader.manifest()).keySet()),
                    io.hnswseg.manifest.Leases.heldBy(held));
        }
        assertThrows(software.amazon.awssdk.services.s3.model.NoSuchKeyException.class,
                () -> s3.headObject(b -> b.bucket("indexes").key("leased/" + lease)), "deleted at the close");
    }

    @Test
    void validCacheIsReusedAndABadCopyIsFetchedAgain() throws IOException {
        upload("reuse");
        ReaderOptions options = options("cache-b");
        List<String> files;
        try (IndexReader first = IndexReader.open("s3://indexes/reuse", options)) {
            files = first.segmentFiles();
        }
        Path corrupt = Path.of(files.get(1));
        byte[] bytes = Files.readAllBytes(corrupt);
        byte[] good = bytes.clone();
        bytes[bytes.length / 2] ^= 0x40;
        Files.write(corrupt, bytes);
        Path truncated = Path.of(files.get(2));
        Files.write(truncated, java.util.Arrays.copyOf(good, 100));
        long untouched = Files.getLastModifiedTime(Path.of(files.get(0))).toMillis();
        try (IndexReader second = IndexReader.open("s3://indexes/reuse", options);
             IndexReader fromDisk = IndexReader.open(local.toString())) {
            assertSameAnswers(fromDisk, second);
        }
        assertArrayEquals(Files.readAllBytes(local.resolve("segments/part-00001.hseg")), Files.readAllBytes(corrupt), "re-fetched");
        assertEquals(Files.size(local.resolve("segments/part-00002.hseg")), Files.size(truncated), "re-fetched");
        assertEquals(untouched, Files.getLastModifiedTime(Path.of(files.get(0))).toMillis(), "the valid copy was reused");
    }

    @Test
    void twoReadersFillingOneCacheAtOnceBothGetAValidIndex() throws Exception {
        upload("racing");
        ReaderOptions options = options("cache-shared");
        java.util.concurrent.ExecutorService two = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            List<java.util.concurrent.Future<IndexReader>> opened = new java.util.ArrayList<>();
            for (int i = 0; i < 2; i++) {
                opened.add(two.submit(() -> IndexReader.open("s3://indexes/racing", options)));
            }
            try (IndexReader a = opened.get(0).get(); IndexReader b = opened.get(1).get();
                 IndexReader fromDisk = IndexReader.open(local.toString())) {
                assertSameAnswers(fromDisk, a);
                assertSameAnswers(fromDisk, b);
            }
        } finally {
            two.shutdownNow();
        }
        try (Stream<Path> left = Files.list(tmp.resolve("cache-shared/s3/indexes/racing/segments"))) {
            assertTrue(left.noneMatch(p -> p.getFileName().toString().endsWith(".part")), "no partial downloads left behind");
        }
    }

    @Test
    void corruptObjectIsRetriedThenRefusedAndNeverCached() throws IOException {
        upload("corrupt");
        byte[] bytes = Files.readAllBytes(local.resolve("segments/part-00000.hseg"));
        bytes[bytes.length / 2] ^= 1;
        s3.putObject(b -> b.bucket("indexes").key("corrupt/segments/part-00000.hseg"), RequestBody.fromBytes(bytes));
        IOException e = assertThrows(IOException.class, () -> IndexReader.open("s3://indexes/corrupt", options("cache-c")));
        assertTrue(e.getMessage().contains("s3://indexes/corrupt/segments/part-00000.hseg") && e.getMessage().contains("checksum"),
                e.getMessage());
        Path dir = tmp.resolve("cache-c/s3/indexes/corrupt/segments");
        try (Stream<Path> left = Files.list(dir)) {
            assertTrue(left.noneMatch(p -> p.getFileName().toString().startsWith("part-00000")), "no copy of the bad object is kept");
        }
    }

    @Test
    void keysAreTakenAsWrittenAsTheBuildWritesThem() throws IOException {
        // Hadoop's S3A (the build) keeps a prefix as written: "%20" stays three characters, a space a space.
        upload("with space/v1");
        upload("pct%20key/v1");
        for (String uri : new String[]{"s3://indexes/with space/v1", "s3a://indexes/pct%20key/v1"}) {
            try (IndexReader reader = IndexReader.open(uri, options("cache-keys"))) {
                assertEquals(6_000, reader.size(), uri);
            }
        }
        IOException e = assertThrows(IOException.class, () -> IndexReader.open("s3://indexes/pct key/v1", options("cache-keys")));
        assertTrue(e.getMessage().contains("s3://indexes/pct key/v1/manifest.json"), e.getMessage());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> IndexReader.open("s3:///x", options("cache-keys")));
        assertTrue(bad.getMessage().contains("no bucket"), bad.getMessage());
    }

    /** Probe helper 94: a manifest cut short by a clean close was read as a damaged index, at the first attempt. */
    @Test
    void aManifestCutShortInTransitIsReadAgain() throws IOException {
        try (CuttingProxy proxy = new CuttingProxy(endpoint, "manifest.json", 2)) {
            ReaderOptions through = ReaderOptions.defaults().withS3Endpoint(proxy.endpoint()).withS3Region("us-east-1")
                    .withCacheDir(tmp.resolve("cache-cut"));
            try (IndexReader cut = IndexReader.open("s3://indexes/products/v1", through);
                 IndexReader direct = IndexReader.open("s3://indexes/products/v1", options("cache-cut-direct"))) {
                assertSameAnswers(cut, direct);
            }
            assertEquals(2, proxy.cut.get(), "two bodies were cut, and the third read whole");
        }
    }

    @Test
    void missingBucketManifestAndSegmentAreNamed() throws IOException {
        IOException e = assertThrows(IOException.class, () -> IndexReader.open("s3://no-such-bucket/x", options("cache-d")));
        assertTrue(e.getMessage().contains("no-such-bucket") && e.getMessage().contains("does not exist"), e.getMessage());
        e = assertThrows(IOException.class, () -> IndexReader.open("s3://indexes/nothing-here", options("cache-d")));
        assertTrue(e.getMessage().contains("s3://indexes/nothing-here/manifest.json"), e.getMessage());
        upload("partial");
        s3.deleteObject(b -> b.bucket("indexes").key("partial/segments/part-00001.hseg"));
        e = assertThrows(IOException.class, () -> IndexReader.open("s3://indexes/partial", options("cache-d")));
        assertTrue(e.getMessage().contains("partial/segments/part-00001.hseg"), e.getMessage());
    }

    @Test
    void wrongCredentialsAreReported() {
        System.setProperty("aws.secretAccessKey", "wrong");
        try {
            IOException e = assertThrows(IOException.class, () -> IndexReader.open("s3://indexes/products/v1", options("cache-e")));
            assertTrue(e.getMessage().contains("access denied") && e.getMessage().contains("s3://indexes/products/v1/manifest.json"),
                    e.getMessage());
        } finally {
            System.setProperty("aws.secretAccessKey", SECRET);
        }
    }
}
