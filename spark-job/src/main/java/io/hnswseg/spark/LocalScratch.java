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
    /**
     * This process's own directory, once made; its owner file's lock is held by {@link #heldLock} until the process exits.
     * The sweep never opens this directory's owner file: closing any channel of a file drops every lock this process
     * holds on it (POSIX locks), which made a second session of one JVM give its live scratch away (review helper 88).
     */
    private static Path own;
    /** Kept reachable for the process's life: a channel collected closes its file, which drops the lock. */
    private static FileChannel heldLock;

    private LocalScratch() {
    }

    /**
     * This process's scratch directory under {@code base}, made on the first call, after removing those whose owners
     * have ended; null when this file system cannot lock files (Spark's own scratch then serves, as without this). It is
     * removed with what it holds as this process exits, when Spark's session is stopped or stops with it; what that
     * misses (a file Spark's own clean-up was writing) the next job removes.
     */
    static synchronized Path create(Path base) {
        if (base.toString().contains(",")) {
            // Spark splits spark.local.dir at commas, its default (this same directory) too: a job scattered its scratch
            // over a relative directory and one named after the tail, and left both (probe helper 89).
            throw new InvalidInputException("the temporary directory " + base + " has a ',' in its name, which Spark reads as a"
                    + " list of directories for its scratch: pass -Djava.io.tmpdir=DIR in HNSWSEG_JAVA_OPTS, or --conf"
                    + " spark.local.dir=DIR, with a DIR without one");
        }
        if (own != null) {
            return own;
        }
        removeLeftovers(base);
        // Made and locked under a name the sweep does not match, then renamed: a job sweeping at that moment would
        // otherwise find an owner file not yet locked and remove the directory (review helper 88).
        String name = name(ProcessHandle.current()) + "-" + java.util.UUID.randomUUID().toString().substring(0, 8);
        Path making = base.resolve("." + name);
        FileChannel lock = null;
        try {
            Files.createDirectory(making);
            lock = FileChannel.open(making.resolve(OWNER), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            if (lock.tryLock() == null) {
                throw new IOException("its owner file is locked by another process");
            }
            Path made = Files.move(making, base.resolve(name), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            heldLock = lock;
            own = made;
        } catch (IOException | RuntimeException e) {
            LOG.info("Spark's scratch goes to its own directories under " + base + " (a killed job's are not removed by the next): "
                    + "could not make a locked directory of this job's own: " + e);
            try {
                if (lock != null) {
                    lock.close();
                }
                delete(making);
            } catch (IOException | RuntimeException ignored) {
                // nothing of it may exist
            }
            return null;
        }
        Path made = own;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                delete(made);
            } catch (IOException | RuntimeException e) {
                // Spark's own hook deleting the same files: the next job's removeLeftovers takes what is left.
            }
        }, "hnswseg-scratch-cleanup"));
        return made;
    }

    /** A process's directory name, before a random suffix: its id and start time, for the reader of a listing. */
    static String name(ProcessHandle process) {
        return PREFIX + process.pid() + "-" + process.info().startInstant().map(java.time.Instant::toEpochMilli).orElse(0L);
    }

    /**
     * Removes, under {@code base}, the scratch directories whose owners have ended, of this user only (another's are
     * theirs to remove, and a tree another user can write to is no tree to delete); returns how many.
     */
    static synchronized int removeLeftovers(Path base) {
        int removed = 0;
        String user = System.getProperty("user.name");
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(base, PREFIX + "*")) {
            for (Path dir : dirs) {
                try {
                    if (!dir.equals(own) && Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)
                            && Files.getOwner(dir, LinkOption.NOFOLLOW_LINKS).getName().equals(user) && ownerEnded(dir)) {
                        long bytes = delete(dir);
                        LOG.info(String.format("removed %s, the Spark scratch directory a stopped job left (%.1f MB)", dir, bytes / 1e6));
                        removed++;
                    }
                } catch (IOException | RuntimeException e) {
                    // A race with another job's clean-up: scratch left is no failure of this job.
                    LOG.debug("could not remove " + dir + ": " + e);
                }
            }
        } catch (IOException e) {
            LOG.debug("could not list " + base + " for stopped jobs' Spark scratch: " + e);
        }
        return removed;
    }

    /**
     * Whether the owner of scratch directory {@code dir}, another process's, has ended: its lock can be taken. Without an
     * owner file, not known: no.
     */
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
            return false; // locked in this JVM (a test's): never this process's own directory, which the sweep passes over
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
