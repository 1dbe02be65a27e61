package io.hnswseg.reader;

import io.hnswseg.distance.Metric;
import io.hnswseg.hnsw.HnswParams;
import io.hnswseg.manifest.IndexManifest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a failed download is called decides whether a reader says "try again" (503) or "broken" (500). */
class SegmentCacheTest {

    @TempDir
    static Path tmp;
    private static Path index;
    private static IndexManifest.Segment entry;

    @BeforeAll
    static void writeIndex() throws IOException {
        index = tmp.resolve("index");
        IndexManifest manifest = TestIndexes.write(index, TestIndexes.clustered(2_000, 1, 8, 3)[0], 1, new HnswParams(8, 40, 1, Metric.L2), 1);
        entry = manifest.segments().get(0);
    }

    @Test
    void aTransferThatFailsEveryAttemptIsUnavailable() throws IOException {
        AtomicInteger calls = new AtomicInteger();
        SegmentCache cache = new SegmentCache(tmp.resolve("cache-a"));
        SegmentCache.Unavailable e = assertThrows(SegmentCache.Unavailable.class, () -> cache.fetch(entry, "s3://b/x/" + entry.path(), into -> {
            calls.incrementAndGet();
            throw new IOException("Connection reset");
        }));
        assertEquals(SegmentCache.ATTEMPTS, calls.get());
        assertTrue(e.getMessage().contains("s3://b/x/" + entry.path()) && e.getMessage().contains("Connection reset"), e.getMessage());
        assertNoPartialFiles(tmp.resolve("cache-a"));
    }

    @Test
    void aWholeCopyThatIsNotTheManifestsIsFatalAndAShortOneUnavailable() throws IOException {
        SegmentCache cache = new SegmentCache(tmp.resolve("cache-b"));
        SegmentCache.Fatal wrong = assertThrows(SegmentCache.Fatal.class, () -> cache.fetch(entry, "s3://b/x/" + entry.path(),
                into -> Files.write(into, new byte[(int) entry.bytes()])));
        assertTrue(wrong.getMessage().contains("s3://b/x/" + entry.path()) && wrong.getMessage().contains("corrupt"), wrong.getMessage());
        // A copy cut short is a transfer that failed: it may pass.
        SegmentCache.Unavailable shortCopy = assertThrows(SegmentCache.Unavailable.class, () -> cache.fetch(entry, "s3://b/x/" + entry.path(),
                into -> Files.write(into, new byte[100])));
        assertTrue(shortCopy.getMessage().contains("100 bytes, the manifest says " + entry.bytes()), shortCopy.getMessage());
        assertNoPartialFiles(tmp.resolve("cache-b"));
    }

    @Test
    void aFatalErrorIsNotRetriedAndATransientOneIsUntilItPasses() throws IOException {
        AtomicInteger calls = new AtomicInteger();
        SegmentCache cache = new SegmentCache(tmp.resolve("cache-c"));
        assertThrows(SegmentCache.Fatal.class, () -> cache.fetch(entry, "x", into -> {
            calls.incrementAndGet();
            throw new SegmentCache.Fatal("x: not found (404 NoSuchKey)", null);
        }));
        assertEquals(1, calls.get());
        calls.set(0);
        Path fetched = cache.fetch(entry, "x", into -> {
            if (calls.incrementAndGet() < 3) {
                throw new IOException("Read timed out");
            }
            Files.copy(index.resolve(entry.path()), into, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        });
        assertEquals(3, calls.get());
        assertEquals(entry.bytes(), Files.size(fetched));
    }

    private static void assertNoPartialFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".part")), "no partial downloads left behind");
        }
    }
}
