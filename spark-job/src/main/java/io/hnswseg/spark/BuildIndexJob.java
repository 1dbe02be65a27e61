package io.hnswseg.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.hnswseg.io.LocalFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * The build command: {@code spark-submit --class io.hnswseg.spark.BuildIndexJob hnswseg-spark-job-*-app.jar
 * --input URI --output URI [options]}, or {@code bin/hnswseg build ...} in local mode. Parses options, starts the
 * session, runs the build {@link HnswsegSpark#build(org.apache.spark.sql.SparkSession, String, String, BuildOptions)} runs (with Spark's
 * start-up time for the summary) and prints the summary.
 */
@Command(name = "build", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Build an HNSW index with Spark: one segment per partition, manifest.json written last.")
public final class BuildIndexJob implements Callable<Integer> {

    @Option(names = "--input", required = true, description = "dataset URI: a .fvecs/.bvecs file or a Parquet table (file:, hdfs://, s3a://, ...)")
    String input;

    @Option(names = "--output", required = true, description = "index URI (a directory or prefix)")
    String output;

    @Mixin
    InputColumns columns;

    @Option(names = "--dimension", description = "the vectors' dimension (default: the most common length among sampled rows)")
    Integer dimension;

    @Option(names = "--partitions", description = "segments to build (default: sized by the data and the executors' memory, "
            + "at most " + BuildOptions.TARGET_VECTORS_PER_SEGMENT + " vectors each, at least one per core)")
    Integer partitions;

    @Option(names = "--partitioner", description = "kmeans (default with more than one partition: queries visit only the nearest "
            + "segments) or random")
    String partitioner;

    @Option(names = "--replication", defaultValue = "0", description = "kmeans: fraction of vectors (<= 0.5) also indexed in their "
            + "second-nearest partition, those nearest a boundary (default: ${DEFAULT-VALUE})")
    double replication;

    @Option(names = "--metric", defaultValue = "l2", description = "l2, ip or cosine (default: ${DEFAULT-VALUE})")
    String metric;

    @Option(names = "--m", defaultValue = "16", description = "HNSW M (default: ${DEFAULT-VALUE})")
    int m;

    @Option(names = "--ef-construction", defaultValue = "100", description = "build beam width (default: ${DEFAULT-VALUE})")
    int efConstruction;

    @Option(names = "--float-only", description = "build and search on the float vectors, without int8 codes (ip data whose few"
            + " largest vectors the codes' clipped ranges would hide)")
    boolean floatOnly;

    @Option(names = "--seed", defaultValue = "42", description = "seed of levels, sampling and k-means (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--threads-per-task", description = "build threads per task (default: spark.task.cpus)")
    Integer threadsPerTask;

    @Option(names = "--sample-size", defaultValue = "100000", description = "vectors sampled to train the k-means centroids (default: ${DEFAULT-VALUE})")
    int sampleSize;

    @Option(names = "--eval-queries", description = "input vectors sampled to measure the index's recall@10 (0: none; default: 1000)")
    Integer evalQueries;

    @Option(names = "--eval-queries-file", description = "measure recall with the queries of this .fvecs/.bvecs file instead")
    String evalQueriesFile;

    @Option(names = "--target-recall", defaultValue = "0.95", description = "recall@10 the readers' default nprobe and ef must reach "
            + "(default: ${DEFAULT-VALUE})")
    double targetRecall;

    @Option(names = "--require-recall", description = "fail, committing nothing, when no measured setting reaches --target-recall")
    boolean requireRecall;

    @Option(names = "--overwrite", description = "replace an index already at --output (it stays readable until the new manifest is written), and an existing --summary-json file")
    boolean overwrite;

    @Option(names = "--on-invalid", defaultValue = "fail", description = "fail (default) or skip: what to do with a bad vector (NaN/Inf, null, empty, wrong dimension); a skipped row's id still counts in the duplicate-id check")
    String onInvalid;

    @Mixin
    SessionOptions session;

    @Option(names = "--summary-json", description = "also write the summary to this local JSON file")
    java.nio.file.Path summaryJson;

    @Option(names = "--test-fail-first-attempt", hidden = true)
    boolean failFirstAttempts;

    /** Test hook (hidden): a fault of {@link TestFaults} to inject. */
    @Option(names = "--test-fault", hidden = true)
    String testFault;

    public static void main(String[] args) {
        System.exit(io.hnswseg.cli.UsageErrors.execute(commandLine(), args, "hnswseg build", SessionOptions.MORE_MEMORY));
    }

    static picocli.CommandLine commandLine() {
        return SessionOptions.commandLine(new BuildIndexJob(), "build");
    }

    BuildOptions options() {
        BuildOptions o = new BuildOptions().format(columns.format).idColumn(columns.idColumn).vectorColumn(columns.vectorColumn).partitioner(partitioner)
                .replication(replication).metric(metric).m(m).efConstruction(efConstruction).floatOnly(floatOnly).seed(seed).sampleSize(sampleSize)
                .evalQueriesFile(evalQueriesFile).targetRecall(targetRecall).requireRecall(requireRecall)
                .overwrite(overwrite).failFirstAttempts(failFirstAttempts).testFault(testFault);
        switch (onInvalid) {
            case "fail" -> o.skipInvalid(false);
            case "skip" -> o.skipInvalid(true);
            default -> throw new InvalidInputException("--on-invalid " + onInvalid + ": expected fail or skip");
        }
        if (dimension != null) {
            o.dimension(dimension);
        }
        if (partitions != null) {
            o.partitions(partitions);
        }
        if (evalQueries != null) {
            o.evalQueries(evalQueries);
        }
        if (threadsPerTask != null) {
            o.threadsPerTask(threadsPerTask);
        }
        o.validate();
        return o;
    }

    @Override
    public Integer call() throws Exception {
        BuildOptions options = options();
        try {
            LocalFiles.checkOutput("--summary-json", summaryJson, overwrite, LocalFiles.pathOf(input), LocalFiles.pathOf(output),
                    LocalFiles.pathOf(evalQueriesFile));
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException(e.getMessage());
        }
        SessionOptions.Started started = session.start("hnswseg build " + output);
        try {
            Map<String, Object> summary = run(started.spark(), started.startupSeconds(), options);
            print(summary);
            if (summaryJson != null) {
                try {
                    LocalFiles.writeWhole(summaryJson, new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(summary));
                } catch (IOException e) {
                    throw new InvalidInputException("the index is committed at " + output + ", but its summary could not be written to "
                            + summaryJson + ": " + LocalFiles.describe(e));
                }
            }
        } finally {
            started.spark().stop();
        }
        return 0;
    }

    /** Runs the job on a session (tests call this directly); returns the summary written into the manifest. */
    Map<String, Object> run(org.apache.spark.sql.SparkSession spark, double startupSeconds) throws java.io.IOException {
        return run(spark, startupSeconds, options());
    }

    private Map<String, Object> run(org.apache.spark.sql.SparkSession spark, double startupSeconds, BuildOptions options)
            throws java.io.IOException {
        return IndexBuild.fromUri(spark, input, output, options, startupSeconds).figures();
    }

    /** "1 segment", "16 segments". */
    private static String count(Object n, String noun) {
        return n + " " + noun + (((Number) n).longValue() == 1 ? "" : "s");
    }

    private static void print(Map<String, Object> s) {
        System.out.printf("hnswseg build: %s vectors in %s (%s, %s) in %.2f s: %s vectors/s from reading the input "
                        + "to the committed manifest%n", s.get("vectors"), count(s.get("segments"), "segment"),
                count(s.get("partitions"), "partition"), s.get("partitioner"), (Double) s.get("seconds"), s.get("vectors_per_second"));
        System.out.printf("  Spark start-up %.2f s (not included); largest segment %.2fx the mean; slowest segment %.2f s; %s per "
                        + "task; skipped %s; replicated %s%n", (Double) s.get("startup_seconds"), (Double) s.get("largest_segment_vs_mean"),
                (Double) s.get("slowest_segment_seconds"), count(s.get("threads_per_task"), "thread"), s.get("skipped"), s.get("replicated"));
        if (s.containsKey("largest_graph_vs_mean")) {
            // Counted per segment: a replicated copy counts in both of its segments (probe helper 42: 151 of 100 copies).
            System.out.printf("  %s vectors are exact copies of another in their segment%s, indexed once; largest graph %.2fx the mean%s%n",
                    s.get("copies"), Long.valueOf(0).equals(s.get("replicated")) ? "" : " (a replicated one in each of its two)",
                    (Double) s.get("largest_graph_vs_mean"), s.containsKey("heavy_vectors")
                            ? "; the copies of " + s.get("heavy_vectors") + " vector(s) too frequent for one segment were spread over several" : "");
        }
        if (s.containsKey("recall_at_10")) {
            Object nprobe = s.get("default_nprobe");
            System.out.printf("  recall@10 measured by the build: %.4f at nprobe %s, ef %s (%s)%n", (Double) s.get("recall_at_10"),
                    Integer.valueOf(0).equals(nprobe) ? "all" : nprobe, s.get("default_ef"),
                    Boolean.TRUE.equals(s.get("target_recall_reached")) ? "the readers' default"
                            : "TARGET NOT REACHED: the cheapest point within " + GridChoice.NEAR_BEST + " of the best measured, "
                            + String.format("%.4f", (Double) s.get("best_recall_at_10")));
            if (s.get("best_routed") != null) {
                System.out.printf("  the readers search every segment by default; the best routed point (a reader's --nprobe, --ef): %s%n",
                        s.get("best_routed"));
            }
            if (s.get("recall_every_segment") != null) {
                System.out.printf("  recall over every segment not measured: %s%n", s.get("recall_every_segment"));
            }
        }
        System.out.printf("  index at %s%n", s.get("output"));
    }
}
