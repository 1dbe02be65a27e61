package io.hnswseg.spark;

import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.Closeable;
import java.io.IOException;
import java.util.concurrent.Callable;

/**
 * The batch search command: {@code spark-submit --class io.hnswseg.spark.SearchIndexJob
 * hnswseg-spark-job-*-app.jar --index URI --queries URI --output URI [options]}, or {@code bin/hnswseg
 * search-job ...} in local mode. Runs what {@link HnswsegSpark#searchToParquet} runs, and prints its summary: the k
 * nearest neighbours of every query, written as Parquet {@code (id bigint, neighbors array<bigint>, distances
 * array<float>)}, complete or not at all.
 */
@Command(name = "search-job", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Search an index with every row of a query table or file, in Spark; write Parquet (id, neighbors, distances).")
public final class SearchIndexJob implements Callable<Integer> {

    @Option(names = "--index", required = true, description = "the index (a directory or prefix: file:, hdfs://, s3a://, ...)")
    String index;

    @Option(names = "--queries", required = true, description = "queries: a Parquet table (id + vector columns) or a .fvecs/.bvecs file "
            + "(ids = row numbers)")
    String queries;

    @Option(names = "--output", required = true, description = "where the Parquet results go (a directory; written complete or not at all)")
    String output;

    @Mixin
    InputColumns columns;

    @Option(names = "--k", defaultValue = "10", description = "neighbours per query (default: ${DEFAULT-VALUE})")
    int k;

    @Option(names = "--ef", description = "search beam width, >= k (k + 1 with --exclude-self); default: the index's recommended ef")
    Integer ef;

    @Option(names = "--nprobe", description = "segments each query visits on a k-means index, 0 = all (default: the index's recommendation)")
    Integer nprobe;

    @Option(names = "--exclude-self", description = "leave each query's own id out of its neighbours (a self-join)")
    boolean excludeSelf;

    @Option(names = "--search-threads", description = "threads of each executor's shared reader (default: the executor's cores)")
    Integer searchThreads;

    @Option(names = "--check-recall", defaultValue = "0", description = "after the search, measure recall@k on this many sampled queries "
            + "against brute force over the whole index (default: ${DEFAULT-VALUE}, no check)")
    int checkRecall;

    @Option(names = "--overwrite", description = "replace an existing --output once the new results are complete")
    boolean overwrite;

    /** Test hook (hidden): a fault of {@link TestFaults} to inject. */
    @Option(names = "--test-fault", hidden = true)
    String testFault;

    @Mixin
    SessionOptions session;

    /** Seconds the Spark session took to start, when this command started it; printed apart, as the build does. */
    private double startupSeconds = Double.NaN;

    public static void main(String[] args) {
        System.exit(io.hnswseg.cli.UsageErrors.execute(commandLine(), args, "hnswseg search-job", SessionOptions.MORE_MEMORY));
    }

    static picocli.CommandLine commandLine() {
        return SessionOptions.commandLine(new SearchIndexJob(), "search-job");
    }

    SearchOptions options() {
        SearchOptions o = new SearchOptions().format(columns.format).idColumn(columns.idColumn).vectorColumn(columns.vectorColumn)
                .k(k).excludeSelf(excludeSelf).testFault(testFault);
        if (ef != null) {
            o.ef(ef);
        }
        if (nprobe != null) {
            o.nprobe(nprobe);
        }
        if (searchThreads != null) {
            o.searchThreads(searchThreads);
        }
        if (checkRecall < 0) {
            throw new InvalidInputException("--check-recall must be >= 0, got " + checkRecall);
        }
        o.validate();
        return o;
    }

    @Override
    public Integer call() throws Exception {
        SearchOptions options = options();
        refuseOutputEarly();
        SessionOptions.Started started = session.start("hnswseg search-job " + index);
        startupSeconds = started.startupSeconds();
        try {
            run(started.spark(), options);
        } finally {
            started.spark().stop();
        }
        return 0;
    }

    /**
     * Refuses an output that exists, overlaps the index or the queries, or has no parent before Spark starts (about 9 s
     * here, the last stop's leftover). Only where the output is on this machine's disk as the session would see it
     * (Hadoop's settings from the properties, the command line and spark.* system properties, as spark-submit passes
     * them), and with a remote index or queries only the output's own checks: elsewhere the session's check, which runs
     * in any case, decides, without a second round trip to a store.
     */
    private void refuseOutputEarly() throws IOException {
        org.apache.hadoop.conf.Configuration hadoop = session.hadoopConfiguration();
        if (!"file".equals(org.apache.hadoop.fs.FileSystem.getDefaultUri(hadoop).getScheme()) || io.hnswseg.io.LocalFiles.pathOf(output) == null) {
            return;
        }
        if (io.hnswseg.io.LocalFiles.pathOf(index) != null && io.hnswseg.io.LocalFiles.pathOf(queries) != null) {
            SearchOutput.prepare(output, hadoop, overwrite, index, queries);
        } else {
            // A remote index or queries: the output's own checks, with no round trip to their store (probe helper 84: 9.7 s).
            SearchOutput.at(output, hadoop, overwrite);
        }
    }

    /** Runs the search on a session (tests call this directly) and prints its summary; returns the rows written. */
    long run(SparkSession spark, SearchOptions options) throws IOException {
        long start = System.nanoTime();
        SearchOutput out = SearchOutput.prepare(output, spark.sparkContext().hadoopConfiguration(), overwrite, index, queries);
        IndexSearch search = IndexSearch.of(spark, index, queries, options);
        try (Closeable held = search.holdIndexFiles()) {
            return searchAndReport(search, out, start);
        }
    }

    private long searchAndReport(IndexSearch search, SearchOutput out, long start) throws IOException {
        long rows = out.write(search);
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("hnswseg search-job: %d queries, k=%d, ef=%d, nprobe=%s%s in %.2f s: %.0f queries/s from reading the queries "
                        + "to the committed results (Spark start-up %s)%n", rows, search.k, search.ef,
                search.nprobe == 0 ? "all" : String.valueOf(search.nprobe), search.excludeSelf ? ", own id excluded" : "", seconds,
                rows / seconds, Double.isNaN(startupSeconds) ? "not included" : String.format("%.2f s, not included", startupSeconds));
        System.out.printf("  answered from the %s%n", search.answeredBy);
        if (checkRecall > 0) {
            IndexSearch.Recall recall;
            try {
                recall = search.recall(checkRecall, 42);
            } catch (Exception e) {
                // Spark's SparkException too, which is checked and declared by no signature (review helper 83).
                // The results are committed: a failed check after them is no failed search (probe helper 80: exit 1
                // with the whole output written, and a rerun refused because the output existed).
                System.out.printf("  recall not measured: %s%n  results at %s%n", SessionOptions.explain(e), out.path());
                return rows;
            }
            if (recall.queries() == 0) {
                System.out.printf("  recall not measured: no queries to sample%n");
            } else {
                System.out.printf("  recall@%d %.4f on %d sampled queries against brute force over the whole index (%.1f s)%n", search.k,
                        recall.recall(), recall.queries(), recall.seconds());
            }
        }
        System.out.printf("  results at %s%n", out.path());
        return rows;
    }
}
