package io.hnswseg.reader;

import io.hnswseg.distance.Metric;
import io.hnswseg.hnsw.HnswParams;
import io.hnswseg.io.FloatMatrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class SegmentsTest {

    @TempDir
    Path dir;

    @Test
    void anOpenThatFailsOnOneSegmentLeavesNoOtherMapped() throws Exception {
        Path maps = Path.of("/proc/self/maps");
        assumeTrue(Files.isReadable(maps), "needs /proc/self/maps (Linux) to see which files are mapped");
        FloatMatrix base = TestIndexes.clustered(4_000, 1, 16, 5)[0];
        TestIndexes.write(dir, base, 8, new HnswParams(8, 40, 1, Metric.L2), 1);
        // The first segment's fetch fails once the other seven are mapped and checked. Only the segments taken before the
        // failure were closed: the others stayed mapped until a collection, at every retry of a following server.
        IndexSource failingFirst = TestIndexes.fetchingThrough(dir, false, segment -> {
            if (segment.path().endsWith("00000.hseg")) {
                try {
                    Thread.sleep(1_000); // the others are mapped by then
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                throw new IOException(segment.path() + ": download failed (test)");
            }
        });
        IOException e = assertThrows(IOException.class, () -> IndexReader.open(failingFirst, ReaderOptions.defaults()));
        assertTrue(e.getMessage().contains("download failed (test)"), e.getMessage());
        long mapped = 0;
        for (long deadline = System.nanoTime() + 10_000_000_000L; System.nanoTime() < deadline; Thread.sleep(50)) {
            mapped = Files.readAllLines(maps).stream().filter(l -> l.contains(dir.toString())).count();
            if (mapped == 0) {
                break;
            }
        }
        assertEquals(0, mapped, "mappings of the index's segments left after the failed open");
    }

    @Test
    void aSegmentWhoseDistinctCountIsNotTheManifestsIsRefused() throws Exception {
        // Routing counts the manifest's distinct vectors before any segment is open; one too high would cut segments
        // that a query for many results needs, so the segment's own count is checked against it.
        FloatMatrix base = TestIndexes.clustered(2_000, 1, 16, 5)[0];
        TestIndexes.write(dir, base, 2, new HnswParams(8, 40, 1, Metric.L2), 1);
        Path manifest = dir.resolve(io.hnswseg.manifest.IndexManifest.FILE_NAME);
        String json = TestIndexes.editable(manifest);
        Files.writeString(manifest, json.replaceFirst("(\"crc32c\" : \\d+)", "$1, \"distinct\" : 7"));
        IOException e = assertThrows(IOException.class, () -> IndexReader.open(dir.toString()).close());
        assertTrue(e.getMessage().contains("holds 1000 distinct vectors, the manifest says 7"), e.getMessage());
        Files.writeString(manifest, json.replaceFirst("(\"crc32c\" : \\d+)", "$1, \"distinct\" : 1000"));
        IndexReader.open(dir.toString()).close();
    }
}
