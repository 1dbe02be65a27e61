package io.hnswseg.reader;

import io.hnswseg.distance.Metric;
import io.hnswseg.hnsw.HnswParams;
import io.hnswseg.hnsw.SearchResults;
import io.hnswseg.io.FloatMatrix;
import io.hnswseg.manifest.IndexManifest;
import io.hnswseg.segment.CorruptSegmentException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A reader that opens each segment on the first search that needs it answers as one that opens them all. */
class LazySegmentsTest {

    @TempDir
    static Path tmp;
    private static Path dir;
    private static FloatMatrix[] data;
    private static IndexManifest manifest;

    @BeforeAll
    static void writeIndex() throws IOException {
        data = TestIndexes.clustered(12_000, 60, 24, 7);
        dir = tmp.resolve("routed");
        manifest = TestIndexes.writeRouted(dir, data[0], 6, new HnswParams(12, 80, 1, Metric.L2));
    }

    private static ReaderOptions lazy() {
        return ReaderOptions.defaults().withSearchThreads(2).withLazySegments(true);
    }

    @Test
    void segmentsOpenAsQueriesReachThemAndAnswersMatchAnEagerReader() throws IOException {
        try (IndexReader eager = IndexReader.open(dir.toString(), ReaderOptions.defaults().withSearchThreads(2));
             IndexReader lazy = IndexReader.open(dir.toString(), lazy())) {
            assertEquals(6, eager.openSegmentCount());
            assertEquals(0, lazy.openSegmentCount());
            assertEquals(0, lazy.mappedBytes());
            assertEquals(6, lazy.segmentCount());
            assertSame(eager.search(data[1].row(0), 10, 40, 1), lazy.search(data[1].row(0), 10, 40, 1), "query 0");
            assertEquals(1, lazy.openSegmentCount(), "one probe opens one segment");
            for (int nprobe : new int[]{1, 3, 6, 0}) {
                for (int q = 0; q < data[1].rows(); q++) {
                    assertSame(eager.search(data[1].row(q), 10, 40, nprobe), lazy.search(data[1].row(q), 10, 40, nprobe),
                            "nprobe " + nprobe + ", query " + q);
                }
            }
            assertEquals(6, lazy.openSegmentCount());
            assertEquals(eager.mappedBytes(), lazy.mappedBytes());
            List<SearchResults> batch = lazy.searchBatch(rows(), 10, 40, 2);
            for (int q = 0; q < batch.size(); q++) {
                assertSame(eager.search(data[1].row(q), 10, 40, 2), batch.get(q), "batch, query " + q);
            }
        }
    }

    @Test
    void concurrentFirstSearchesOpenEachSegmentOnce() throws Exception {
        try (IndexReader eager = IndexReader.open(dir.toString(), ReaderOptions.defaults().withSearchThreads(2));
             IndexReader lazy = IndexReader.open(dir.toString(), lazy())) {
            ExecutorService clients = Executors.newFixedThreadPool(4);
            try {
                List<Future<SearchResults>> answers = new ArrayList<>();
                for (int q = 0; q < data[1].rows(); q++) {
                    float[] query = data[1].row(q);
                    answers.add(clients.submit(() -> lazy.search(query, 10, 40, 0)));
                }
                for (int q = 0; q < answers.size(); q++) {
                    assertSame(eager.search(data[1].row(q), 10, 40, 0), answers.get(q).get(), "query " + q);
                }
            } finally {
                clients.shutdownNow();
            }
            List<String> files = lazy.segmentFiles();
            assertEquals(6, files.size());
            assertEquals(6, new HashSet<>(files).size(), "a segment was mapped twice: " + files);
        }
    }

