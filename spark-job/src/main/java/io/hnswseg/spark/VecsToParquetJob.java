package io.hnswseg.spark;

import org.apache.hadoop.conf.Configuration;
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
        if (idColumn.equals(vectorColumn)) {
            throw new InvalidInputException("--id-col and --vector-col are both " + idColumn + ": give the columns two names");
        }
        // A taken output or a bad input is told before Spark's start-up (about 9 s here), not after it.
        Configuration hadoop = session.hadoopConfiguration();
        refuseExistingOutput(hadoop);
        VecsInput.open(input, vecsFormat, hadoop, "input");
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
        refuseExistingOutput(hadoop);
        VecsInput vecs = VecsInput.open(input, vecsFormat, hadoop, "input");
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
        // ErrorIfExists: an output made meanwhile is refused by Spark too; Spark's commit moves the files in at the end.
        try {
            spark.createDataFrame(table, schema).write().mode(SaveMode.ErrorIfExists).parquet(output);
        } catch (Exception e) {
            if (e instanceof org.apache.spark.SparkException) {
                removeFailedOutput(hadoop);
            }
            throw e;
        }
        return rows;
    }

    /**
     * Removes what a failed write left at the output, which did not exist when the command started (Spark leaves the
     * directory, and with a committer that moves each task's files in at once, those files): a retry would find it
     * taken, and a table without its {@code _SUCCESS} could pass for a whole one.
     */
    private void removeFailedOutput(Configuration hadoop) throws IOException {
        Path out = new Path(output);
        FileSystem fs = out.getFileSystem(hadoop);
        if (fs.exists(out) && !fs.exists(new Path(out, "_SUCCESS"))) {
            fs.delete(out, true);
        }
    }

    /**
     * Refuses an output that exists (a table, an index, the input itself), before any input is read; Spark's
     * {@code ErrorIfExists} would refuse it as well, with a longer message.
     */
    private void refuseExistingOutput(Configuration hadoop) throws IOException {
        Path out = new Path(output);
        FileSystem fs = out.getFileSystem(hadoop);
        if (fs.exists(out)) {
            throw new InvalidInputException("--output " + output + " exists: give a new directory (to-parquet replaces nothing)");
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
