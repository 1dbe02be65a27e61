package io.hnswseg.spark;

import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A killed local job's Spark scratch stayed in the temporary directory (left by the twenty-ninth stop): the next job removes it. */
class LocalScratchTest {

    @TempDir
    Path base;

    @Test
    void theScratchOfAnEndedOwnerGoesAndARunningOnesStays() throws Exception {
        // Ended: its owner file is there and nobody holds its lock (a kill -9 releases it).
        Path ended = scratch(LocalScratch.PREFIX + "4242-1", true);
        // Running: its lock held (here by this JVM, as another job's process holds its own), whatever its process id.
        Path running = scratch(LocalScratch.PREFIX + "4243-1", true);
        try (FileChannel owner = FileChannel.open(running.resolve(LocalScratch.OWNER), StandardOpenOption.WRITE);
             FileLock lock = owner.lock()) {
            // Not known (no owner file, as while a job makes its directory), and not a scratch directory at all: kept.
            Path unknown = scratch(LocalScratch.PREFIX + "4244-1", false);
            Path users = scratch("blockmgr-mine", true);

            assertEquals(1, LocalScratch.removeLeftovers(base));
            assertFalse(Files.exists(ended));
            assertTrue(Files.exists(running.resolve("blockmgr-1/00/shuffle_0_0_0.data")));
            assertTrue(Files.exists(unknown) && Files.exists(users));
            assertTrue(lock.isValid());
        }
        assertEquals(1, LocalScratch.removeLeftovers(base), "its lock released, the running one's directory goes too");
        assertFalse(Files.exists(running));
    }

    @Test
    void onlyLocalJobsWithNoChosenScratchGetTheirOwn() {
        SparkConf none = new SparkConf(false);
        assertTrue(SessionOptions.ownsScratch("local[2]", Map.of(), none));
        assertFalse(SessionOptions.ownsScratch("local[2]", Map.of("spark.local.dir", "/data/tmp"), none));
        assertFalse(SessionOptions.ownsScratch("local[2]", Map.of(), new SparkConf(false).set("spark.local.dir", "/data/tmp")));
        assertFalse(SessionOptions.ownsScratch("spark://host:7077", Map.of(), none));
        assertFalse(SessionOptions.ownsScratch(null, Map.of(), none));
    }

    /** A scratch directory named {@code name} under the base, holding a shuffle file as Spark's does, and its owner file. */
    private Path scratch(String name, boolean withOwner) throws Exception {
        Path dir = base.resolve(name);
        Path file = dir.resolve("blockmgr-1/00/shuffle_0_0_0.data");
        Files.createDirectories(file.getParent());
        Files.write(file, new byte[1000]);
        if (withOwner) {
            Files.createFile(dir.resolve(LocalScratch.OWNER));
        }
        return dir;
    }
}
