package io.hnswseg.reader;

import io.hnswseg.concurrent.DaemonThreads;
import io.hnswseg.io.LocalFiles;
import io.hnswseg.manifest.IndexManifest;
import io.hnswseg.manifest.Leases;

import java.io.IOException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;

/**
 * A reader's lease on the files of the index it opened ({@link Leases}): written in the index's directory when the reader
 * opens, written again every {@link Leases#RENEW_EVERY}, deleted when it closes. A vacuum keeps the files of a live lease
 * whatever its grace period: without one, a vacuum right after a rebuild removed the files that a server following the
 * index still answered from, and its searches failed until it switched (probe helper 111). A reader that may not write
 * there (read-only credentials) holds none: the open goes on and says so.
 */
final class ReaderLease implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(IndexReader.class.getName());
    /** Renews every open reader's lease: a renewal is one small write, so one thread serves them all. */
    private static final ScheduledExecutorService RENEWER =
            Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("hnswseg-reader-lease"));
    /** The leases not yet ended, which the JVM's exit ends. */
    private static final Set<ReaderLease> HELD = ConcurrentHashMap.newKeySet();
    /** How long a close waits for the store to delete the lease (a store that hangs). */
    private static final Duration CLOSE_WAITS_AT_MOST = Duration.ofSeconds(2);
    /** How long the JVM's exit waits for the stores to delete the leases still held (a store that hangs). */
    private static final Duration END_AT_EXIT_WITHIN = Duration.ofSeconds(5);

    static {
        // A server stopped while searches ran (or a reopen was under way) exits with their reader still open: its lease
        // stayed behind until it lapsed and a vacuum removed it (review helper 113).
        try {
            Runtime.getRuntime().addShutdownHook(new Thread(ReaderLease::endAllAtExit, "hnswseg-reader-lease-exit"));
        } catch (IllegalStateException exiting) {
            // First used while the JVM exits (a reopen under way): its leases lapse on their own.
        }
    }

    /** How often leases taken from now on are renewed: {@link Leases#RENEW_EVERY}; tests shorten it. */
    static volatile Duration renewEvery = Leases.RENEW_EVERY;
    /** Where a lease of the index at a location is written: a store of its own, open as long as the lease; tests replace it. */
    static volatile BiFunction<String, ReaderOptions, IndexSource> stores = IndexReader::sourceFor;

    private final IndexSource store;
    private final String name;
    private final byte[] content;
    private final ScheduledFuture<?> renewal;
    /** Whether the last write failed, so that a store refusing every renewal is said once, not every 30 s. */
    private boolean failing;
    private final AtomicBoolean ended = new AtomicBoolean();

    private ReaderLease(IndexSource store, String name, byte[] content, Duration every) {
        this.store = store;
        this.name = name;
        this.content = content;
        long millis = every.toMillis();
        this.renewal = RENEWER.scheduleWithFixedDelay(this::renew, millis, millis, TimeUnit.MILLISECONDS);
    }

    /**
     * Takes a lease on the files {@code manifest} lists, in the index's directory at {@code location}; null when the store
     * refuses the write, said in the log.
     */
    static ReaderLease take(String location, ReaderOptions options, IndexManifest manifest) {
        IndexSource store = stores.apply(location, options);
        String name = Leases.newReadLeaseName();
        byte[] content = Leases.readLease(Leases.filesOf(manifest).keySet());
        try {
            store.writeBeside(name, content);
        } catch (IOException | RuntimeException e) {
            store.close();
            LOG.log(System.Logger.Level.WARNING, "cannot write a reader's lease in " + store.location() + " (" + LocalFiles.describe(e)
                    + "): searching without one, so a vacuum there once a build has replaced the index may remove the files"
                    + " this reader answers from (vacuum's default grace period, 1 h, keeps them)");
            return null;
        }
        ReaderLease lease = new ReaderLease(store, name, content, renewEvery);
        HELD.add(lease);
        return lease;
    }

    /** Ends every lease still held, waiting at most {@link #END_AT_EXIT_WITHIN} for the stores: the JVM is exiting. */
    static void endAllAtExit() {
        Thread ending = DaemonThreads.named("hnswseg-reader-lease-end").newThread(() -> HELD.forEach(ReaderLease::close));
        ending.start();
        try {
            ending.join(END_AT_EXIT_WITHIN.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The lease's file name in the index's directory. */
    String name() {
        return name;
    }

    /** Runs on {@link #RENEWER}, as does {@link #end}: a lease's writes and its delete never overlap. */
    private void renew() {
        if (ended.get()) {
            return;
        }
        try {
            store.writeBeside(name, content);
            if (failing) {
                LOG.log(System.Logger.Level.INFO, "renewed the reader's lease " + name + " in " + store.location() + " again");
            }
            failing = false;
        } catch (IOException | RuntimeException e) {
            if (!failing) {
                LOG.log(System.Logger.Level.WARNING, "cannot renew the reader's lease " + name + " in " + store.location() + " ("
                        + LocalFiles.describe(e) + "): it lapses " + Leases.LAPSES_AFTER + " after its last renewal, and a vacuum may then"
                        + " remove the files this reader answers from once a build has replaced the index");
            }
            failing = true;
        }
    }

    /**
     * Stops renewing and deletes the lease, after any renewal under way; one that cannot be deleted lapses on its own, and a
     * vacuum removes it. It waits at most {@link #CLOSE_WAITS_AT_MOST} for the store: one that hangs would otherwise hold
     * the reader's close (a server's switch) as long, and the delete then ends in the background.
     */
    @Override
    public void close() {
        if (!ended.compareAndSet(false, true)) {
            return;
        }
        HELD.remove(this);
        renewal.cancel(false);
        java.util.concurrent.Future<?> ending;
        try {
            ending = RENEWER.submit(this::end);
        } catch (java.util.concurrent.RejectedExecutionException never) {
            end();
            return;
        }
        try {
            ending.get(CLOSE_WAITS_AT_MOST.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            LOG.log(System.Logger.Level.WARNING, "the store has not deleted the reader's lease " + name + " in " + store.location()
                    + " within " + CLOSE_WAITS_AT_MOST.toSeconds() + " s: it is deleted once the store answers, or lapses "
                    + Leases.LAPSES_AFTER + " after its last renewal");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            // end() says its own failures.
        }
    }

    private void end() {
        try {
            store.deleteBeside(name);
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot delete the reader's lease " + name + " in " + store.location() + " ("
                    + LocalFiles.describe(e) + "): it lapses " + Leases.LAPSES_AFTER + " after its last renewal");
        } finally {
            store.close();
        }
    }
}
