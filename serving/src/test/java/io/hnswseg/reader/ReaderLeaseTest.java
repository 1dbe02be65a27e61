package io.hnswseg.reader;

import io.hnswseg.distance.Metric;
import io.hnswseg.hnsw.HnswParams;
import io.hnswseg.io.FloatMatrix;
import io.hnswseg.manifest.IndexManifest;
import io.hnswseg.manifest.Leases;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A reader's lease ({@link ReaderOptions#readLease}): in the index's directory while the reader is open, naming the files
 * its manifest lists, written again while it stays open, gone when it closes. Vacuum's side is tested with the vacuum
 * ({@code VacuumIndexJobTest}), the lease on S3 in {@link S3ReaderTest}.
 */
class ReaderLeaseTest {

    @TempDir
    static Path tmp;
    private static Path dir;
    private static FloatMatrix[] data;
    private static IndexManifest manifest;

    @BeforeAll
    static void writeIndex() throws IOException {
        data = TestIndexes.clustered(3_000, 10, 16, 11);
        dir = tmp.resolve("routed");
        manifest = TestIndexes.writeRouted(dir, data[0], 3, new HnswParams(8, 40, 1, Metric.L2));
    }

    @AfterEach
    void restoreRenewal() {
        ReaderLease.renewEvery = Leases.RENEW_EVERY;
        ReaderLease.stores = IndexReader::sourceFor;
    }

    private static ReaderOptions leased() {
        return ReaderOptions.defaults().withSearchThreads(2).withReadLease(true);
    }

    static List<Path> leases(Path index) throws IOException {
        try (Stream<Path> files = Files.list(index)) {
            return files.filter(f -> Leases.isReadLease(f.getFileName().toString())).toList();
        }
    }

    @Test
    void aLeaseNamesTheManifestsFilesWhileTheReaderIsOpen() throws IOException {
        for (boolean lazy : new boolean[]{false, true}) {
            try (IndexReader reader = IndexReader.open(dir.toString(), leased().withLazySegments(lazy))) {
                List<Path> leases = leases(dir);
                assertEquals(1, leases.size(), leases.toString());
                assertEquals(leases.get(0).getFileName().toString(), reader.readLease());
                List<String> held = Leases.heldBy(Files.readAllBytes(leases.get(0)));
                assertEquals(List.copyOf(Leases.filesOf(manifest).keySet()), held);
                assertEquals(4, held.size(), "three segments and the centroids: " + held);
                assertEquals(10, reader.search(data[1].row(0), 10, 40).size());
            }
            assertEquals(List.of(), leases(dir), "deleted at the close");
        }
        try (IndexReader unleased = IndexReader.open(dir.toString(), ReaderOptions.defaults())) {
            assertNull(unleased.readLease());
            assertEquals(List.of(), leases(dir), "none unless asked for");
        }
    }

    @Test
    void theLeaseIsWrittenAgainWhileTheReaderStaysOpen() throws Exception {
        ReaderLease.renewEvery = Duration.ofMillis(50);
        try (IndexReader reader = IndexReader.open(dir.toString(), leased())) {
            Path lease = dir.resolve(reader.readLease());
            FileTime old = FileTime.from(Instant.now().minus(Duration.ofHours(1)));
            Files.setLastModifiedTime(lease, old);
            waitFor(() -> Files.getLastModifiedTime(lease).compareTo(old) > 0, "the lease renewed");
            // Removed by a hand or a vacuum that took it for lapsed: the next renewal writes it again, whole.
            Files.delete(lease);
            waitFor(() -> Files.exists(lease) && Leases.heldBy(Files.readAllBytes(lease)) != null, "the lease written again");
        }
        Thread.sleep(200);
        assertEquals(List.of(), leases(dir), "no renewal after the close");
    }

    /** A store this reader may not write to (read-only credentials): it opens and searches without a lease. */
    @Test
    void aStoreThatRefusesTheLeaseIsSearchedWithoutOne() throws IOException {
        ReaderLease.stores = (location, options) -> TestIndexes.refusingWrites(Path.of(location));
        try (IndexReader reader = IndexReader.open(dir.toString(), leased())) {
            assertNull(reader.readLease());
            assertEquals(10, reader.search(data[1].row(0), 10, 40).size());
        }
        assertEquals(List.of(), leases(dir));
    }

    /**
     * A close waits a bounded time for a store that hangs (a server's switch closes the replaced reader), and the lease is
     * deleted once the store answers, after the renewal under way: never written again after its delete.
     */
    @Test
    void aCloseWaitsABoundedTimeForAStoreThatHangs() throws Exception {
        java.util.concurrent.CountDownLatch renewing = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicInteger writes = new java.util.concurrent.atomic.AtomicInteger();
        ReaderLease.stores = (location, options) -> TestIndexes.writingThrough(Path.of(location), name -> {
            if (writes.incrementAndGet() == 2) { // the first renewal hangs until released
                renewing.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new java.io.InterruptedIOException();
                }
            }
        });
        ReaderLease.renewEvery = Duration.ofMillis(50);
        IndexReader reader = IndexReader.open(dir.toString(), leased());
        assertTrue(renewing.await(20, java.util.concurrent.TimeUnit.SECONDS));
        Thread closing = new Thread(reader::close);
        closing.start();
        closing.join(10_000);
        boolean waited = closing.isAlive();
        release.countDown();
        assertFalse(waited, "the close waited for the store as long as it hung");
        waitFor(() -> leases(dir).isEmpty(), "the lease deleted once the store answered");
        Thread.sleep(200);
        assertEquals(List.of(), leases(dir), "not written again after its delete");
        assertEquals(2, writes.get(), "no renewal after the close");
    }

    /**
     * The JVM's exit ends the leases of readers still open (review helper 113: a server stopped while searches ran exited
     * with its reader open, and the lease stayed until it lapsed).
     */
    @Test
    void theJvmsExitEndsTheLeasesOfReadersStillOpen() throws IOException {
        try (IndexReader reader = IndexReader.open(dir.toString(), leased())) {
            assertEquals(1, leases(dir).size());
            ReaderLease.endAllAtExit();
            assertEquals(List.of(), leases(dir));
            assertEquals(10, reader.search(data[1].row(0), 10, 40).size(), "the searches of the last moment still run");
        }
    }

    /** An open that fails after the lease was taken (a segment missing) leaves no lease behind. */
    @Test
    void aFailedOpenLeavesNoLease() throws IOException {
        Path broken = TestIndexes.copy(dir, tmp.resolve("broken"));
        Files.delete(broken.resolve(manifest.segments().get(1).path()));
        assertThrows(IOException.class, () -> IndexReader.open(broken.toString(), leased()).close());
        assertEquals(List.of(), leases(broken));
    }

    interface Condition {
        boolean holds() throws IOException;
    }

    private static void waitFor(Condition condition, String what) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.holds()) {
            assertTrue(System.nanoTime() < deadline, "waited 20 s for " + what);
            Thread.sleep(20);
        }
    }
}
