package io.hnswseg.spark;

import io.hnswseg.manifest.Leases;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Leases judged by the store's clock, which stamps them, on a store ten minutes behind this machine: by this machine's
 * clock a lease renewed a moment ago is ten minutes old, and a search-job took another one's live lock, and its running
 * staging, for a killed job's (vacuum's side: {@code VacuumIndexJobTest.aStoreClockBehindThisMachinesKeepsARunningBuildsFiles}).
 */
class StoreClockTest {

    private static final Duration BEHIND = Duration.ofMinutes(10);

    @TempDir
    java.nio.file.Path tmp;

    @Test
    void theOffsetIsTheStoresClockLessThisMachinesAndNoProbeIsLeft() throws IOException {
        long offset = StoreClock.of(new SkewedStore(BEHIND), new Path(tmp.toUri())).offsetMillis();
        // Read against the time after the probe's write, so at most the write's time below the skew, never above it.
        assertTrue(offset <= -BEHIND.toMillis() + 1_000 && offset > -BEHIND.toMillis() - 10_000, "offset " + offset + " ms");
        try (var left = Files.list(tmp)) {
            assertFalse(left.findAny().isPresent(), "no probe left");
        }
    }

    @Test
    void aLockHeldOnAStoreBehindThisMachineIsWaitedFor() throws Exception {
        SkewedStore store = new SkewedStore(BEHIND);
        Path lock = new Path(tmp.resolve(".out.hnswseg-put.lock").toUri());
        BuildLease first = OutputLock.take(store, lock, "out");
        CompletableFuture<BuildLease> second = CompletableFuture.supplyAsync(() -> {
            try {
                return OutputLock.take(store, lock, "out");
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        assertThrows(TimeoutException.class, () -> second.get(2, TimeUnit.SECONDS), "the held lock was taken for a lapsed one");
        first.close();
        second.get(30, TimeUnit.SECONDS).close();
    }

    @Test
    void aRunningSearchJobsStagingOnAStoreBehindThisMachineIsKept() throws IOException {
        java.nio.file.Path output = tmp.resolve("out");
        long now = System.currentTimeMillis();
        long lapsed = now - Leases.LAPSES_AFTER.toMillis() - 60_000;
        java.nio.file.Path running = SearchIndexJobTest.stagingWith(output, "0000beef", lapsed, "_attempts/part-00000.parquet");
        java.nio.file.Path runningLease = SearchIndexJobTest.leaseOf(output, "0000beef", now);
        java.nio.file.Path killed = SearchIndexJobTest.stagingWith(output, "0000dead", lapsed, "_attempts/part-00000.parquet");
        SearchIndexJobTest.leaseOf(output, "0000dead", lapsed);
        new SearchOutput(output.toString(), new Path(output.toUri()), new SkewedStore(BEHIND), false).removeLapsedStagings();
        assertTrue(Files.exists(running.resolve("_attempts/part-00000.parquet")) && Files.exists(runningLease),
                "a staging whose lease was renewed a moment ago is a running job's");
        assertFalse(Files.exists(killed), "a staging whose lease lapsed by the store's clock is still removed");
    }
}
