package io.hnswseg.spark;

import io.hnswseg.manifest.IndexManifest;
import io.hnswseg.manifest.Leases;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.util.UUID;

/**
 * Where a batch search's Parquet results go, complete or not at all: each task attempt writes its own file
 * into a staging directory beside the output; the driver keeps the files of the attempts Spark kept, renames the
 * staging directory to the output, and only then adds {@code _SUCCESS} (holding a mark of this job, which
 * {@code overwrite} looks for). A failed job leaves the
 * output as it was; {@code overwrite} replaces an existing output only once the new results are complete.
 * A killed job cannot clean up: a {@link BuildLease} beside its staging says it runs, until its results are in
 * place, and the next job to the same output removes a staging whose lease lapsed (probe helper 40: 410 MB left
 * for good), and names one that holds results never put in place. Two jobs to one output put their results in place
 * in turn, under a lock beside it.
 */
final class SearchOutput {

    private static final String SUCCESS = "_SUCCESS";
    /** What {@link #write} puts in {@code _SUCCESS}, so that {@code --overwrite} knows its own results from any other table. */
    private static final byte[] MARK = "hnswseg search-job results\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    /** Where tasks write inside staging: a name Parquet readers skip (leading underscore). */
    private static final String ATTEMPTS = "_attempts";
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SearchOutput.class);
    private final String output;
    private final Path path;
    private final FileSystem fs;
    private final boolean overwrite;

    SearchOutput(String output, Path path, FileSystem fs, boolean overwrite) {
        this.output = output;
        this.path = path;
        this.fs = fs;
        this.overwrite = overwrite;
    }

    /**
     * Checks the output before anything is read: apart from the index and the queries (neither equal to it,
     * inside it nor holding it), absent unless {@code overwrite}, and then only earlier results of this job or
     * an empty directory, its parent usable.
     *
     * @param queries the paths the queries are read from (a file, a table's directory, or a Dataset's table roots)
     */
    static SearchOutput prepare(String output, Configuration conf, boolean overwrite, String index, String... queries) throws IOException {
        S3Endpoints.reachable(conf, output, index);
        S3Endpoints.reachable(conf, queries);
        Overlap.refuse(conf, "--output", output, "--index", index);
        for (String q : queries) {
            Overlap.refuse(conf, "--output", output, "--queries", q);
        }
        return at(output, conf, overwrite);
    }

    /** The output's own checks of {@link #prepare}: not a root, absent unless {@code overwrite} (then earlier results), a parent that is no file. */
    /** Where the results go, qualified. */
    Path path() {
        return path;
    }

    static SearchOutput at(String output, Configuration conf, boolean overwrite) throws IOException {
        Path given = new Path(output);
        FileSystem fs = given.getFileSystem(conf);
        // Qualified on the driver: the staging directory it names is where the tasks write, and a relative one meant each
        // executor's own working directory (review helper 96).
        Path path = fs.makeQualified(given);
        if (path.getParent() == null) {
            // Its staging goes beside it: at a root there is no beside (review helper 64: a bucket's root failed after the search).
            throw new InvalidInputException("output " + output + " is the root of its file system or bucket; write the results to a"
                    + " directory under it");
        }
        SearchOutput out = new SearchOutput(output, path, fs, overwrite);
        out.checkAbsent();
        FileStatus parent = Vacuum.status(fs, path.getParent());
        if (parent != null && !parent.isDirectory()) {
            throw new InvalidInputException("output " + output + ": its parent " + path.getParent() + " is a file");
        }
        return out;
    }

    private void checkAbsent() throws IOException {
        FileStatus status = Vacuum.status(fs, path);
        if (status != null && !overwrite) {
            throw new InvalidInputException("output " + output + " already exists" + (status.isDirectory() ? "" : " (a file)")
                    + "; pass --overwrite to replace it once the new results are complete");
        }
        if (status != null) {
            String other = notResults(status);
            if (other != null) {
                throw new InvalidInputException("output " + output + " is not the results of an earlier search (" + other
                        + "): --overwrite replaces only those; choose another --output");
            }
        }
    }

    /**
     * Why an existing output is not what {@link #write} leaves (a directory of {@code part-*} files and
     * {@code _SUCCESS}, and the hidden or underscored files of file systems and of Spark), or null when it is:
     * {@code --overwrite} deletes the output whole, so it must never take an index or other data with it.
     */
    private String notResults(FileStatus status) throws IOException {
        if (!status.isDirectory()) {
            return "a file";
        }
        FileStatus[] files = fs.listStatus(path);
        for (FileStatus f : files) {
            String name = f.getPath().getName();
            if (name.equals(IndexManifest.FILE_NAME)) {
                return "it holds an hnswseg index, " + IndexManifest.FILE_NAME;
            }
            // An _attempts/ of its own: a task attempt outliving the job can write there after it was emptied, and the
            // rename takes it along (review helper 64). Only result files in it: the _SUCCESS mark vouches for the top
            // level alone, and an index built at results/_attempts was deleted with it (review helper 70).
            boolean ours = f.isDirectory() ? name.equals(ATTEMPTS) && onlyResultFiles(f.getPath())
                    : name.startsWith("part-") || name.startsWith("_") || name.startsWith(".");
            if (!ours) {
                return "it holds " + name + (f.isDirectory() ? "/" : "");
            }
        }
        if (files.length == 0) {
            return null;
        }
        // Any Spark table has part files and _SUCCESS: only this job's mark in it tells results from a dataset.
        byte[] mark = new byte[MARK.length];
        try (var in = fs.open(new Path(path, SUCCESS))) {
            if (in.readNBytes(mark, 0, MARK.length) != MARK.length || !java.util.Arrays.equals(mark, MARK)) {
                return "its " + SUCCESS + " is not search-job's";
            }
        } catch (java.io.FileNotFoundException e) {
            return "no " + SUCCESS + " in it: a search-job that ended while moving its results there left them incomplete;"
                    + " delete it if so";
        }
        return null;
    }

    /** Whether {@code dir} holds only files a task attempt writes: its part files (and their checksum files). */
    private boolean onlyResultFiles(Path dir) throws IOException {
        FileStatus[] files;
        try {
            files = fs.listStatus(dir);
        } catch (java.io.FileNotFoundException e) {
            // Listed by its parent, gone when asked: an empty directory's marker on a store that keeps one (s3proxy's file
            // backend kept _attempts/), which made every --overwrite of those results fail (probe helper 84).
            return true;
        }
        for (FileStatus f : files) {
            String name = f.getPath().getName();
            if (f.isDirectory() || !(name.startsWith("part-") || name.startsWith(".part-"))) {
                return false;
            }
        }
        return true;
    }

    /**
     * Runs the search, its results written to staging, then puts them in place; returns the rows written.
     * Tasks write into {@code _attempts/} inside staging, which readers of Parquet skip; the files of the
     * attempts Spark kept are moved up out of it, so a failed attempt's file, or one a
     * lingering attempt writes later, is never read as part of the results.
     */
    long write(IndexSearch search) throws IOException {
        removeLapsedStagings();
        String run = UUID.randomUUID().toString().substring(0, 8);
        Path staging = new Path(path.getParent(), stagingPrefix() + run + STAGING_SUFFIX);
        // Beside the staging, not in it, and held until the rename is done: S3A renames a directory by copying and
        // deleting its keys in pages, in key order, so a lease or _SUCCESS inside would be gone from the staging
        // while part files still sit there (review helper 41).
        try (BuildLease lease = BuildLease.takeAt(fs, new Path(path.getParent(), stagingPrefix() + run + LEASE_SUFFIX), "search-job")) {
            return write(search, staging);
        }
    }

    private long write(IndexSearch search, Path staging) throws IOException {
        Path attempts = new Path(staging, ATTEMPTS);
        long rows = -1;
        try {
            long written = 0;
            // The tasks of a failed search have ended before its staging is removed and its leases ended (probe helper 86).
            for (ResultWriter.ResultFile f : OwnJobs.run(search.spark.sparkContext(), "search into " + output,
                    () -> search.writeTo(attempts.toString()))) {
                if (!fs.rename(new Path(attempts, f.name), new Path(staging, f.name))) {
                    throw new IOException("cannot move " + f.name + " from " + attempts + " to " + staging);
                }
                written += f.rows;
            }
            fs.delete(attempts, true);
            rows = written;
        } finally {
            if (rows < 0) {
                // A failed job (Spark's exceptions are not all runtime ones) leaves no staging behind.
                fs.delete(staging, true);
            }
        }
        putInPlace(staging);
        return rows;
    }

    /**
     * Moves complete results from {@code staging} to the output, and only then marks them complete with {@code _SUCCESS}:
     * S3A renames a directory by copying its keys in key order, {@code _SUCCESS} before {@code part-*}, so a mark made in
     * the staging would have stood over part of the results when the job ended mid-rename.
     */
    private void putInPlace(Path staging) throws IOException {
        // Two --overwrite runs each deleted the output and renamed their staging there: the one that finished first could
        // lose its results while reporting them written, and on S3 mark the other's half-renamed ones complete (review
        // helper 70).
        try (BuildLease lock = OutputLock.take(fs, new Path(path.getParent(), lockName()), output)) {
            putInPlaceLocked(staging);
        }
    }

    private void putInPlaceLocked(Path staging) throws IOException {
        // Checked again: an output created while the job ran is not replaced without overwrite. The results stay where
        // they are, and the message says where (review helper 64: a later job only warns of the staging left).
        try {
            checkAbsent();
        } catch (InvalidInputException e) {
            throw new InvalidInputException(e.getMessage() + "; this search's results are complete at " + staging
                    + ", to move there yourself or delete");
        }
        if (overwrite && Vacuum.status(fs, path) != null && !fs.delete(path, true)) {
            throw new IOException("cannot remove the old " + output + "; the new results are complete at " + staging);
        }
        boolean renamed;
        try {
            renamed = fs.rename(staging, path);
        } catch (IOException e) {
            // S3A renames a directory by copying its keys, then deleting them: a failure between leaves copies in the output,
            // without _SUCCESS, and the message named neither place (probe helper 74: a store without bulk deletes).
            throw Causes.retold(new IOException("moving the results from " + staging + " to " + output + " failed (" + Causes.firstLine(e)
                    + "): " + output + " may hold part of them, without " + SUCCESS + "; the complete results are at " + staging
                    + " (on S3 without multi-object delete, set spark.hadoop.fs.s3a.multiobjectdelete.enable=false)"), e);
        }
        if (!renamed) {
            throw new IOException("cannot rename " + staging + " to " + output + "; the results are complete at " + staging);
        }
        Path nested = new Path(path, staging.getName());
        if (Vacuum.status(fs, nested) != null) {
            // The output was made between the check and the rename, and local disks and HDFS move a directory renamed
            // onto another into it (review helper 64).
            // Back only to a staging still absent: a late task attempt may have made it again (review helper 70).
            boolean back = Vacuum.status(fs, staging) == null && fs.rename(nested, staging);
            throw new InvalidInputException("output " + output + " was created by someone else while this search moved its results"
                    + " there; this search's results are complete at " + (back ? staging : nested) + ", to move there yourself or delete");
        }
        try {
            HadoopWrites.create(fs, new Path(path, SUCCESS), false, success -> success.write(MARK));
        } catch (IOException e) {
            throw Causes.retold(new IOException("the results are complete at " + output + ", but its " + SUCCESS + " could not be written ("
                    + Causes.firstLine(e) + "); without it a later --overwrite refuses them, so delete them before running again"), e);
        }
    }

    private static final String STAGING_SUFFIX = ".staging";
    private static final String LEASE_SUFFIX = ".lease";
    private static final String LOCK_SUFFIX = ".lock";

    /** The lock a job holds while it puts its results in place ({@link OutputLock}), beside the output. */
    private String lockName() {
        return stagingPrefix() + "put" + LOCK_SUFFIX;
    }

    private String stagingPrefix() {
        return "." + path.getName() + ".hnswseg-";
    }

    /**
     * Removes what earlier jobs to this output left when killed: a staging directory whose lease (beside it) lapsed,
     * that is itself older than a lease's life (one just made has no lease yet) and that holds no results moved up
     * from its attempts ({@code part-*} or {@code _SUCCESS}: those are complete, or half renamed into place, and named
     * in the log for the user to keep or delete), and lapsed leases of stagings that are gone. A staging whose lease
     * is live is another job's, running now. Also lapsed locks, and the write probes ({@link StoreClock}) of jobs killed
     * between a probe's write and its delete. Best effort: what cannot be listed or removed is logged and left.
     */
    void removeLapsedStagings() {
        Path parent = path.getParent();
        try {
            if (parent == null || Vacuum.status(fs, parent) == null) {
                return;
            }
            StoreClock clock = StoreClock.of(fs, parent);
            if (!clock.measured()) {
                LOG.warn("could not read the clock of the store at {} (a probe file could not be written there): the stagings of"
                        + " earlier search-jobs to {} are taken as live and left as they are", parent, output);
            }
            long now = clock.leaseNow();
            FileStatus[] siblings = fs.listStatus(parent);
            java.util.Map<String, FileStatus> leases = new java.util.HashMap<>();
            for (FileStatus f : siblings) {
                String run = runOf(f, LEASE_SUFFIX);
                if (run != null && f.isFile()) {
                    leases.put(run, f);
                }
            }
            java.util.Set<String> stagings = new java.util.HashSet<>();
            for (FileStatus f : siblings) {
                String run = runOf(f, STAGING_SUFFIX);
                if (run != null && f.isDirectory()) {
                    stagings.add(run);
                    removeIfLapsed(f, leases.get(run), now);
                }
            }
            for (FileStatus f : siblings) {
                String name = f.getPath().getName();
                // A write probe lives for a write and a delete: one older than a lease's life was left by a job killed between.
                boolean probe = name.startsWith(IndexCommit.WRITE_PROBE_PREFIX) && f.isFile();
                if ((probe || OutputLock.isLeftover(name, lockName())) && !BuildLease.isLive(f, now)) {
                    fs.delete(f.getPath(), false);
                }
            }
            for (java.util.Map.Entry<String, FileStatus> lease : leases.entrySet()) {
                if (!stagings.contains(lease.getKey()) && !BuildLease.isLive(lease.getValue(), now)) {
                    fs.delete(lease.getValue().getPath(), false);
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("could not look for the stagings of earlier search-jobs to {} ({}): left as they are", output, e.toString());
        }
    }

    /** The run id of a sibling named as this output's staging or lease ({@code suffix}), else null. */
    private String runOf(FileStatus f, String suffix) {
        String name = f.getPath().getName();
        return name.startsWith(stagingPrefix()) && name.endsWith(suffix) && name.length() > stagingPrefix().length() + suffix.length()
                ? name.substring(stagingPrefix().length(), name.length() - suffix.length()) : null;
    }

    private void removeIfLapsed(FileStatus staging, FileStatus lease, long now) throws IOException {
        // Judged by its lease, which a job takes before it makes its staging. Only a staging without one is judged by its
        // own age (from a version that made the lease later); S3A gives a directory the time of the listing, so a killed
        // job's staging there looked just made for good (probe helper 74).
        // S3A stamps a directory with this machine's time of the listing, HDFS with the store's: live by either clock is live.
        if (lease != null ? BuildLease.isLive(lease, now) : BuildLease.isLive(staging, Math.min(now, System.currentTimeMillis()))) {
            LOG.info("{} is the staging of a search-job to {} that is running (or ended less than {} ago): left alone",
                    staging.getPath(), output, Leases.LAPSES_AFTER);
            return;
        }
        FileStatus[] inside;
        try {
            inside = fs.listStatus(staging.getPath());
        } catch (java.io.FileNotFoundException gone) {
            return; // renamed into place or removed since the listing
        }
        if (java.util.Arrays.stream(inside).anyMatch(f -> f.getPath().getName().equals(SUCCESS) || f.getPath().getName().startsWith("part-"))) {
            LOG.warn("{} holds results of an earlier search-job to {} that ended while putting them in place: left for you"
                    + " to keep (rename it) or delete", staging.getPath(), output);
        } else if (fs.delete(staging.getPath(), true)) {
            LOG.info("removed {}, the staging of an earlier search-job to {} that did not finish", staging.getPath(), output);
            if (lease != null) {
                fs.delete(lease.getPath(), false);
            }
        }
    }
}
