package io.hnswseg.spark;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;

import java.io.IOException;
import java.util.UUID;

/**
 * Where a batch search's Parquet results go, complete or not at all: the job writes them (with Spark's
 * committer, {@code _SUCCESS} last) into a staging directory beside the output, and only a finished
 * write is renamed to the output. A failed job leaves the output as it was; {@code overwrite} replaces
 * an existing output only once the new results are complete.
 */
final class SearchOutput {

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

    /** Checks the output before anything is read: not an existing result without {@code overwrite}, its parent usable. */
    static SearchOutput prepare(String output, Configuration conf, boolean overwrite) throws IOException {
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
                    + "; pass --overwrite to replace it once the new results are complete");
        }
    }

    /** Writes the results to staging, then puts them in place; returns the rows written. */
    long write(Dataset<Row> results) throws IOException {
        Path staging = new Path(path.getParent(), "." + path.getName() + ".hnswseg-" + UUID.randomUUID().toString().substring(0, 8)
                + ".staging");
        long rows = -1;
        try {
            // Neighbour ids and distances hardly repeat: dictionary encoding would only cost time.
            results.write().mode(SaveMode.ErrorIfExists).option("parquet.enable.dictionary", "false").parquet(staging.toString());
            rows = results.sparkSession().read().parquet(staging.toString()).count();
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
