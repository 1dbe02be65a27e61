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
     * refused request), this machine's own, {@link #measured} only for a local disk ({@link #stampedHere}), whose files
     * this machine's clock stamps (so a vacuum on a full local disk still reclaims a killed build's files). The offset is
     * taken against the local time after the write, so it errs towards the store's earlier time: ages read young, and
     * a lease is never taken for lapsed early.
     */
    static StoreClock of(FileSystem fs, Path dir) {
        try {
            long stamped = IndexCommit.writeProbe(fs, dir);
            return new StoreClock(stamped - System.currentTimeMillis(), true);
        } catch (IOException | RuntimeException e) {
            return new StoreClock(0, stampedHere(fs, dir));
        }
    }

    /**
     * File systems on this machine's own disks (or memory), by the type Java reads from the mount table: their files
     * carry this machine's time. Anything else under {@code file:}, an NFS or SMB mount, a FUSE file system, is stamped
     * by a server whose clock may differ, so it is judged as a remote store.
     */
    private static final java.util.Set<String> LOCAL_TYPES = java.util.Set.of("ext2", "ext3", "ext4", "xfs", "btrfs", "zfs", "f2fs",
            "jfs", "reiserfs", "tmpfs", "ramfs", "overlay", "vfat", "exfat", "ntfs", "ntfs3", "apfs", "hfs", "ufs");

    /** Whether {@code dir} is on a {@code file:} system of this machine's own ({@link #LOCAL_TYPES}). */
    static boolean stampedHere(FileSystem fs, Path dir) {
        if (!"file".equals(fs.getUri().getScheme())) {
            return false;
        }
        try {
            java.nio.file.Path p = java.nio.file.Path.of(fs.makeQualified(dir).toUri());
            while (p != null && !java.nio.file.Files.exists(p)) {
                p = p.getParent();
            }
            return p != null && isLocalType(java.nio.file.Files.getFileStore(p).type());
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Whether a file system of {@code type} (as {@link java.nio.file.FileStore#type} names it) is one of {@link #LOCAL_TYPES}. */
    static boolean isLocalType(String type) {
        return LOCAL_TYPES.contains(type.toLowerCase(java.util.Locale.ROOT));
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
