package io.hnswseg.spark;

import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;

/**
 * This machine's clock set to the store's. Leases and files carry the store's times (their modification times), so
 * their ages are read against the store's clock: read against this machine's, a driver whose clock ran some minutes
 * ahead of the store's took every live lease for lapsed (a running build's files, another search-job's staging or
 * lock). The offset is measured once, with a file written for the purpose, so a waiter polling a lease does not
 * write a file at every look.
 */
final class StoreClock {

    private final long offsetMillis;
    private final boolean measured;

    private StoreClock(long offsetMillis, boolean measured) {
        this.offsetMillis = offsetMillis;
        this.measured = measured;
    }

    /**
     * The clock of the store holding {@code dir}, read from a file written there and deleted ({@link
     * IndexCommit#writeProbe}); where nothing can be written there (a read-only store, a full disk, a quota, a
     * refused request), this machine's own, {@link #measured} only for a local file system, whose files this
     * machine's clock stamps (so a vacuum on a full local disk still reclaims a killed build's files). The offset is
     * taken against the local time after the write, so it errs towards the store's earlier time: ages read young, and
     * a lease is never taken for lapsed early.
     */
    static StoreClock of(FileSystem fs, Path dir) {
        try {
            long stamped = IndexCommit.writeProbe(fs, dir);
            return new StoreClock(stamped - System.currentTimeMillis(), true);
        } catch (IOException | RuntimeException e) {
            return new StoreClock(0, "file".equals(fs.getUri().getScheme()));
        }
    }

    /**
     * Whether the store's clock was read (or is this machine's); if not, {@link #leaseNow} takes every lease as live.
     */
    boolean measured() {
        return measured;
    }

    /**
     * The time to judge leases by: {@link #now} where the store's clock was read, else a time before every lease's last
     * renewal, so that none is taken for lapsed by a clock that may run ahead of the store's (review helper 112: a
     * quota refused the probe, and a running search-job's staging went).
     */
    long leaseNow() {
        return measured ? now() : Long.MIN_VALUE / 2;
    }

    /** The store's time now, in milliseconds since the epoch. */
    long now() {
        return System.currentTimeMillis() + offsetMillis;
    }

    /** The store's clock less this machine's (0 when it could not be read). */
    long offsetMillis() {
        return offsetMillis;
    }
}
