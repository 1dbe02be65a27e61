package io.hnswseg.spark;

import io.hnswseg.distance.Metric;
import io.hnswseg.hnsw.HnswParams;
import io.hnswseg.io.FloatMatrix;
import io.hnswseg.manifest.IndexManifest;
import io.hnswseg.reader.TestIndexes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The executors' shared reader of a local index, and its check that the index is the one the driver planned with. */
class SharedIndexTest {

    @TempDir
    Path dir;

    /**
     * A build commits another index where the driver planned on one: a task opening it now searches the planned build,
     * as the tasks that opened it before did (an executor starting after the rebuild failed the job), and says the index
     * was replaced only once the planned build's files are gone.
     */
    @Test
    void aLocalIndexReplacedSinceTheDriverPlannedIsSearchedAsPlannedWhileItsFilesLast() throws IOException {
        FloatMatrix[] data = JobFixtures.clustered(600, 5, 8, 3);
        HnswParams params = new HnswParams(8, 40, 1, Metric.L2);
        IndexManifest planned = TestIndexes.write(dir, data[0], 2, params, 1, 0, "a-");
        byte[] plannedBytes = Files.readAllBytes(dir.resolve(IndexManifest.FILE_NAME));
        try (SharedIndex.Lease lease = SharedIndex.acquire(new SharedIndex.Spec(dir.toString(), plannedBytes, 1, Map.of()))) {
            assertEquals(planned, lease.reader().manifest());
        }
        // A build commits another index there (other segments, other ids); a task opening it now searches the planned one.
        IndexManifest other = TestIndexes.write(dir, data[0], 3, params, 1, 1_000_000, "b-");
        try (SharedIndex.Lease lease = SharedIndex.acquire(new SharedIndex.Spec(dir.toString(), plannedBytes, 2, Map.of()))) {
            assertEquals(planned, lease.reader().manifest());
            long[] ids = lease.reader().search(data[1].row(0), 5, 40, 0).ids();
            assertEquals(5, ids.length);
            assertTrue(java.util.Arrays.stream(ids).allMatch(id -> id < 1_000_000), "the planned build's ids, not the new one's");
        }
        // Its files removed (a vacuum without the job's lease): refused, naming the replacement.
        for (IndexManifest.Segment s : planned.segments()) {
            if (!other.segments().contains(s)) {
                Files.delete(dir.resolve(s.path()));
            }
        }
        IOException e = assertThrows(IOException.class, () -> SharedIndex.acquire(new SharedIndex.Spec(dir.toString(), plannedBytes, 3, Map.of())));
        assertTrue(e.getMessage().contains("was replaced while the search job ran"), e.getMessage());
    }

    /** Probe helper 93: on a cluster's executor Spark's root directory is ".", and every fetched file was refused. */
    @Test
    void anExecutorsCopyDirectoryHoldsTheIndexFilesUnderARelativeSparkRoot() {
        SharedIndex.Spec spec = new SharedIndex.Spec("s3a://b/idx", new byte[]{1}, 1, Map.of());
        java.nio.file.Path dir = SharedIndex.copyDirectory(".", spec);
        assertTrue(dir.isAbsolute(), dir.toString());
        assertTrue(dir.resolve("segments/a-part-00000-task-1.hseg").normalize().startsWith(dir));
        assertFalse(dir.resolve("../elsewhere.hseg").normalize().startsWith(dir));
    }
}
