package io.hnswseg.spark;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.LongStream;

/**
 * The to-parquet command: {@code bin/hnswseg to-parquet --input F.fvecs|F.bvecs --output DIR}. Writes a vectors file as
 * the Parquet table the build and search-job read ({@code id bigint, vector array<float>}, ids = row numbers), so that the
 * user's own path, Parquet in, can be tried on the fvecs datasets. Each file of the table is one task streaming its
 * rows from one seek into the file; an existing output is refused (it is never replaced, so nothing there is lost).
 */
@Command(name = "to-parquet", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Write an .fvecs or .bvecs file as a Parquet table (id bigint = row number, vector array<float>), the "
                + "input build and search-job take from a table.")
public final class VecsToParquetJob implements Callable<Integer> {

    @Option(names = "--input", required = true, description = "the vectors: an .fvecs or .bvecs file (local path, file:, hdfs://, s3a://, ...)")
    String input;

    @Option(names = "--output", required = true, description = "the table's directory, which must not exist yet")
    String output;

    @Option(names = "--format", description = "fvecs or bvecs (default: from the extension)")
    String format;

    @Option(names = "--files", defaultValue = "4", description = "Parquet files of the table, each written by one task, "
            + "never more files than rows (default: ${DEFAULT-VALUE})")
    int files;

    @Option(names = "--id-col", defaultValue = "id", description = "the id column's name (default: ${DEFAULT-VALUE})")
    String idColumn;

    @Option(names = "--vector-col", defaultValue = "vector", description = "the vector column's name (default: ${DEFAULT-VALUE})")
    String vectorColumn;

    @Mixin
    SessionOptions session;

    public static void main(String[] args) {
        System.exit(io.hnswseg.cli.UsageErrors.execute(commandLine(), args, "hnswseg to-parquet", SessionOptions.MORE_MEMORY));
    }

    static picocli.CommandLine commandLine() {
        return SessionOptions.commandLine(new VecsToParquetJob(), "to-parquet");
    }

    @Override
    public Integer call() throws Exception {
        String vecsFormat = format();
        if (files < 1) {
            throw new InvalidInputException("--files must be >= 1, got " + files);
        }
        if (idColumn.equalsIgnoreCase(vectorColumn)) {
            // Spark's column names are case-insensitive: id and ID are one column to it.
            throw new InvalidInputException("--id-col " + idColumn + " and --vector-col " + vectorColumn + " name one column: give "
                    + "the columns two names");
        }
        // A taken output or a bad input is told before Spark's start-up (about 9 s here), not after it.
        open(session.hadoopConfiguration(), vecsFormat);
        SessionOptions.Started started = session.start("hnswseg to-parquet " + input);
        try {
            long rows = run(started.spark(), vecsFormat);
            System.out.printf("hnswseg to-parquet: %d rows to %s%n", rows, output);
        } finally {
            started.spark().stop();
        }
        return 0;
    }

    private String format() {
        String f = format != null ? format.toLowerCase(java.util.Locale.ROOT) : IndexBuild.inferFormat(input);
        if (!f.equals("fvecs") && !f.equals("bvecs")) {
            throw new InvalidInputException("--input " + input + ": give an .fvecs or .bvecs file (or --format fvecs|bvecs); "
                    + (format != null ? "--format " + format + " is not one of them" : "its name has neither extension"));
        }
        return f;
    }

    /** Writes the table on a session (tests call this directly); returns the rows written. */
    long run(SparkSession spark, String vecsFormat) throws Exception {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Configuration hadoop = jsc.hadoopConfiguration();
        VecsInput vecs = open(hadoop, vecsFormat);
        int parts = (int) Math.max(1, Math.min(files, vecs.rows));
        long rows = vecs.rows;
        java.util.Map<String, String> settings = IndexBuild.settings(hadoop);
        JavaRDD<Row> table = jsc.parallelize(LongStream.range(0, parts).boxed().collect(Collectors.toList()), parts)
                .mapPartitions(part -> {
                    long file = part.next();
                    long first = rows * file / parts;
                    return new Rows(vecs.rows(first, rows * (file + 1) / parts - first, IndexBuild.conf(settings)));
                });
        StructType schema = new StructType().add(idColumn, DataTypes.LongType, false)
                .add(vectorColumn, DataTypes.createArrayType(DataTypes.FloatType, false), false);
        try {
            // ErrorIfExists: an output made meanwhile is refused by Spark too, before it writes anything. The first commit
            // algorithm whatever the cluster's: the second moves each task's files into the output as the task ends, so
            // a killed job left part of a table there, which a build read as the whole (probe helper 115).
            spark.createDataFrame(table, schema).write().mode(SaveMode.ErrorIfExists)
                    .option("mapreduce.fileoutputcommitter.algorithm.version", "1").parquet(output);
        } catch (Exception e) {
            if (e instanceof org.apache.spark.sql.AnalysisException) {
                throw e; // refused before anything was written: what is at the output is not this command's
            }
            String left = removeFailedOutput(hadoop);
            if (left == null && e instanceof org.apache.spark.SparkException) {
                throw e; // a task's failure: its cause names the file and record
            }
            // The job's commit (an IOException of the store, say), or a clean-up that failed: said with the output.
            String why = SessionOptions.explain(e);
            InvalidInputException failed = new InvalidInputException("--output " + output + ": the table could not be written ("
                    + why + "); " + (left == null ? "nothing of it is left there" : left) + (why.contains("Status Code: 501")
                    ? " (a store without S3's multi-object delete, such as s3proxy: --conf spark.hadoop.fs.s3a.multiobjectdelete.enable=false)"
                    : ""));
            failed.initCause(e);
            throw failed;
        }
        return rows;
    }