    @Test
    void aCorruptSegmentFailsTheQueriesThatReachItOnly() throws IOException {
        Path copy = tmp.resolve("corrupt");
        TestIndexes.copy(dir, copy);
        String bad = manifest.segments().get(2).path();
        byte[] bytes = Files.readAllBytes(copy.resolve(bad));
        bytes[bytes.length / 2] ^= 0x5A;
        Files.write(copy.resolve(bad), bytes);
        CorruptSegmentException refused = assertThrows(CorruptSegmentException.class, () -> IndexReader.open(copy.toString()));
        assertTrue(refused.getMessage().contains(bad), refused.getMessage());
        try (IndexReader eager = IndexReader.open(dir.toString());
             IndexReader lazy = IndexReader.open(copy.toString(), lazy())) {
            int failed = 0;
            int answered = 0;
            for (int q = 0; q < data[1].rows(); q++) {
                try {
                    SearchResults r = lazy.search(data[1].row(q), 10, 40, 1);
                    assertSame(eager.search(data[1].row(q), 10, 40, 1), r, "query " + q);
                    answered++;
                } catch (CorruptSegmentException e) {
                    assertTrue(e.getMessage().contains(bad) && e.getMessage().contains("checksum"), e.getMessage());
                    failed++;
                }
            }
            assertTrue(failed > 1 && answered > 0, failed + " queries failed, " + answered + " answered");
            assertFalse(lazy.health().ok());
            assertTrue(lazy.health().failedSegments().keySet().stream().anyMatch(f -> f.endsWith(bad)), lazy.health().toString());
            // The unchanged file is not mapped and checksummed again: the refusal is repeated, caused by the first.
            CorruptSegmentException again = assertThrows(CorruptSegmentException.class, () -> lazy.search(data[1].row(0), 10, 40, 0));
            assertTrue(again.getCause() instanceof CorruptSegmentException first && first.getMessage().equals(again.getMessage()),
                    "a repeated refusal: " + again + " caused by " + again.getCause());
            // Put right, the file is opened by the next search that needs it, and the reader recovers.
            Files.copy(dir.resolve(bad), copy.resolve(bad), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            for (int q = 0; q < data[1].rows(); q++) {
                assertSame(eager.search(data[1].row(q), 10, 40, 1), lazy.search(data[1].row(q), 10, 40, 1), "query " + q + ", put right");
            }
            assertTrue(lazy.health().ok(), lazy.health().toString());
        }
    }

    @Test
    void aMissingSegmentIsNamedByTheQueriesThatReachIt() throws IOException {
        Path copy = tmp.resolve("missing");
        TestIndexes.copy(dir, copy);
        String gone = manifest.segments().get(4).path();
        Files.move(copy.resolve(gone), tmp.resolve("away.hseg"));
        IOException refused = assertThrows(IOException.class, () -> IndexReader.open(copy.toString()));
        assertTrue(refused.getMessage().contains(gone), refused.getMessage());
        List<java.util.logging.LogRecord> logged = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Logger log = java.util.logging.Logger.getLogger(IndexReader.class.getName());
        java.util.logging.Handler handler = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord record) {
                logged.add(record);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        log.addHandler(handler);
        try (IndexReader lazy = IndexReader.open(copy.toString(), lazy())) {
            java.io.UncheckedIOException e = assertThrows(java.io.UncheckedIOException.class, () -> lazy.search(data[1].row(0), 10, 40, 6));
            assertTrue(e.getMessage().contains(gone), e.getMessage());
            assertThrows(java.io.UncheckedIOException.class, () -> lazy.search(data[1].row(1), 10, 40, 0));
            assertEquals(1, logged.stream().filter(r -> r.getLevel() == java.util.logging.Level.WARNING && r.getMessage().contains(gone)).count(),
                    "one warning for the segment, not one per query: " + logged.size() + " records");
            assertFalse(e instanceof SegmentUnavailableException, "a missing local file does not pass by waiting: " + e);
            assertTrue(lazy.health().failedSegments().keySet().stream().anyMatch(f -> f.endsWith(gone)), lazy.health().toString());
            // Back in place (a download that failed once): the next search opens it, and health recovers.
            Files.move(tmp.resolve("away.hseg"), copy.resolve(gone));
            assertEquals(10, lazy.search(data[1].row(0), 10, 40, 6).size());
            assertTrue(lazy.health().ok(), lazy.health().toString());
            assertTrue(logged.stream().anyMatch(r -> r.getLevel() == java.util.logging.Level.INFO && r.getMessage().contains(gone)
                    && r.getMessage().contains("after an earlier failure")), "the recovery is logged");
        } finally {
            log.removeHandler(handler);
        }
    }

    @Test
    void aFetchThatMayPassIsUnavailableAndTheNextSearchFetchesAgain() throws IOException {
        try (IndexReader eager = IndexReader.open(dir.toString());
             IndexReader lazy = TestIndexes.lazyWithFailingFetches(dir, 1)) {
            float[] q = data[1].row(2);
            SegmentUnavailableException e = assertThrows(SegmentUnavailableException.class, () -> lazy.search(q, 10, 40, 1));
            assertTrue(e.getMessage().contains("S3 error 503"), e.getMessage());
            assertTrue(IndexReader.mayPass(e), "a fetch that may pass");
            // An eager open's download failing on every attempt (what a following server retries at its next check)...
            assertTrue(IndexReader.mayPass(new java.util.concurrent.ExecutionException(new SegmentCache.Unavailable("503", null))));
            // ... but not a property of the index.
            assertFalse(IndexReader.mayPass(new SegmentCache.Fatal("s3://b/i/segments/p.hseg: not found (404 NoSuchKey)", null)));
            assertFalse(IndexReader.mayPass(new java.io.UncheckedIOException(new java.nio.file.NoSuchFileException("p.hseg"))));
            // Unavailable, not failed: the reader still answers what its other segments hold.
            assertTrue(lazy.health().ok() && lazy.health().failedSegments().isEmpty(), lazy.health().toString());
            assertEquals(1, lazy.health().unavailableSegments().size(), lazy.health().toString());
            String failed = lazy.health().unavailableSegments().keySet().iterator().next();
            assertTrue(e.getMessage().contains(failed.substring(failed.lastIndexOf('/') + 1)), e.getMessage() + " names " + failed);
            assertSame(eager.search(q, 10, 40, 1), lazy.search(q, 10, 40, 1), "after the failed fetch");
            assertTrue(lazy.health().ok() && lazy.health().unavailableSegments().isEmpty(), lazy.health().toString());
        }
    }

    /**
     * Probe helper 91: the searches waiting on a segment's failing download each ran the whole round of retries again
     * in turn (the 32nd of an S3 outage answered after 48 s). They now get the failed fetch's answer; a search after
     * it fetches again.
     */
    @Test
    void searchesWaitingOnAFailedFetchShareItsFailure() throws Exception {
        java.util.concurrent.atomic.AtomicInteger fetches = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicBoolean outage = new java.util.concurrent.atomic.AtomicBoolean(true);
        IndexSource slowOutage = TestIndexes.fetchingThrough(dir, true, segment -> {
            fetches.incrementAndGet();
            if (outage.get()) {
                try {
                    Thread.sleep(1_000); // a download's retries
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                throw new IOException(segment.path() + ": download failed on every attempt: S3 error 503 SlowDown");
            }
        });
        float[] q = data[1].row(3);
        try (IndexReader eager = IndexReader.open(dir.toString());
             IndexReader lazy = IndexReader.open(slowOutage, ReaderOptions.defaults().withLazySegments(true))) {
            ExecutorService clients = Executors.newFixedThreadPool(8);
            try {
                List<Future<SearchResults>> answers = new ArrayList<>();
                for (int c = 0; c < 8; c++) {
                    answers.add(clients.submit(() -> lazy.search(q, 10, 40, 1)));
                }
                for (Future<SearchResults> answer : answers) {
                    java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class, answer::get);
                    assertTrue(e.getCause() instanceof SegmentUnavailableException, e.getCause().toString());
                }
            } finally {
                clients.shutdownNow();
            }
            assertTrue(fetches.get() <= 2, "8 searches at once fetched " + fetches.get() + " times");
            outage.set(false);
            assertSame(eager.search(q, 10, 40, 1), lazy.search(q, 10, 40, 1), "a later search fetches again");
        }
    }

    @Test
    void aClosedLazyReaderRefusesSearches() throws IOException {
        IndexReader lazy = IndexReader.open(dir.toString(), lazy());
        lazy.search(data[1].row(0), 10, 40, 1);
        lazy.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> lazy.search(data[1].row(1), 10, 40, 6));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    private static List<float[]> rows() {
        List<float[]> rows = new ArrayList<>();
        for (int q = 0; q < data[1].rows(); q++) {
            rows.add(data[1].row(q));
        }
        return rows;
    }

    private static void assertSame(SearchResults expected, SearchResults actual, String what) {
        assertTrue(expected.matches(actual, 1e-6), what + ": expected " + expected + " but was " + actual);
    }
}
