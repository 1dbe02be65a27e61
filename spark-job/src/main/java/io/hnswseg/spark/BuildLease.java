package io.hnswseg.spark;

import io.hnswseg.concurrent.DaemonThreads;
import io.hnswseg.manifest.IndexManifest;
import io.hnswseg.manifest.Leases;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Says in an index's directory that a build is writing there: the file {@code _hnswseg-build-<run id>}, written
 * when the build takes its run id, written again every {@link Leases#RENEW_EVERY} by the driver and deleted when the
 * build ends. {@link Vacuum} keeps the files of a run whose lease is live, whatever their age: a build that ran
 * longer than the grace period had its first segments removed under it by an hourly vacuum (probe helper 30).
 * A killed driver renews nothing, so its lease lapses {@link Leases#LAPSES_AFTER} after the last renewal and its files
 * become leftovers like any other. The lease's time is the store's clock, and its age is read against the store's
 * clock too ({@link StoreClock}): against this machine's, a store whose clock ran behind made a live lease look lapsed.
 * A search-job holds one
 * beside its staging directory the same way ({@link SearchOutput}), so that a later run tells a killed job's
 * staging from a running one's, and in the directory of the index it reads ({@link #takeForReading}): a search of an
 * index replaced while it ran had its files removed under it by a vacuum or the next build's clean-up (probe helper 80).
 */
final class BuildLease implements Closeable {

    private static final Logger LOG = LoggerFactory.getLogger(BuildLease.class);

    static final String PREFIX = "_hnswseg-build-";
    private final FileSystem fs;
    private final Path file;
    /** Whose lease, for messages: "build", "search-job". */
    private final String holder;
    private final ScheduledExecutorService renewer;
    private volatile boolean ended;

    /** What the file holds: nothing for a build's lease, the files for a reader's, its holder's token for a lock ({@link #takeIfFree}). */
    private final byte[] content;

    private BuildLease(FileSystem fs, Path file, String holder, byte[] content) {
        this.fs = fs;
        this.file = file;
        this.holder = holder;
        this.content = content;
        this.renewer = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("hnswseg-build-lease"));
    }

    /** Takes the lease of run {@code runId} in {@code root} and renews it until {@link #close}. */
    static BuildLease take(FileSystem fs, Path root, String runId) throws IOException {
        return takeAt(fs, new Path(root, PREFIX + runId), "build");
    }

    /** {@link #take(FileSystem, Path, String)} for {@code holder}, as the file {@code file}. */
    static BuildLease takeAt(FileSystem fs, Path file, String holder) throws IOException {
        BuildLease lease = new BuildLease(fs, file, holder, new byte[0]);
        lease.write();
        return lease.renewed();
    }

    /**
     * Says in {@code root} that {@code holder} reads the index's files {@code files} (paths relative to {@code root}, as
     * {@link Leases#filesOf} gives them), until {@link #close}: {@link Vacuum} keeps them while the lease is live,
     * listed by the manifest or not.
     */
    static BuildLease takeForReading(FileSystem fs, Path root, Collection<String> files, String holder) throws IOException {
        BuildLease lease = new BuildLease(fs, new Path(root, Leases.newReadLeaseName()), holder, Leases.readLease(files));
        lease.write();
        return lease.renewed();
    }

    /**
     * The files that the live readers' leases among {@code rootFiles} (a listing of the index's directory) hold at
     * {@code now}, each with the name of a lease holding it, or null when a live lease cannot be read or is not whole (being
     * renewed, or an earlier version's: it may hold any file). A lease gone since the listing held nothing any more: its
     * reader ended.
     */
    static Map<String, String> heldByReaders(FileSystem fs, FileStatus[] rootFiles, long now) {
        Map<String, String> held = new HashMap<>();
        for (FileStatus f : rootFiles) {
            if (f.isFile() && Leases.isReadLease(f.getPath().getName()) && isLive(f, now)) {
                byte[] content;
                try {
                    content = readLease(fs, f.getPath());
                } catch (FileNotFoundException e) {
                    continue;
                } catch (IOException | RuntimeException e) {
                    // Renewed between the open and the read (S3A's change detection), or not ours to read: a vacuum that
                    // failed here failed the build whose clean-up it was (review helper 83).
                    LOG.warn("could not read the reader's lease {} ({}): keeping every unlisted file of segments/ and routing/",
                            f.getPath(), e.toString());
                    return null;
                }
                List<String> paths = Leases.heldBy(content);
                if (paths == null) {
                    LOG.info("the reader's lease {} is being renewed, or was written by an earlier version: keeping every unlisted"
                            + " file of segments/ and routing/", f.getPath());
                    return null;
                }
                for (String path : paths) {
                    held.put(IndexManifest.normalPath(path), f.getPath().getName());
                }
            }
        }
        return held;
    }

    /** A reader's lease, read again once when it changed under the read (a renewal). */
    private static byte[] readLease(FileSystem fs, Path lease) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try (FSDataInputStream in = fs.open(lease)) {
                return in.readAllBytes();
            } catch (FileNotFoundException e) {
                throw e;
            } catch (IOException e) {
                if (attempt == 2) {
                    throw e;
                }
            }
        }
    }

    /**
     * Takes the lease at {@code file} only if there is no file there, or returns null: a lock, where {@link #takeAt}
     * only announces. The file holds {@code token}, unique to the taker, so that whose lock a file is can be told
     * ({@link OutputLock}). It is made in one step that fails when it exists: {@code O_EXCL} on local disk, a create
     * without overwrite on HDFS, a conditional PUT on S3A where this JVM and the store can make one (else S3A checks,
     * then writes: two takers in the same moment could both hold it).
     */
    static BuildLease takeIfFree(FileSystem fs, Path file, String holder, byte[] token) throws IOException {
        return createNew(fs, file, token) ? new BuildLease(fs, file, holder, token.clone()).renewed() : null;
    }

    private BuildLease renewed() {
        long every = Leases.RENEW_EVERY.toMillis();
        renewer.scheduleWithFixedDelay(this::renew, every, every, TimeUnit.MILLISECONDS);
        return this;
    }

    /** Makes {@code file} holding {@code token}; false when it exists. */
    private static boolean createNew(FileSystem fs, Path file, byte[] token) throws IOException {
        if (fs instanceof org.apache.hadoop.fs.LocalFileSystem local) {
            // Hadoop's local create without overwrite checks, then opens: two takers could both pass the check.
            try {
                java.nio.file.Files.write(local.pathToFile(file).toPath(), token, java.nio.file.StandardOpenOption.CREATE_NEW,
                        java.nio.file.StandardOpenOption.WRITE);
                return true;
            } catch (java.nio.file.FileAlreadyExistsException e) {
                return false;
            }
        }
        if (fs.getClass().getName().equals(IndexCommit.S3A)) {
            if (Vacuum.status(fs, file) != null) {
                return false; // first, for stores that take the condition and ignore it (s3proxy)
            }
            S3ManifestPut.Result put = IndexCommit.conditionalPut(fs, file, token, null);
            if (put.outcome() != S3ManifestPut.Outcome.UNSUPPORTED) {
                // Refused or undecided: the file there may be this taker's own PUT, landed and then retried.
                return put.outcome() == S3ManifestPut.Outcome.WRITTEN || java.util.Arrays.equals(token, OutputLock.read(fs, file));
            }
            // Probe helper 106: on Hadoop 3.5 this fell back without a word.
            LOG.warn("lock {}: taking it with a check, then a plain PUT, not a conditional one ({}): a job taking it in the same"
                    + " moment could hold it too", file, put.detail());
        }
        try {
            HadoopWrites.create(fs, file, false, out -> out.write(token));
            return true;
        } catch (IOException e) {
            if (Causes.first(e, t -> t instanceof org.apache.hadoop.fs.FileAlreadyExistsException
                    || t instanceof org.apache.hadoop.fs.PathExistsException) != null) {
                return false;
            }
            throw e;
        }
    }

    /** The run id of a lease's file name, or null for another name. */
    static String runOf(String name) {
        return name.startsWith(PREFIX) && name.length() > PREFIX.length() ? name.substring(PREFIX.length()) : null;
    }

    /** The run ids whose leases among {@code rootFiles} (a listing of the index's directory) are live at {@code now}. */
    static Set<String> live(FileStatus[] rootFiles, long now) {
        Set<String> live = new HashSet<>();
        for (FileStatus f : rootFiles) {
            String run = runOf(f.getPath().getName());
            if (run != null && f.isFile() && isLive(f, now)) {
                live.add(run);
            }
        }
        return live;
    }

    /** Whether the lease file {@code f} was renewed within {@link Leases#LAPSES_AFTER} of {@code now}. */
    static boolean isLive(FileStatus f, long now) {
        return now - f.getModificationTime() < Leases.LAPSES_AFTER.toMillis();
    }

    private void write() throws IOException {
        // Written anew rather than touched: an object store's files take no new modification time.
        HadoopWrites.create(fs, file, true, out -> out.write(content));
    }

    private void renew() {
        if (ended) {
            return;
        }
        try {
            write();
        } catch (IOException | RuntimeException e) {
            if (ended) {
                // close() interrupted it: the lease is being removed, and a successful build warned of it (probe helper 78).
                return;
            }
            LOG.warn("could not renew the {}'s lease {} ({}): its files may be taken for leftovers once it lapses",
                    holder, file, e.toString());
        }
    }

    /**
     * Ends the lease: stops renewing it and deletes its file. A file that cannot be deleted now (a store's error
     * after the build committed) is not the build's failure: it is logged, and the lease lapses on its own.
     */
    @Override
    public void close() {
        ended = true;
        renewer.shutdownNow();
        try {
            renewer.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            fs.delete(file, false);
        } catch (IOException | RuntimeException e) {
            LOG.warn("could not delete the {}'s lease {} ({}): it lapses {} after its last renewal",
                    holder, file, e.toString(), Leases.LAPSES_AFTER);
        }
    }
}
