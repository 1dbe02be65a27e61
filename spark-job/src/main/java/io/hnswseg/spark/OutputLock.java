package io.hnswseg.spark;

import io.hnswseg.manifest.Leases;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.UUID;

/**
 * One job at a time at an output: a {@link BuildLease} taken only where there is none ({@link BuildLease#takeIfFree}),
 * held by a job while it puts its results in place. A job finding the lock held waits for it. A killed holder's lock
 * lapses like any lease, {@link Leases#LAPSES_AFTER} after its last renewal, and a waiting job then removes it.
 * Each lock holds its taker's token, so that a waiter removes only the lapsed lock it saw: one that another waiter
 * took over in the meantime is put back (review helper 73: the waiter removed the new holder's lock, and both went on).
 */
final class OutputLock {

    private static final Logger LOG = LoggerFactory.getLogger(OutputLock.class);
    /** How often a waiting job looks again. */
    private static final long POLL_MILLIS = 200;
    /** The suffix of a lapsed lock moved aside to be removed: a job killed in between leaves one, removed by {@link #isLeftover}. */
    static final String ASIDE_SUFFIX = ".lapsed";

    private OutputLock() {
    }

    /** Waits for, then holds, the lock {@code lock}; {@code what}: what the lock guards, for the log. */
    static BuildLease take(FileSystem fs, Path lock, String what) throws IOException {
        byte[] token = (UUID.randomUUID() + "\n").getBytes(StandardCharsets.US_ASCII);
        long said = 0;
        // Read when a lock is first found held (a free one needs no clock), and again while it could not be.
        StoreClock clock = null;
        while (true) {
            BuildLease held = BuildLease.takeIfFree(fs, lock, "search-job", token);
            if (held != null) {
                return held;
            }
            // The token before the time: a lock taken over between the two reads is then seen live, and left.
            byte[] seen = read(fs, lock);
            FileStatus status = Vacuum.status(fs, lock);
            if (clock == null || !clock.measured()) {
                clock = StoreClock.of(fs, lock.getParent());
            }
            if (seen != null && status != null && !BuildLease.isLive(status, clock.leaseNow())) {
                removeLapsed(fs, lock, seen, what);
                continue;
            }
            long local = System.currentTimeMillis();
            if (status != null && local - said >= Leases.RENEW_EVERY.toMillis()) {
                LOG.info("waiting for another search-job to {} to put its results in place (it holds {})", what, lock);
                said = local;
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted waiting for " + lock);
            }
        }
    }

    /**
     * Moves the lapsed lock aside and removes it if it is the one seen ({@code seen}, its token); else it is a lock taken
     * since, and goes back (unless its holder has written it again meanwhile, when the moved copy is only removed).
     */
    private static void removeLapsed(FileSystem fs, Path lock, byte[] seen, String what) throws IOException {
        Path aside = new Path(lock.getParent(), lock.getName() + "." + UUID.randomUUID().toString().substring(0, 8) + ASIDE_SUFFIX);
        if (!fs.rename(lock, aside)) {
            return;
        }
        if (Arrays.equals(seen, read(fs, aside))) {
            fs.delete(aside, false);
            LOG.info("removed {}, the lock of a search-job to {} that ended while putting its results in place", lock, what);
        } else if (!fs.rename(aside, lock)) {
            fs.delete(aside, false);
        }
    }

    /** Whether {@code name}, beside an output, is a lapsed lock that a job killed while removing it left. */
    static boolean isLeftover(String name, String lockName) {
        return name.startsWith(lockName + ".") && name.endsWith(ASIDE_SUFFIX);
    }

    /** What {@code file} holds, or null when it is gone or cannot be read now (its holder rewriting it). */
    static byte[] read(FileSystem fs, Path file) {
        try (InputStream in = fs.open(file)) {
            return in.readAllBytes();
        } catch (IOException e) {
            return null;
        }
    }
}
