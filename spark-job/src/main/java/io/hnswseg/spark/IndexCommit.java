package io.hnswseg.spark;

import io.hnswseg.io.VecsFormat;
import io.hnswseg.io.VecsWriter;
import io.hnswseg.manifest.IndexManifest;
import io.hnswseg.manifest.Leases;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.zip.CRC32C;

/**
 * The driver's side of the output: the manifest is the commit. Before any input is read, the output is
 * checked (not a file, writable, no index there unless replacing one); segments are written under names
 * unique to each task attempt; the manifest, written last in one atomic step, lists the winning attempt of
 * every partition. Right before it is written, the output is checked again: an index committed there while
 * this build ran is never replaced behind its back: a compare-and-swap on the manifest's state, in one
 * request on S3A (a conditional PUT) and for a new output on HDFS (a rename that never replaces); elsewhere
 * the state is checked, then written (see docs/reliability.md). No directory is ever renamed.
 */
final class IndexCommit implements java.io.Closeable {

    private static final Logger LOG = LoggerFactory.getLogger(IndexCommit.class);
    /** Files written to learn something of the output (that it is writable, the store's clock), then deleted. */
    static final String WRITE_PROBE_PREFIX = "_hnswseg-write-probe-";

    /** S3A's file system, told by name: hadoop-aws is optional on a cluster. */
    static final String S3A = "org.apache.hadoop.fs.s3a.S3AFileSystem";
    /** Stores where one PUT is atomic (an object appears whole or not at all) and a rename is a copy. */
    private static final Set<String> ATOMIC_PUT = Set.of("s3", "s3a", "s3n", "gs", "oss", "cos");

    private final Configuration hadoop;
    private final FileSystem fs;
    private final Path root;
    private final Path manifestPath;
    private final boolean overwrite;
    /** The manifest's state when the build started (null: none), which the commit compares with. */
    private final FileStatus before;
    /**
     * The outermost directory of the output's path that did not exist before this build (the write probe
     * created it and those below it down to the output), or null when the output existed.
     */
    private final Path created;
    /** This build's lease on the output ({@link #startRun}), which keeps a vacuum off its files; null before. */
    private BuildLease lease;
    /** This build's run id ({@link #startRun}); null before. */
    private String runId;
    /**
     * Whether the manifest's commit step has begun (the PUT, or the rename of the staged manifest): from then on a
     * failure may still have committed it (a PUT whose answer was lost), so this build's files must stay.
     */
    private boolean writing;

    private IndexCommit(Configuration hadoop, FileSystem fs, Path root, boolean overwrite, FileStatus before, Path created) {
        this.hadoop = hadoop;
        this.fs = fs;
        this.root = root;
        this.manifestPath = new Path(root, IndexManifest.FILE_NAME);
        this.overwrite = overwrite;
        this.before = before;
        this.created = created;
    }

    /**
     * Checks the output before anything is read or built: not a regular file, writable (a probe file is
     * written and removed), and without an index unless {@code overwrite}.
     */
    static IndexCommit prepare(String output, Configuration hadoop, boolean overwrite) throws IOException {
        FileSystem fs;
        try {
            fs = fileSystem(output, hadoop);
        } catch (IOException | RuntimeException e) {
            throw new InvalidInputException("output " + output + ": " + SessionOptions.explain(e));
        }
        Path root = fs.makeQualified(new Path(output));
        FileStatus status = status(fs, root);
        if (status != null && status.isFile()) {
            throw new InvalidInputException("output " + root + " is a file: give a directory (or prefix) for the index");
        }
        Path manifest = new Path(root, IndexManifest.FILE_NAME);
        FileStatus existing = status(fs, manifest);
        if (existing != null && !overwrite) {
            throw new InvalidInputException("output " + root + " already holds an index (" + IndexManifest.FILE_NAME
                    + "): pass --overwrite to replace it, or choose another --output");
        }
        if (existing == null && status != null) {
            refuseForeignFiles(fs, root);
        }
        // Before the probe creates them: which directories of the output's path are new.
        Path created = null;
        for (Path p = root; status == null && p != null && status(fs, p) == null; p = p.getParent()) {
            created = p;
        }
        try {
            writeProbe(fs, root);
        } catch (IOException e) {
            throw new InvalidInputException("output " + root + " is not writable: " + danglingLink(fs, root)
                    .orElse(SessionOptions.explain(e)));
        }
        return new IndexCommit(hadoop, fs, root, overwrite, existing, created);
    }

