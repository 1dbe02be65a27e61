package io.hnswseg.spark;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Spark's scratch space (the shuffle of the vectors to their partitions, about the input's size) for a job in
 * local mode: a directory of this process's own under the temporary directory, named by its process id and start
 * time, instead of Spark's {@code blockmgr-*} and {@code spark-*} directories loose in it. Spark removes its
 * directories when a job ends and nothing when it is killed ({@code kill -9}, a lost machine): a later job removes
 * the directories of processes that no longer run.
 */
final class LocalScratch {

    private static final Logger LOG = LoggerFactory.getLogger(LocalScratch.class);
    static final String PREFIX = "hnswseg-spark-scratch-";
    private static final Pattern NAME = Pattern.compile(Pattern.quote(PREFIX) + "(\\d+)-(\\d+)");

    private LocalScratch() {
    }

    /**
     * This process's scratch directory under {@code base}, made now, after removing those of processes that have ended.
     * It is removed with what it holds as this process exits, when Spark's session is stopped or stops with it; what
     * that misses (a file Spark's own clean-up was writing) the next job removes.
     */
    static Path create(Path base) throws IOException {
        removeLeftovers(base);
        Path own = Files.createDirectories(base.resolve(name(ProcessHandle.current())));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                delete(own);
            } catch (IOException | RuntimeException e) {
                // Spark's own hook deleting the same files: the next job's removeLeftovers takes what is left.
            }
        }, "hnswseg-scratch-cleanup"));
        return own;
    }

    /** A process's directory name: its id and start time, so that a later process given the same id is not taken for it. */
    static String name(ProcessHandle process) {
        return PREFIX + process.pid() + "-" + startMillis(process);
    }

    private static long startMillis(ProcessHandle process) {
        return process.info().startInstant().map(java.time.Instant::toEpochMilli).orElse(0L);
    }

    /** Removes, under {@code base}, the scratch directories of processes that no longer run; returns how many. */
    static int removeLeftovers(Path base) {
        int removed = 0;
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(base, PREFIX + "*")) {
            for (Path dir : dirs) {
                Matcher m = NAME.matcher(dir.getFileName().toString());
                if (m.matches() && Files.isDirectory(dir) && !running(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)))) {
                    long bytes = delete(dir);
                    LOG.info(String.format("removed %s, the Spark scratch directory a stopped job left (%.1f MB)", dir, bytes / 1e6));
                    removed++;
                }
            }
        } catch (IOException | RuntimeException e) {
            // Another user's directory, a race with another job's clean-up: scratch left is no failure of this job.
            LOG.debug("could not remove every stopped job's Spark scratch under " + base + ": " + e);
        }
        return removed;
    }

    /** Whether process {@code pid}, started at {@code startMillis} (0: not known), runs now; not knowing is yes. */
    private static boolean running(long pid, long startMillis) {
        return ProcessHandle.of(pid).map(p -> startMillis == 0 || startMillis(p) == 0 || startMillis(p) == startMillis).orElse(false);
    }

    /** Deletes {@code dir} and everything under it; returns the bytes of the files deleted. */
    private static long delete(Path dir) throws IOException {
        long[] bytes = {0};
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    if (Files.isRegularFile(p)) {
                        bytes[0] += Files.size(p);
                    }
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
        }
        return bytes[0];
    }
}
