package io.hnswseg.spark;

import io.hnswseg.distance.Metric;
import io.hnswseg.hnsw.HnswParams;
import io.hnswseg.routing.KMeansTrainer;

import java.io.Serializable;
import java.util.Locale;

/**
 * How {@link HnswsegSpark#build} builds an index. Start from {@code new BuildOptions()} and set what you
 * need; every setter returns this. Unset values take the defaults the command line documents.
 * Errors name a setting by its command-line flag, the setter's name in words ({@code efConstruction} is
 * {@code --ef-construction}), since the command line and this API share the checks.
 *
 * <pre>{@code
 * BuildOptions options = new BuildOptions().vectorColumn("embedding").metric("cosine").partitions(16);
 * }</pre>
 */
public final class BuildOptions implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Partitions by default: one per this many vectors at most (fewer when executors have less memory). */
    public static final long TARGET_VECTORS_PER_SEGMENT = 1_000_000;

    String format;
    String idColumn = "id";
    String vectorColumn = "vector";
    Integer dimension;
    Integer partitions;
    String partitioner;
    double replication;
    String metric = "l2";
    int m = HnswParams.DEFAULT_M;
    int efConstruction = HnswParams.DEFAULT_EF_CONSTRUCTION;
    long seed = HnswParams.DEFAULT_SEED;
    boolean floatOnly;
    Integer threadsPerTask;
    boolean overwrite;
    boolean skipInvalid;
    int sampleSize = 100_000;
    int evalQueries = 1000;
    /** Whether {@link #evalQueries(int)} was called: a count and a file of queries cannot both be meant. */
    private boolean evalQueriesGiven;
    String evalQueriesFile;
    double targetRecall = 0.95;
    boolean requireRecall;
    boolean failFirstAttempts;
    String testFault;

    /** {@code parquet}, {@code fvecs} or {@code bvecs}; default from the input's extension, else Parquet. */
    public BuildOptions format(String value) {
        format = value == null ? null : value.toLowerCase(Locale.ROOT);
        return this;
    }

    /** Parquet/table id column, {@code bigint} or {@code int} (default {@code id}). */
    public BuildOptions idColumn(String value) {
        idColumn = value;
        return this;
    }

    /** Vector column: {@code array<float>}, {@code array<double>} or a Spark ML vector (default {@code vector}). */
    public BuildOptions vectorColumn(String value) {
        vectorColumn = value;
        return this;
    }

    /** The vectors' dimension; default: the most common length among sampled rows. */
    public BuildOptions dimension(int value) {
        dimension = value;
        return this;
    }

    /** Segments to build; default sized by the data, the executors' memory and the cluster's parallelism. */
    public BuildOptions partitions(int value) {
        partitions = value;
        return this;
    }

    /** {@code kmeans} (the default with more than one partition) or {@code random}. */
    public BuildOptions partitioner(String value) {
        partitioner = value == null ? null : value.toLowerCase(Locale.ROOT);
        return this;
    }

    /**
     * Fraction of vectors (at most 0.5) also indexed in their second-nearest partition, those nearest a
     * partition boundary (k-means only); default 0.
     */
    public BuildOptions replication(double value) {
        replication = value;
        return this;
    }

    /** {@code l2}, {@code ip} or {@code cosine} (default {@code l2}). */
    public BuildOptions metric(String value) {
        metric = value;
        return this;
    }

    /** HNSW's M: links per node on the upper layers, twice that on layer 0 ({@code --m}). */
    public BuildOptions m(int value) {
        m = value;
        return this;
    }

    /** The beam of each insertion's search ({@code --ef-construction}). */
    public BuildOptions efConstruction(int value) {
        efConstruction = value;
        return this;
    }

    /** Build and search on the float vectors only, without int8 codes ({@code --float-only}). */
    public BuildOptions floatOnly(boolean value) {
        floatOnly = value;
        return this;
    }

    /** The seed of the build's random draws: the sample, the k-means, the nodes' levels ({@code --seed}). */
    public BuildOptions seed(long value) {
        seed = value;
        return this;
    }

    /** Build threads per segment; default {@code spark.task.cpus}. */
    public BuildOptions threadsPerTask(int value) {
        threadsPerTask = value;
        return this;
    }

    /** Replace an index already at the output (it stays readable until the new manifest is written). */
    public BuildOptions overwrite(boolean value) {
        overwrite = value;
        return this;
    }

    /** Skip invalid vectors (counted in the summary) instead of failing the build. */
    public BuildOptions skipInvalid(boolean value) {
        skipInvalid = value;
        return this;
    }

    /** Vectors sampled to train the k-means centroids (default 100,000). */
    public BuildOptions sampleSize(int value) {
        sampleSize = value;
        return this;
    }

    /**
     * Rows the input sample draws: the training rows and the recall queries, at most what any sample holds
     * ({@link Sample#MAX_FLOATS} rows of one float). Summed as ints, a --sample-size near the int maximum wrapped
     * negative: a one-row sample, one segment for the whole input (review helper 61).
     */
    int sampleRows() {
        return (int) Math.min(Sample.MAX_FLOATS, (long) sampleSize + evalQueries);
    }

    /** Vectors sampled from the input to measure the index's recall (default 1,000; 0 measures nothing). */
    public BuildOptions evalQueries(int value) {
        evalQueries = value;
        evalQueriesGiven = true;
        return this;
    }

    /** An fvecs/bvecs file of queries to measure recall with, instead of sampled input vectors. */
    public BuildOptions evalQueriesFile(String value) {
        evalQueriesFile = value;
        return this;
    }

    /** Recall@10 the readers' default nprobe and ef must reach (default 0.95). */
    public BuildOptions targetRecall(double value) {
        targetRecall = value;
        return this;
    }

    /** Fail, committing nothing, when no measured setting reaches the target recall. */
    public BuildOptions requireRecall(boolean value) {
        requireRecall = value;
        return this;
    }

    /** Test hook: the first attempt of every build task fails after writing its segment. */
    BuildOptions failFirstAttempts(boolean value) {
        failFirstAttempts = value;
        return this;
    }

    /** Test hook: a fault of {@link TestFaults} to inject (null: none). */
    BuildOptions testFault(String value) {
        testFault = value;
        return this;
    }

    Metric metricValue() {
        return Metric.parse(metric);
    }

    HnswParams params() {
        return new HnswParams(m, efConstruction, seed, metricValue());
    }

    /** Checks every value that needs no data; errors name the option. */
    void validate() {
        try {
            params();
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException(e.getMessage());
        }
        if (efConstruction < m) {
            // Before Spark starts: each task's builder refuses it too.
            throw new InvalidInputException(io.hnswseg.hnsw.HnswGraphBuilder.beamBelowM(efConstruction, m));
        }
        if (format != null && !format.equals("parquet") && !format.equals("fvecs") && !format.equals("bvecs")) {
            throw new InvalidInputException("--format " + format + ": expected parquet, fvecs or bvecs");
        }
        if (partitions != null && partitions < 1) {
            throw new InvalidInputException("--partitions must be >= 1, got " + partitions);
        }
        if (partitioner != null && !partitioner.equals("kmeans") && !partitioner.equals("random")) {
            throw new InvalidInputException("--partitioner " + partitioner + ": expected kmeans or random");
        }
        if (!(replication >= 0 && replication <= 0.5)) {
            throw new InvalidInputException("--replication must be in [0, 0.5], got " + replication);
        }
        if (partitions != null && partitions == 1 && (replication > 0 || "kmeans".equals(partitioner))) {
            throw new InvalidInputException((replication > 0 ? "--replication " + replication : "--partitioner kmeans")
                    + " needs --partitions 2 or more: one partition holds every vector, with nothing to route or replicate to");
        }
        if (partitions != null && partitions > KMeansTrainer.MAX_CELLS && !"random".equals(partitioner)) {
            throw new InvalidInputException("--partitions " + partitions + ": k-means routes at most " + KMeansTrainer.MAX_CELLS
                    + " partitions; ask for fewer, larger ones, or pass --partitioner random (every query then searches every segment)");
        }
        if (replication > 0 && "random".equals(partitioner)) {
            throw new InvalidInputException("--replication needs --partitioner kmeans: a random partition has no boundary to replicate across");
        }
        if (dimension != null && dimension < 1) {
            throw new InvalidInputException("--dimension must be >= 1, got " + dimension);
        }
        if (threadsPerTask != null && threadsPerTask < 1) {
            throw new InvalidInputException("--threads-per-task must be >= 1, got " + threadsPerTask);
        }
        if (sampleSize < 1) {
            throw new InvalidInputException("--sample-size must be >= 1, got " + sampleSize);
        }
        if (evalQueriesGiven && evalQueriesFile != null) {
            throw new InvalidInputException("--eval-queries " + evalQueries + " and --eval-queries-file " + evalQueriesFile
                    + ": two sources of recall queries, give one");
        }
        if (evalQueries < 0) {
            throw new InvalidInputException("--eval-queries must be >= 0, got " + evalQueries);
        }
        if (!(targetRecall > 0 && targetRecall <= 1)) {
            throw new InvalidInputException("--target-recall must be in (0, 1], got " + targetRecall);
        }
        TestFaults.validate(testFault);
        if (requireRecall && evalQueries == 0 && evalQueriesFile == null) {
            throw new InvalidInputException("--require-recall needs measured recall: --eval-queries must be > 0");
        }
    }
}