    /**
     * Writes a small file in {@code dir} and deletes it again: whether the store takes writes there, and the time
     * by its clock (the file's modification time, which {@link StoreClock} reads ages against).
     */
    static long writeProbe(FileSystem fs, Path dir) throws IOException {
        Path probe = new Path(dir, WRITE_PROBE_PREFIX + UUID.randomUUID());
        HadoopWrites.create(fs, probe, false, out -> out.write(0));
        try {
            return fs.getFileStatus(probe).getModificationTime();
        } finally {
            fs.delete(probe, false);
        }
    }

    /** For a local output that is a symbolic link to nothing (Hadoop says only "Mkdirs failed"), what it points to. */
    private static java.util.Optional<String> danglingLink(FileSystem fs, Path root) {
        if (!"file".equals(fs.getScheme())) {
            return java.util.Optional.empty();
        }
        for (java.nio.file.Path p = java.nio.file.Path.of(root.toUri()); p != null; p = p.getParent()) {
            if (java.nio.file.Files.isSymbolicLink(p) && java.nio.file.Files.notExists(p)) {
                try {
                    return java.util.Optional.of(p + " is a symbolic link to " + java.nio.file.Files.readSymbolicLink(p)
                            + ", which does not exist: create its target, or give another --output");
                } catch (IOException e) {
                    return java.util.Optional.of(p + " is a symbolic link to nothing");
                }
            }
        }
        return java.util.Optional.empty();
    }

    /**
     * Refuses an output directory without an index that holds what an index's never does (a Parquet table's
     * parts, say): the index's files added there made the table unreadable to Spark (the manifest is not
     * Parquet), and {@code --overwrite} replaces an index, not other data. What a failed or running build of
     * an index leaves (segments/, routing/, staged manifests, write probes), hidden files ('.' or '_' first, such as
     * {@code _SUCCESS}) and {@code lost+found} are allowed.
     */
    private static void refuseForeignFiles(FileSystem fs, Path root) throws IOException {
        List<String> foreign = new ArrayList<>();
        for (FileStatus f : fs.listStatus(root)) {
            String name = f.getPath().getName();
            boolean own = f.isDirectory() ? name.equals("segments") || name.equals("routing")
                    : name.startsWith(IndexManifest.FILE_NAME + ".");
            // Hidden by Hadoop's and Spark's convention (a '.' or '_' first: checksums, _SUCCESS, the build's probes),
            // and a file system's own lost+found, are not data.
            if (!own && !name.startsWith(".") && !name.startsWith("_") && !name.equals("lost+found")) {
                foreign.add(name);
            }
        }
        if (!foreign.isEmpty()) {
            Collections.sort(foreign);
            throw new InvalidInputException("output " + root + " is a directory holding " + foreign.size() + " files or directories that"
                    + " are not an index's (" + String.join(", ", foreign.subList(0, Math.min(3, foreign.size())))
                    + (foreign.size() > 3 ? ", ..." : "") + "): give a new or empty directory (or prefix) for the index");
        }
    }

    /**
     * After a build that failed: removes this build's files unless the manifest's write had begun (a task that
     * outlives the failed job may still write one, which {@code hnswseg vacuum} removes), then the output directory
     * this build created, and the parents it created for it, when nothing is in them (a build refused for its input
     * leaves no empty directories behind). What existed before is never touched.
     */
    void afterFailure() throws IOException {
        if (runId != null && !writing) {
            abandon(runId);
        }
        removeIfCreatedAndEmpty();
    }

    private void removeIfCreatedAndEmpty() throws IOException {
        if (created == null) {
            return;
        }
        // Every delete is non-recursive: a directory that gained a file meanwhile stays. (A second build into
        // the same new output could lose the empty segments/ it just made, failing one of its tasks: a retry.)
        for (String dir : new String[]{"segments", "routing"}) {
            removeIfEmpty(new Path(root, dir));
        }
        for (Path p = root; removeIfEmpty(p) && !p.equals(created); p = p.getParent()) {
            // Up to the outermost directory this build created.
        }
    }

