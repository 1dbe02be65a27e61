package io.hnswseg.spark;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.io.InterruptedIOException;

/**
 * hnswseg from Spark code (a notebook, an application): build an index from a table or a file, and search
 * one with a table of queries, without the command line, which is a thin wrapper of these.
 *
 * <pre>{@code
 * BuildSummary built = HnswsegSpark.build(embeddings, "s3a://bucket/indexes/products",
 *         new BuildOptions().vectorColumn("embedding").metric("cosine").partitions(16));
 * Dataset<Row> neighbours = HnswsegSpark.search(spark, "s3a://bucket/indexes/products", queries,
 *         new SearchOptions().k(10).vectorColumn("embedding"));
 * // or straight to Parquet, complete or not at all:
 * long rows = HnswsegSpark.searchToParquet(spark, "s3a://bucket/indexes/products", queries, "s3a://bucket/neighbours",
 *         new SearchOptions().k(10).vectorColumn("embedding"), false);
 * }</pre>
 */
public final class HnswsegSpark {

    private HnswsegSpark() {
    }

    /**
     * Builds an index from a table with an id column ({@code bigint} or {@code int}) and a vector column
     * ({@code array<float>}, {@code array<double>} or a Spark ML vector), and commits it at {@code output}.
     *
     * @throws InvalidInputException naming the problem (column, row id, option) when the input or the
     *                               output cannot be used; nothing is committed then
     * @throws IOException           when the output cannot be written, or the build fails otherwise: a failed or
     *                               cancelled Spark job's {@code SparkException} is its cause, an interrupt of the calling
     *                               thread an {@link InterruptedIOException}; the build's tasks have stopped by then
     */
    public static BuildSummary build(Dataset<Row> table, String output, BuildOptions options) throws IOException {
        return inputProblemsUnwrapped(() -> IndexBuild.fromTable(table.sparkSession(), table, output, options, 0));
    }

    /** Builds an index from a Parquet table or an fvecs/bvecs file at {@code input}; see {@link #build(Dataset, String, BuildOptions)}. */
    public static BuildSummary build(SparkSession spark, String input, String output, BuildOptions options) throws IOException {
        return inputProblemsUnwrapped(() -> IndexBuild.fromUri(spark, input, output, options, 0));
    }

    /**
     * The {@code k} nearest neighbours of every query in a table with an id column ({@code bigint} or
     * {@code int}) and a vector column ({@code array<float>}, {@code array<double>} or a Spark ML vector):
     * one row per query, {@code (id bigint, neighbors array<bigint>, distances array<float>)}, closest first.
     * The index's manifest is read and the queries' dimension checked now; the searches run when the result
     * is computed (each action searches again: write or cache it), each executor JVM sharing one reader. Unlike
     * {@link #searchToParquet}, it holds no lease on the index's files (it cannot tell when the caller's actions end):
     * a vacuum after the index is rebuilt in place may remove the files a later action reads.
     *
     * @param index the index's URI: a local directory, or any Hadoop file system ({@code hdfs://}, {@code s3a://}, ...)
     * @throws InvalidInputException naming the problem when the index, the queries or an option cannot be used
     */
    public static Dataset<Row> search(SparkSession spark, String index, Dataset<Row> queries, SearchOptions options) throws IOException {
        return IndexSearch.of(spark, index, queries, options).results();
    }

    /** Searches with the queries of a Parquet table or an fvecs/bvecs file at {@code queries}; see {@link #search(SparkSession, String, Dataset, SearchOptions)}. */
    public static Dataset<Row> search(SparkSession spark, String index, String queries, SearchOptions options) throws IOException {
        return IndexSearch.of(spark, index, queries, options).results();
    }

    /**
     * Searches as {@link #search(SparkSession, String, Dataset, SearchOptions)} does and writes the results
     * to {@code output} as Parquet, complete or not at all (what {@code search-job} runs): each task writes
     * its rows straight to a file, which is faster than writing the returned {@code Dataset} through Spark
     * SQL, and the output appears only once every task has finished, {@code _SUCCESS} last (an object store
     * copies a directory file by file, and a reader that waits for {@code _SUCCESS} then never sees half of it).
     *
     * @param overwrite replace an existing {@code output} of earlier results once the new results are complete
     *                  (anything else there, the index or the queries' table is refused); without it an
     *                  existing output is an error, checked before any query is read
     * @return the rows written, one per query
     */
    public static long searchToParquet(SparkSession spark, String index, Dataset<Row> queries, String output, SearchOptions options,
                                       boolean overwrite) throws IOException {
        return inputProblemsUnwrapped(() -> written(SearchOutput.prepare(output, spark.sparkContext().hadoopConfiguration(), overwrite,
                index, Overlap.inputRoots(queries)), IndexSearch.of(spark, index, queries, options)));
    }

    /** {@link #searchToParquet(SparkSession, String, Dataset, String, SearchOptions, boolean)} with the queries at a URI (Parquet, fvecs or bvecs). */
    public static long searchToParquet(SparkSession spark, String index, String queries, String output, SearchOptions options,
                                       boolean overwrite) throws IOException {
        return inputProblemsUnwrapped(() -> written(SearchOutput.prepare(output, spark.sparkContext().hadoopConfiguration(), overwrite,
                index, queries), IndexSearch.of(spark, index, queries, options)));
    }

    /** Writes the results of {@code search} at {@code out}, keeping a vacuum off the index's files meanwhile. */
    private static long written(SearchOutput out, IndexSearch search) throws IOException {
        try (java.io.Closeable held = search.holdIndexFiles()) {
            return out.write(search);
        }
    }

    /** A call of the API that writes. */
    private interface Call<T> {
        T run() throws IOException;
    }

    /**
     * Runs {@code call}, throwing an input problem a task found as the {@link InvalidInputException} the methods
     * declare: a failed Spark job wraps it in Spark's own exception, checked and thrown undeclared, which a caller
     * cannot even catch by name (probe helper 43). For the same reason a failed or cancelled job's
     * {@code SparkException} comes as the cause of an IOException, and an interrupt of the calling thread as an
     * {@link InterruptedIOException} (probe helper 86: {@code catch (SparkException e)} did not compile). Either way the
     * call's Spark jobs have stopped and what they wrote is removed ({@link OwnJobs}).
     */
    private static <T> T inputProblemsUnwrapped(Call<T> call) throws IOException {
        try {
            return call.run();
        } catch (Exception e) {
            Throwable invalid = e.getCause() == null ? null : Causes.first(e.getCause(), t -> t instanceof InvalidInputException);
            if (invalid != null && invalid != e) {
                invalid.addSuppressed(e); // Spark's account: the stage, task and executor, and any cleanup failure
                throw (InvalidInputException) invalid;
            }
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
                InterruptedIOException interrupted = new InterruptedIOException("interrupted: the call's Spark jobs were cancelled");
                interrupted.initCause(e);
                throw interrupted;
            }
            if (e instanceof IOException || e instanceof RuntimeException) {
                throw e;
            }
            throw new IOException(e.getMessage(), e);
        }
    }
}
