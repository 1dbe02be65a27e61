package io.hnswseg.spark;

import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A killed local job's Spark scratch stayed in the temporary directory (left by the twenty-ninth stop): the next job removes it. */
class LocalScratchTest {

    @TempDir
    Path base;

    @Test
    void theScratchOfAnEndedOwnerGoesAndARunningOnesStays() throws Exception {
        // Ended: its owner file is there and nobody holds its lock (a kill -9 releases it).
        Path ended = scratch(LocalScratch.PREFIX + "4242-1-aaaaaa", true);
        // Running: its lock held by another process, as another job holds its own, whatever its process id.
        Path running = scratch(LocalScratch.PREFIX + "4243-1-bbbbbb", true);
        // Not known (no owner file), and not a scratch directory at all: kept.
        Path unknown = scratch(LocalScratch.PREFIX + "4244-1-cccccc", false);
        Path users = scratch("blockmgr-mine", true);
        Process holder = java(LockHolder.class, running.resolve(LocalScratch.OWNER).toString());
        try {
            assertEquals("locked", new java.io.BufferedReader(new java.io.InputStreamReader(holder.getInputStream())).readLine());
            assertEquals(1, LocalScratch.removeLeftovers(base));
            assertFalse(Files.exists(ended));
            assertTrue(Files.exists(running.resolve("blockmgr-1/00/shuffle_0_0_0.data")));
            assertTrue(Files.exists(unknown) && Files.exists(users));
            // Asked again while it still runs: the sweep's own look at the lock must not have released it.
            assertEquals(0, LocalScratch.removeLeftovers(base));
        } finally {
            holder.getOutputStream().close();
            holder.waitFor();
        }
        assertEquals(1, LocalScratch.removeLeftovers(base), "its owner ended, the running one's directory goes too");
        assertFalse(Files.exists(running));
    }

    /** Spark reads spark.local.dir as a comma-separated list: a temporary directory with a comma is refused, naming it. */
    @Test
    void aTemporaryDirectoryWithACommaIsRefused() {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> LocalScratch.create(base.resolve("a,b")));
        assertTrue(e.getMessage().contains(base.resolve("a,b") + " has a ','"), e.getMessage());
        assertFalse(Files.exists(base.resolve("a,b")));
    }

    /**
     * A second session of one JVM gave its live scratch away (review helper 88): the sweep opened and closed a channel of
     * the JVM's own owner file, which drops the JVM's lock on it. A process (here another JVM, as another job would be)
     * makes its directory once, keeps it over its sessions, and its lock holds against a sweep from outside.
     */
    @Test
    void aProcessKeepsOneDirectoryAndItsLockOverManySessions() throws Exception {
        Process owner = java(TwoSessions.class, base.toString());
        try {
            String made = new java.io.BufferedReader(new java.io.InputStreamReader(owner.getInputStream())).readLine();
            assertTrue(made != null && made.startsWith("made " + base), made);
            Path dir = Path.of(made.substring("made ".length()));
            assertEquals(0, LocalScratch.removeLeftovers(base));
            assertTrue(Files.isRegularFile(dir.resolve(LocalScratch.OWNER)));
        } finally {
            owner.getOutputStream().close();
            owner.waitFor();
        }
        try (var left = Files.list(base)) {
            assertEquals(java.util.List.of(), left.toList(), "removed as its owner exited");
        }
    }

    /** A job's process starting two sessions: its scratch made twice, then held until its input ends. */
    static final class TwoSessions {
        public static void main(String[] args) throws Exception {
            Path first = LocalScratch.create(Path.of(args[0]));
            if (!first.equals(LocalScratch.create(Path.of(args[0])))) {
                throw new AssertionError("a second directory");
            }
            System.out.println("made " + first);
            System.out.flush();
            while (System.in.read() >= 0) {
                // until the test closes our input
            }
        }
    }

    /** A JVM running {@code main} of {@code type} with this test's classpath. */
    private static Process java(Class<?> type, String... args) throws java.io.IOException {
        java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), type.getName()));
        command.addAll(java.util.List.of(args));
        return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
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