    /** Deletes {@code dir} if it exists and is empty; whether it is gone. */
    private boolean removeIfEmpty(Path dir) throws IOException {
        if (status(fs, dir) == null) {
            return true;
        }
        return list(dir).length == 0 && fs.delete(dir, false);
    }

    private static FileStatus status(FileSystem fs, Path path) throws IOException {
        try {
            return fs.getFileStatus(path);
        } catch (FileNotFoundException e) {
            return null;
        }
    }

    /**
     * The file system of an output URI. Hadoop's local file system would write a {@code .crc} sidecar
     * next to every file; segments and manifest carry their own checks, so those are switched off.
     */
    static FileSystem fileSystem(String output, Configuration hadoop) throws IOException {
        // Hadoop's Path escapes what a URI may not hold (a local path with spaces); URI.create would refuse it.
        FileSystem fs = FileSystem.get(new Path(output).toUri(), hadoop);
        fs.setWriteChecksum(false);
        // Also ignore sidecars left by an earlier writer that had them on: a stale .crc next to a
        // replaced manifest would otherwise fail every read of it.
        fs.setVerifyChecksum(false);
        return fs;
    }

    /**
     * Writes the centroids of a k-means index (fvecs layout) under a name of this run; returns its manifest
     * entry. The rows are those the segments' headers took their centroid CRC32C from, bit for bit.
     */
    IndexManifest.FileRef writeCentroids(String runId, Partitioning partitioning) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int count = partitioning.centroidCount();
        try (VecsWriter writer = new VecsWriter(bytes, VecsFormat.FVECS)) {
            for (int c = 0; c < count; c++) {
                writer.writeFloats(partitioning.centroids, c * partitioning.dimension, partitioning.dimension);
            }
        }
        byte[] data = bytes.toByteArray();
        String relative = "routing/" + runId + "-centroids.fvecs";
        Path file = new Path(root, relative);
        HadoopWrites.create(fs, file, false, out -> out.write(data));
        rewriteUntilKept(file, data);
        CRC32C crc = new CRC32C();
        crc.update(data);
        return new IndexManifest.FileRef(relative, count, data.length, crc.getValue());
    }

    /**
     * On an object store, reads {@code file} (just written with {@code data}) back and writes it again while the store
     * keeps other bytes, as the tasks do with their segments: this is the driver, with no task retry to do it (review
     * helper 96; probe helper 97 for the manifest itself).
     */
    private void rewriteUntilKept(Path file, byte[] data) throws IOException {
        for (int attempt = 1; HadoopWrites.needsReadBack(fs) && !storedAlike(file, data); attempt++) {
            if (attempt == 3) {
                throw new IOException(file + ": the store kept other bytes than the " + data.length + " written, 3 times");
            }
            HadoopWrites.create(fs, file, true, out -> out.write(data));
        }
    }

    /**
     * After the manifest's PUT: the store keeps what was sent, or another build's whole manifest landed since (this one
     * lost the race, its files left for vacuum); a damaged one is written again.
     */
    private void keptAsWritten(byte[] data) throws IOException {
        if (!HadoopWrites.needsReadBack(fs) || holds(data)) {
            return;
        }
        try (java.io.InputStream in = fs.open(manifestPath)) {
            IndexManifest.parse(in.readAllBytes(), manifestPath.toString());
            LOG.warn("output {}: another build's manifest replaced this one's right after its commit", root);
            return;
        } catch (FileNotFoundException | io.hnswseg.manifest.InvalidManifestException damaged) {
            // Ours, damaged on its way or on the store: written again below.
        }
        try {
            rewriteUntilKept(manifestPath, data);
        } catch (IOException e) {
            throw new IOException(e.getMessage() + ": the index there cannot be read until a build commits there again", e);
        }
    }

    /** Whether {@code file} holds exactly {@code data} (no file: no). */
    private boolean storedAlike(Path file, byte[] data) throws IOException {
        try (java.io.InputStream in = fs.open(file)) {
            return java.util.Arrays.equals(in.readAllBytes(), data);
        } catch (FileNotFoundException e) {
            return false;
        }
    }

    /**
     * Writes the manifest in one atomic step (a PUT where that is atomic, write-then-rename elsewhere),
     * after checking that the output's manifest is still what it was when the build started. On S3A the PUT
     * itself is conditional on that ({@link S3ManifestPut}); elsewhere a new output's manifest is renamed
     * without replacing (atomic on HDFS; the local file system checks, then renames), a replacement's over
     * the old one.
     * {@code testFault}: a test hook's fault to inject before the write (see {@link TestFaults}); null outside tests.
     *
     * @throws InvalidInputException when an index was committed to the output while this build ran
     */
    void commit(IndexManifest manifest, String runId, String testFault) throws IOException {
        if (!sameState(before, status(fs, manifestPath))) {
            throw refused(runId, null);
        }
        TestFaults.beforeManifest(testFault, fs, manifestPath, runId);
        refuseIfFilesGone(manifest, runId);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        manifest.writeTo(bytes);
        String scheme = root.toUri().getScheme() == null ? "file" : root.toUri().getScheme().toLowerCase(Locale.ROOT);
        if (ATOMIC_PUT.contains(scheme)) {
            writing = true;
            if (fs.getClass().getName().equals(S3A)) {
                S3ManifestPut.Result put;
                try {
                    put = conditionalPut(fs, manifestPath, bytes.toByteArray(), before);
                } catch (IOException e) {
                    try {
                        if (holds(bytes.toByteArray())) {
                            return;
                        }
                    } catch (IOException unreadable) {
                        e.addSuppressed(unreadable);
                    }
                    // Said with the object and what became of the build: the store's words alone ("SlowDown ... Status
                    // Code: 503") named neither (probe helper 94).
                    throw Causes.retold(new IOException("output " + root + ": writing " + manifestPath + " failed (" + Causes.firstLine(e)
                            + "); this build's files are kept in case the store took it after all: look at the manifest there,"
                            + " and `hnswseg vacuum` removes them if it does not list them"), e);
                }
                switch (put.outcome()) {
                    case WRITTEN -> {
                        keptAsWritten(bytes.toByteArray());
                        return;
                    }
                    case CONFLICT -> {
                        // A PUT that landed but whose answer was lost is retried by the client, and the retry is
                        // refused: the manifest there is then this build's own.
                        if (holds(bytes.toByteArray())) {
                            return;
                        }
                        throw refused(runId, "the store refused the conditional write: " + put.detail());
                    }
                    case UNDECIDED -> {
                        if (holds(bytes.toByteArray())) {
                            return;
                        }
                        // Removing this build's files now could leave a manifest that lands later listing none of them.
                        throw new IOException("output " + root + ": another write to " + IndexManifest.FILE_NAME + " was still under"
                                + " way after " + S3ManifestPut.ATTEMPTS + " tries (" + put.detail() + "), possibly this build's own"
                                + " retried one: whether this build is committed is not known. Its files are kept; look at the"
                                + " manifest there, and `hnswseg vacuum` removes them if it does not list them.");
                    }
                    case UNSUPPORTED -> LOG.warn("output {}: the manifest is written with a plain PUT, not a conditional one ({}):"
                            + " a build committing there at the same moment would be replaced", root, put.detail());
                }
            } else if (scheme.startsWith("s3")) {
                LOG.warn("output {}: its file system ({}) is not S3A: the manifest is written with a plain PUT, not a conditional one,"
                        + " so a build committing there at the same moment would be replaced", root, fs.getClass().getName());
            }
            HadoopWrites.create(fs, manifestPath, true, bytes::writeTo);
            keptAsWritten(bytes.toByteArray());
            return;
        }
        // Where a created file is visible before it is complete (local disk, HDFS, ABFS), rename is the atomic step.
        Path staged = new Path(root, IndexManifest.FILE_NAME + "." + runId + ".tmp");
        try {
            HadoopWrites.create(fs, staged, false, out -> {
                TestFaults.whileStagingManifest(testFault, out);
                bytes.writeTo(out);
            });
            rewriteUntilKept(staged, bytes.toByteArray());
        } catch (IOException e) {
            // Nothing can have been committed (a partial staged file is removed by the write): the build's files go
            // with it, rather than wait for a vacuum (probe helper 57: a disk filling here kept them all).
            throw Causes.retold(new IOException("output " + root + ": the manifest could not be staged (" + Causes.firstLine(e)
                    + "); nothing committed, this build's files removed"), e);
        }
        writing = true;
        if (before != null && fs instanceof org.apache.hadoop.fs.LocalFileSystem local) {
            replaceLocally(local, staged);
            return;
        }
        try {
            FileContext.getFileContext(root.toUri(), hadoop).rename(staged, manifestPath,
                    before == null ? Options.Rename.NONE : Options.Rename.OVERWRITE);
        } catch (FileAlreadyExistsException e) {
            fs.delete(staged, false);
            throw refused(runId, null);
        }
    }

    /**
     * Puts the staged manifest in the replaced one's place on local disk in one step, rename(2). Hadoop's local rename
     * with OVERWRITE deletes the old manifest and then renames: a driver killed between the two left an output with no
     * manifest at all, and a reader opening it then found none (probe helper 57). The checksum file Hadoop keeps beside
     * each file goes first (a manifest without one reads unchecked; the old one would not match the new manifest), and
     * the staged manifest's follows it.
     */
    private void replaceLocally(org.apache.hadoop.fs.LocalFileSystem local, Path staged) throws IOException {
        java.nio.file.Path checksum = local.pathToFile(local.getChecksumFile(manifestPath)).toPath();
        java.nio.file.Path stagedChecksum = local.pathToFile(local.getChecksumFile(staged)).toPath();
        java.nio.file.Files.deleteIfExists(checksum);
        java.nio.file.Files.move(local.pathToFile(staged).toPath(), local.pathToFile(manifestPath).toPath(),
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        if (java.nio.file.Files.exists(stagedChecksum)) {
            java.nio.file.Files.move(stagedChecksum, checksum, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }
    }

    /**
     * Refuses to commit a manifest that lists a file no longer there, or of another size: something removed this
     * build's files while it ran (a vacuum with a grace period shorter than the build, before leases, or a
     * person). The build had committed such an index, exit 0, that no reader could open (probe helper 30).
     */
    private void refuseIfFilesGone(IndexManifest manifest, String runId) throws IOException {
        Map<String, Long> listed = Leases.filesOf(manifest);
        List<String> gone = Vacuum.unlike(listed, Vacuum.sizes(new FileStatus[][]{list("segments"), list("routing")})).stream()
                .map(Vacuum.Unlike::describe).collect(java.util.stream.Collectors.toList());
        if (!gone.isEmpty()) {
            abandon(runId);
            throw new IOException("output " + root + ": " + gone.size() + " of the " + listed.size() + " files this build wrote"
                    + " are gone or changed (" + String.join(", ", gone.subList(0, Math.min(3, gone.size())))
                    + (gone.size() > 3 ? ", ..." : "") + "): removed while the build ran, by a `hnswseg vacuum` or by hand?"
                    + " Nothing committed, this build's files removed");
        }
    }

    /**
     * The conditional PUT on S3A, or {@link S3ManifestPut.Outcome#UNSUPPORTED} where this JVM cannot make
     * one: {@link S3ManifestPut} links against hadoop-aws and the AWS SDK, which a cluster may lack or ship
     * older (Hadoop 3.4.1's SDK predates conditional writes), and is loaded only through here.
     */
    static S3ManifestPut.Result conditionalPut(FileSystem fs, Path path, byte[] data, FileStatus before) throws IOException {
        try {
            return S3ManifestPut.put(fs, path, data, before);
        } catch (LinkageError e) {
            return new S3ManifestPut.Result(S3ManifestPut.Outcome.UNSUPPORTED,
                    "this JVM's S3A or AWS SDK lacks the calls a conditional write needs: " + e);
        }
    }

    /** Whether the output's manifest holds exactly {@code data}. */
    private boolean holds(byte[] data) throws IOException {
        return storedAlike(manifestPath, data);
    }

    /**
     * Removes this run's files and returns the failure to throw: an index was committed to the output while
     * this build ran, or the one it was to replace changed. {@code how}: how that was seen, when not by the re-check.
     */
    private InvalidInputException refused(String runId, String how) {
        IOException notRemoved = null;
        try {
            abandon(runId);
        } catch (IOException e) {
            notRemoved = e;
        }
        InvalidInputException refused = new InvalidInputException("output " + root + ": an index was committed there while this build ran"
                + (before == null ? "" : " (the one it was to replace changed)") + (how == null ? "" : " (" + how + ")")
                + "; nothing committed, " + (notRemoved == null ? "this build's files removed. " : "this build's files not all removed"
                + " (" + notRemoved.getMessage() + "; `hnswseg vacuum` removes them). ")
                + (overwrite ? "Run it again to replace the new index." : "Pass --overwrite to replace it."));
        if (notRemoved != null) {
            refused.addSuppressed(notRemoved);
        }
        return refused;
    }

    private static boolean sameState(FileStatus a, FileStatus b) {
        if (a == null || b == null) {
            return a == b;
        }
        return a.getModificationTime() == b.getModificationTime() && a.getLen() == b.getLen();
    }

    /** Deletes this run's segment files that the manifest does not list (failed or speculative attempts). */
    int deleteUnlisted(String runId, Set<String> listed) throws IOException {
        int deleted = 0;
        for (FileStatus f : list("segments")) {
            String relative = "segments/" + f.getPath().getName();
            if (f.getPath().getName().startsWith(runId + "-") && !listed.contains(relative)) {
                deleted += fs.delete(f.getPath(), false) ? 1 : 0;
            }
        }
        return deleted;
    }

    /** Deletes every file this run wrote (a build that does not commit). */
    void abandon(String runId) throws IOException {
        for (String dir : new String[]{"segments", "routing"}) {
            for (FileStatus f : list(dir)) {
                if (f.getPath().getName().startsWith(runId + "-")) {
                    fs.delete(f.getPath(), false);
                }
            }
        }
    }

    /**
     * A run id for this build that no file of the output carries yet: {@link #deleteUnlisted} and
     * {@link #abandon} delete by run id, so an id drawn twice in one output would take an earlier index's
     * segments with it. Eight hex digits keep names short; the check, not their odds, makes them unique.
     */
    String startRun() throws IOException {
        String runId = newRunId(() -> UUID.randomUUID().toString().substring(0, 8));
        lease = BuildLease.take(fs, root, runId);
        this.runId = runId;
        return runId;
    }

    /** Ends this build's lease, committed or not (its files are then the manifest's, or leftovers). */
    @Override
    public void close() {
        if (lease != null) {
            lease.close();
            lease = null;
        }
    }

    /** A run id no file at the output carries, drawn from {@code draw} ({@link #startRun} draws at random; tests make it repeat). */
    String newRunId(Supplier<String> draw) throws IOException {
        Set<String> taken = new HashSet<>();
        for (String dir : new String[]{"segments", "routing"}) {
            for (FileStatus f : list(dir)) {
                taken.add(Vacuum.runOfBuilt(f.getPath().getName()));
            }
        }
        for (FileStatus f : list(root)) {
            String run = Vacuum.runOfTopLevel(f.getPath().getName());
            if (run != null) {
                taken.add(run);
            }
        }
        for (int attempt = 0; attempt < 1000; attempt++) {
            String id = draw.get();
            if (!taken.contains(id)) {
                return id;
            }
        }
        throw new IOException("output " + root + ": no unused run id after 1000 draws");
    }

    private FileStatus[] list(String dir) throws IOException {
        return list(new Path(root, dir));
    }

    private FileStatus[] list(Path dir) throws IOException {
        try {
            return fs.listStatus(dir);
        } catch (FileNotFoundException e) {
            return new FileStatus[0];
        }
    }

    Path root() {
        return root;
    }

    FileSystem fs() {
        return fs;
    }
}
