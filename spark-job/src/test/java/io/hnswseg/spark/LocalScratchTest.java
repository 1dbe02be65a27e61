package io.hnswseg.spark;

import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A killed local job's Spark scratch stayed in the temporary directory (left by the twenty-ninth stop): the next job removes it. */
class LocalScratchTest {

    @TempDir
    Path base;

    @Test
    void theScratchOfAStoppedProcessGoesAndARunningOnesStays() throws Exception {
        Process ended = new ProcessBuilder("sleep", "30").start();
        Path stopped = scratch(LocalScratch.name(ended.toHandle()));
        ended.destroyForcibly().waitFor();
        Path running = scratch(LocalScratch.name(ProcessHandle.current()));
        // This process's id with another start time: a process that had the id before and ended.
        Path reused = scratch(LocalScratch.PREFIX + ProcessHandle.current().pid() + "-1");
        Path other = scratch(LocalScratch.PREFIX + "not-a-run");
        Path users = scratch("blockmgr-mine");

        assertEquals(2, LocalScratch.removeLeftovers(base));
        assertFalse(Files.exists(stopped));
        assertFalse(Files.exists(reused));
        assertTrue(Files.exists(running.resolve("blockmgr-1/00/shuffle_0_0_0.data")));
        assertTrue(Files.exists(other) && Files.exists(users));
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

    /** A scratch directory named {@code name} under the base, holding a shuffle file as Spark's does. */
    private Path scratch(String name) throws Exception {
        Path dir = base.resolve(name);
        Path file = dir.resolve("blockmgr-1/00/shuffle_0_0_0.data");
        Files.createDirectories(file.getParent());
        Files.write(file, new byte[1000]);
        return dir;
    }
}
