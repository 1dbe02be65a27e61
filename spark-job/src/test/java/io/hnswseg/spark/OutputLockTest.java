package io.hnswseg.spark;

import io.hnswseg.manifest.Leases;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.attribute.FileTime;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The lock a search-job holds while it puts its results in place: one holder at a time, also when a holder was killed. */
class OutputLockTest {

    @TempDir
    java.nio.file.Path tmp;

    /** A second taker waits until the first releases the lock. */
    @Test
    void aHeldLockIsWaitedFor() throws Exception {
        LocalFileSystem fs = local();
        Path lock = new Path(tmp.resolve(".out.hnswseg-put.lock").toUri());
        BuildLease first = OutputLock.take(fs, lock, "out");
        CompletableFuture<BuildLease> second = CompletableFuture.supplyAsync(() -> take(fs, lock));
        assertThrows(TimeoutException.class, () -> second.get(1, TimeUnit.SECONDS), "taken while held");
        first.close();
        second.get(30, TimeUnit.SECONDS).close();
        assertFalse(Files.exists(tmp.resolve(".out.hnswseg-put.lock")));
    }

    /**
     * Two jobs waiting on a killed job's lapsed lock: B removes it and takes the lock while A, which saw it lapsed,
     * is about to remove it too. A removed B's live lock and went on, both holding it (review helper 73). A puts it
     * back and waits.
     */
    @Test
    void aLapsedLockTakenOverByAnotherWaiterIsLeftToIt() throws Exception {
        java.nio.file.Path file = tmp.resolve(".out.hnswseg-put.lock");
        Files.write(file, "killed\n".getBytes(StandardCharsets.US_ASCII));
        Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis() - Leases.LAPSES_AFTER.toMillis() - 60_000));
        Path lock = new Path(file.toUri());
        LocalFileSystem plain = local();
        BuildLease[] b = new BuildLease[1];
        LocalFileSystem pausedAfterItsLook = new LocalFileSystem() {
            private boolean moved;

            @Override
            public boolean rename(Path from, Path to) throws IOException {
                if (!moved && from.getName().equals(lock.getName())) {
                    moved = true;
                    b[0] = OutputLock.take(plain, lock, "out"); // the other waiter, between A's look and A's move
                }
                return super.rename(from, to);
            }
        };
        pausedAfterItsLook.initialize(URI.create("file:///"), new Configuration());
        CompletableFuture<BuildLease> a = CompletableFuture.supplyAsync(() -> take(pausedAfterItsLook, lock));
        assertThrows(TimeoutException.class, () -> a.get(2, TimeUnit.SECONDS), "A holds the lock B holds");
        assertNotNull(b[0]);
        byte[] held = Files.readAllBytes(file);
        assertFalse(new String(held, StandardCharsets.US_ASCII).equals("killed\n"), "B's lock is in place");
        b[0].close();
        BuildLease afterB = a.get(30, TimeUnit.SECONDS);
        assertFalse(java.util.Arrays.equals(held, Files.readAllBytes(file)), "A holds a lock of its own");
        afterB.close();
        try (var left = Files.list(tmp)) {
            assertArrayEquals(new Object[0], left.filter(f -> !f.getFileName().toString().endsWith(".crc")).toArray(), "nothing left");
        }
        assertNull(OutputLock.read(plain, lock));
    }

    private static BuildLease take(LocalFileSystem fs, Path lock) {
        try {
            return OutputLock.take(fs, lock, "out");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static LocalFileSystem local() throws IOException {
        LocalFileSystem fs = new LocalFileSystem();
        fs.initialize(URI.create("file:///"), new Configuration());
        return fs;
    }
}
