package io.hnswseg.spark;

import io.hnswseg.manifest.IndexManifest;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.util.UUID;

/**
 * Where a batch search's Parquet results go, complete or not at all: each task attempt writes its own file
 * into a staging directory beside the output; the driver keeps the files of the attempts Spark kept, adds
 * {@code _SUCCESS} (holding a mark of this job, which {@code overwrite} looks for), and only then renames the
 * staging directory to the output. A failed job leaves the
 * output as it was; {@code overwrite} replaces an existing output only once the new results are complete.
 * A killed job cannot clean up: its staging holds a {@link BuildLease} until its results are complete, and the
 * next job to the same output removes a staging whose lease lapsed (probe helper 40: 410 MB left for good), and
 * names one that holds complete results never put in place.
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

    private SearchOutput(String output, Path path, FileSystem fs, boolean overwrite) {
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
        Path path = new Path(output);
        FileSystem fs = path.getFileSystem(conf);
        SearchOutput out = new SearchOutput(output, path, fs, overwrite);
        out.checkAbsent();
        Path parent = path.getParent();
        if (parent != null) {
            FileStatus status = Vacuum.status(fs, parent);
            if (status != null && !status.isDirectory()) {
                throw new InvalidInputException("output " + output + ": its parent " + parent + " is a file");
            }
        }
        return out;
    }

    private void checkAbsent() throws IOException {
        FileStatus status = Vacuum.status(fs, path);
        if (status != null && !overwrite) {
            throw new InvalidInputException("output " + output + " already exists" + (status.isDirectory() ? "" : " (a file)")
                    + "; pass --overwrite (from Java: overwrite true) to replace it once the new results are complete");
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
            if (f.isDirectory() || !(name.startsWith("part-") || name.startsWith("_") || name.startsWith("."))) {
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
            return "no " + SUCCESS + " in it";
        }
        return null;
    }

    /**
     * Runs the search, its results written to staging, then puts them in place; returns the rows written.
     * Tasks write into {@code _attempts/} inside staging, which readers of Parquet skip; the files of the
     * attempts Spark kept are moved up beside {@code _SUCCESS}, so a failed attempt's file, or one a
     * lingering attempt writes later, is never read as part of the results.
     */
    long write(IndexSearch search) throws IOException {
        removeLapsedStagings();
        String run = UUID.randomUUID().toString().substring(0, 8);
        Path staging = new Path(path.getParent(), stagingPrefix() + run + STAGING_SUFFIX);
        Path attempts = new Path(staging, ATTEMPTS);
        long rows = -1;
        BuildLease lease = BuildLease.take(fs, staging, run, "search-job");
        try {
            long written = 0;
            for (ResultWriter.ResultFile f : search.writeTo(attempts.toString())) {
                if (!fs.rename(new Path(attempts, f.name), new Path(staging, f.name))) {
                    throw new IOException("cannot move " + f.name + " from " + attempts + " to " + staging);
                }
                written += f.rows;
            }
            fs.delete(attempts, true);
            try (var success = fs.create(new Path(staging, SUCCESS), false)) {
                success.write(MARK);
            }
            rows = written;
        } finally {
            // Complete results are told apart by their _SUCCESS from here on, incomplete ones are deleted now.
            lease.close();
            if (rows < 0) {
                // A failed job (Spark's exceptions are not all runtime ones) leaves no staging behind.
                fs.delete(staging, true);
            }
        }
        // Checked again: an output created while the job ran is not replaced without overwrite.
        checkAbsent();
        if (overwrite && Vacuum.status(fs, path) != null && !fs.delete(path, true)) {
            throw new IOException("cannot remove the old " + output + "; the new results are complete at " + staging);
        }
        if (!fs.rename(staging, path)) {
            throw new IOException("cannot rename " + staging + " to " + output + "; the results are complete at " + staging);
        }
        return rows;
    }

    private static final String STAGING_SUFFIX = ".staging";

    private String stagingPrefix() {
        return "." + path.getName() + ".hnswseg-";
    }

    /**
     * Removes the staging directories that earlier jobs to this output left when killed (no {@code _SUCCESS}, lease
     * lapsed), and names those holding complete results that were never put in place (a job ended between its
     * {@code _SUCCESS} and the rename): those are the user's to keep or delete. A staging whose lease is live is
     * another job's, running now, and is left alone.
     */
    private void removeLapsedStagings() throws IOException {
        Path parent = path.getParent();
        FileStatus[] siblings = parent == null || Vacuum.status(fs, parent) == null ? new FileStatus[0] : fs.listStatus(parent);
        long now = System.currentTimeMillis();
        for (FileStatus f : siblings) {
            String name = f.getPath().getName();
            if (!f.isDirectory() || !name.startsWith(stagingPrefix()) || !name.endsWith(STAGING_SUFFIX)) {
                continue;
            }
            FileStatus[] inside = fs.listStatus(f.getPath());
            if (!BuildLease.live(inside, now).isEmpty()) {
                LOG.info("{} is the staging of a search-job to {} that is running (or ended less than {} ago): left alone",
                        f.getPath(), output, BuildLease.LAPSES_AFTER);
            } else if (java.util.Arrays.stream(inside).anyMatch(s -> s.getPath().getName().equals(SUCCESS))) {
                LOG.warn("{} holds the complete results of an earlier search-job to {} that ended before putting them in"
                        + " place: left for you to keep (rename it) or delete", f.getPath(), output);
            } else if (fs.delete(f.getPath(), true)) {
                LOG.info("removed {}, the staging of an earlier search-job to {} that did not finish", f.getPath(), output);
            }
        }
    }
}
