package io.hnswseg.spark;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Spark's scratch space (the shuffle of the vectors to their partitions, about the input's size) for a job in
 * local mode: a directory of this process's own under the temporary directory, named by its process id and start
 * time, instead of Spark's {@code blockmgr-*} and {@code spark-*} directories loose in it. Spark removes its
 * directories when a job ends and nothing when it is killed ({@code kill -9}, a lost machine): a later job removes
 * the directories whose owner has ended. The owner holds a lock on a file in its directory for as long as it runs,
 * which the system releases however it ends: a directory is another job's while that lock is held, whatever its
 * process id says (a process of another container sharing the temporary directory has ids this one cannot see).
 */
final class LocalScratch {

    private static final Logger LOG = LoggerFactory.getLogger(LocalScratch.class);
    static final String PREFIX = "hnswseg-spark-scratch-";
    /** The file in a scratch directory whose lock its owner holds while it runs. */
    static final String OWNER = ".owner.lock";
    /** This process's lock on its own directory's owner file, held until it exits. */
    private static volatile FileChannel held;

    private LocalScratch() {
    }

    /**
     * This process's scratch directory under {@code base}, made now, after removing those whose owners have ended. It is
     * removed with what it holds as this process exits, when Spark's session is stopped or stops with it; what that
     * misses (a file Spark's own clean-up was writing) the next job removes.
     */
    static synchronized Path create(Path base) throws IOException {
        removeLeftovers(base);
        Path own = base.resolve(name(ProcessHandle.current()));
        if (held == null) {
            Files.createDirectories(own);
            FileChannel lock = FileChannel.open(own.resolve(OWNER), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            lock.lock();
            held = lock;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    delete(own);
                } catch (IOException | RuntimeException e) {
                    // Spark's own hook deleting the same files: the next job's removeLeftovers takes what is left.
                }
            }, "hnswseg-scratch-cleanup"));
        }
        return own;
    }

    /** A process's directory name: its id and start time, for the reader of a listing. */
    static String name(ProcessHandle process) {
        return PREFIX + process.pid() + "-" + process.info().startInstant().map(java.time.Instant::toEpochMilli).orElse(0L);
    }

    /** Removes, under {@code base}, the scratch directories whose owners have ended; returns how many. */
    static int removeLeftovers(Path base) {
        int removed = 0;
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(base, PREFIX + "*")) {
            for (Path dir : dirs) {
                try {
                    if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS) && ownerEnded(dir)) {
                        long bytes = delete(dir);
                        LOG.info(String.format("removed %s, the Spark scratch directory a stopped job left (%.1f MB)", dir, bytes / 1e6));
                        removed++;
                    }
                } catch (IOException | RuntimeException e) {
                    // Another user's directory, a race with another job's clean-up: scratch left is no failure of this job.
                    LOG.debug("could not remove " + dir + ": " + e);
                }
            }
        } catch (IOException e) {
            LOG.debug("could not list " + base + " for stopped jobs' Spark scratch: " + e);
        }
        return removed;
    }

    /** Whether the owner of scratch directory {@code dir} has ended: its lock can be taken. Without an owner file, not known: no. */
    private static boolean ownerEnded(Path dir) throws IOException {
        Path owner = dir.resolve(OWNER);
        if (!Files.isRegularFile(owner, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        try (FileChannel channel = FileChannel.open(owner, StandardOpenOption.WRITE)) {
            FileLock lock = channel.tryLock();
            if (lock == null) {
                return false;
            }
            lock.release();
            return true;
        } catch (OverlappingFileLockException e) {
            return false; // this JVM's own
        }
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
