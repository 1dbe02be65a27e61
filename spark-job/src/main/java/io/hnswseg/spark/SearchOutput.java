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
 */
final class SearchOutput {

    private static final String SUCCESS = "_SUCCESS";
    /** What {@link #write} puts in {@code _SUCCESS}, so that {@code --overwrite} knows its own results from any other table. */
    private static final byte[] MARK = "hnswseg search-job results\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    /** Where tasks write inside staging: a name Parquet readers skip (leading underscore). */
    private static final String ATTEMPTS = "_attempts";
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
        Path staging = new Path(path.getParent(), "." + path.getName() + ".hnswseg-" + UUID.randomUUID().toString().substring(0, 8)
                + ".staging");
        Path attempts = new Path(staging, ATTEMPTS);
        long rows = -1;
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
}