    /**
     * The input, checked, once the output is known to be free and outside a table: {@link VecsInput#open}'s own checks
     * would suggest a Parquet table for a directory, which this command does not take.
     */
    private VecsInput open(Configuration hadoop, String vecsFormat) throws IOException {
        refuseOutput(hadoop);
        Path in = new Path(input);
        FileStatus status = Vacuum.status(in.getFileSystem(hadoop), in);
        if (status != null && status.isDirectory()) {
            throw new InvalidInputException("--input " + input + " is a directory: give an .fvecs or .bvecs file");
        }
        return VecsInput.open(input, vecsFormat, hadoop, "input");
    }

    /**
     * Removes what a failed write left at the output, which did not exist when the command started (Spark leaves the
     * directory, and after a failed commit the files of every task): a retry would find it taken, and a table without
     * its {@code _SUCCESS} could pass for a whole one. Returns null when removed, else what to tell the user.
     */
    private String removeFailedOutput(Configuration hadoop) {
        Path out = new Path(output);
        try {
            FileSystem fs = out.getFileSystem(hadoop);
            if (fs.exists(out) && !fs.exists(new Path(out, "_SUCCESS"))) {
                fs.delete(out, true);
            }
            return null;
        } catch (IOException | RuntimeException e) {
            return "what it left there could not be removed (" + SessionOptions.explain(e) + "): remove " + output + " before a retry";
        }
    }

    /**
     * Refuses an output that exists (a table, an index, the input itself; Spark's {@code ErrorIfExists} would refuse it
     * as well, with a longer message), and one inside a table's directory, which the table's readers then refuse or
     * misread (the build names the files of a subdirectory it would not read).
     */
    private void refuseOutput(Configuration hadoop) throws IOException {
        Path out = new Path(output);
        FileSystem fs = out.getFileSystem(hadoop);
        if (fs.exists(out)) {
            boolean whole = fs.exists(new Path(out, "_SUCCESS"));
            throw new InvalidInputException("--output " + output + " exists: give a new directory (to-parquet replaces nothing)"
                    + (whole || !fs.exists(new Path(out, "_temporary")) ? ""
                    : "; it holds an unfinished write's _temporary and no _SUCCESS, as a killed to-parquet leaves it: remove it and run again"));
        }
        Path parent = out.getParent();
        FileStatus[] beside = parent == null ? null : listed(fs, parent);
        if (beside != null && java.util.Arrays.stream(beside).anyMatch(f -> f.isFile() && isTableFile(f.getPath().getName()))) {
            throw new InvalidInputException("--output " + output + " is inside the table " + parent + ": give a directory outside it "
                    + "(a table's readers take its files, not a table beside them in a subdirectory)");
        }
    }

    private static boolean isTableFile(String name) {
        return name.endsWith(".parquet") || name.equals("_SUCCESS");
    }

    /** The parent's entries, or null when it does not exist (or is not a directory). */
    private static FileStatus[] listed(FileSystem fs, Path dir) throws IOException {
        try {
            return fs.listStatus(dir);
        } catch (java.io.FileNotFoundException e) {
            return null;
        }
    }

    /** A task's rows streamed from its source as Spark rows, the source closed at their end or when the task ends. */
    private static final class Rows implements Iterator<Row> {
        private final RowSource source;
        private boolean ahead;
        private boolean done;

        Rows(RowSource source) {
            this.source = source;
            TaskContext task = TaskContext.get();
            if (task != null) {
                task.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) context -> close());
            }
        }

        @Override
        public boolean hasNext() {
            if (!ahead && !done) {
                try {
                    ahead = source.next();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                if (!ahead) {
                    close();
                }
            }
            return ahead;
        }

        @Override
        public Row next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            ahead = false;
            // The source reuses its row array.
            return RowFactory.create(source.id(), source.vector().clone());
        }

        private void close() {
            if (done) {
                return;
            }
            done = true;
            try {
                source.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing " + e.getMessage(), e);
            }
        }
    }
}
