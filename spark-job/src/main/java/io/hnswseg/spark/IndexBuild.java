package io.hnswseg.spark;

import io.hnswseg.distance.VectorKernels;
import io.hnswseg.manifest.IndexManifest;
import io.hnswseg.routing.KMeansTrainer;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * One build, on the driver: plan (input shape, partitions), sample ({@link InputSample}), train the
 * centroids, pick the evaluation queries ({@link EvalQueries}), run the one Spark job that builds the
 * segments (a shuffle of vector blocks to their partitions, except for an fvecs/bvecs file partitioned at
 * random, whose tasks read their own row ranges), merge the recall measurement ({@link BuildRecall}), and commit. The driver
 * holds the sample, the centroids and the segments' descriptors, never the vectors.
 */
final class IndexBuild {

    private static final Logger LOG = LoggerFactory.getLogger(IndexBuild.class);
    /** Bytes of input a map task reads when the job chooses the split (fvecs/bvecs with a shuffle). */
    private static final long SPLIT_BYTES = 64L << 20;
    /** Vectors per segment below which {@code --partitions} is warned of: each costs queries more than it saves in the build. */
    private static final int SMALL_SEGMENT = 5_000;
    /** Ids one duplicate check holds. */
    private static final long IDS_PER_CHECK = 20_000_000L;

    private final SparkSession spark;
    private final JavaSparkContext jsc;
    private final BuildOptions options;
    private final String output;
    /** The input as the manifest's summary records it: a whole URI, or what a Dataset given from code reads. */
    private final String recordedInput;
    private final BuildStages stages = new BuildStages();
    private final long start = System.nanoTime();

    private IndexBuild(SparkSession spark, String output, BuildOptions options, String recordedInput) {
        this.spark = spark;
        this.jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        // Qualified on the driver, before the tasks get it: a relative --output under spark-submit had each executor
        // write its segments in its own working directory (probe helper 93).
        this.output = qualified(output, spark.sparkContext().hadoopConfiguration());
        this.options = options;
        this.recordedInput = recordedInput;
    }

    /** Builds from a file or table URI: fvecs/bvecs by extension or {@code --format}, Parquet otherwise. */
    static BuildSummary fromUri(SparkSession spark, String input, String output, BuildOptions options, double startupSeconds)
            throws IOException {
        options.validate();
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        S3Endpoints.reachable(conf, input, output, options.evalQueriesFile);
        Overlap.refuseWithin(conf, "--output", output, "--input", input);
        IndexBuild build = new IndexBuild(spark, output, options, qualified(input, conf));
        String format = options.format != null ? options.format : inferFormat(input);
        if (format.equals("parquet")) {
            return build.fromTable(ParquetTables.open(spark, input, "input"), input, startupSeconds);
        }
        return build.fromVecs(input, format, startupSeconds);
    }

    /** Builds from a table of (id, vector) rows. */
    static BuildSummary fromTable(SparkSession spark, Dataset<Row> table, String output, BuildOptions options, double startupSeconds)
            throws IOException {
        options.validate();
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        S3Endpoints.reachable(conf, output, options.evalQueriesFile);
        String[] roots = Overlap.inputRoots(table);
        for (String root : roots) {
            Overlap.refuseWithin(conf, "output", output, "the table at", root);
        }
        // Named, not made a path: it was recorded as "file:/the/working/dir/a Dataset" (probe helper 86).
        String input = roots.length == 0 ? "a Dataset" : "a Dataset of " + String.join(", ", roots);
        return new IndexBuild(spark, output, options, input).fromTable(table, input, startupSeconds);
    }

    static String inferFormat(String uri) {
        String lower = uri.toLowerCase(java.util.Locale.ROOT);
        if (lower.endsWith(".ivecs")) {
            // Read as Parquet it failed on a footer's magic number.
            throw new InvalidInputException(uri + ": an .ivecs file holds ints (a ground truth's ids), not vectors: give .fvecs, .bvecs or a"
                    + " Parquet table");
        }
        return lower.endsWith(".fvecs") ? "fvecs" : lower.endsWith(".bvecs") ? "bvecs" : "parquet";
    }

    private Configuration hadoop() {
        return jsc.hadoopConfiguration();
    }

    /** A build into a prepared output. */
    private interface Body {
        BuildSummary run(IndexCommit commit) throws IOException;
    }

    /** Prepares the output, runs {@code body} into it, and after a failure removes what it wrote ({@link IndexCommit#afterFailure}). */
    private BuildSummary intoOutput(Body body) throws IOException {
        IndexCommit commit = IndexCommit.prepare(output, hadoop(), options.overwrite);
        try (commit) {
            // The tasks of a failed build have ended before its files are removed and its lease ended.
            return OwnJobs.run(jsc.sc(), "build of " + output, () -> body.run(commit));
        } catch (Throwable e) {
            // Throwable: a failed Spark job is a checked SparkException that no signature declares. The lease
            // is ended (closed) by now, so the output may be empty again.
            try {
                commit.afterFailure();
            } catch (IOException | RuntimeException cleanup) {
                e.addSuppressed(cleanup);
                // Said, not only suppressed: the command line shows the build's error alone (probe helper 90: HDFS in safe
                // mode kept a segment, and nothing said so).
                LOG.warn("the failed build's files in {} could not all be removed ({}): `vacuum` removes them once they are older"
                        + " than its grace period (1 h unless --older-than says otherwise)", output, Causes.firstLine(cleanup));
            }
            throw e;
        }
    }

    private BuildSummary fromVecs(String input, String format, double startupSeconds) throws IOException {
        return intoOutput(commit -> fromVecs(commit, input, format, startupSeconds));
    }

    private BuildSummary fromVecs(IndexCommit commit, String input, String format, double startupSeconds) throws IOException {
        VecsInput vecs = VecsInput.open(input, format, hadoop(), "input");
        if (options.dimension != null && options.dimension != vecs.dimension) {
            throw new InvalidInputException("--dimension " + options.dimension + ", but " + input + " holds vectors of dimension "
                    + vecs.dimension);
        }
        JobConfig config = config(input, vecs.dimension, commit.startRun());
        EvalQueries.FromFile evalFile = EvalQueries.file(options, vecs.dimension, hadoop());
        int partitions = partitions(vecs.rows, vecs.dimension);
        boolean kmeans = kmeans(partitions);
        if (kmeans) {
            // A file's rows are known before it is sampled: refused before the sampling pass, not after it.
            new KMeansChecks(options, partitions, vecs.rows, jsc.defaultParallelism()).refuseUntrainable();
        }
        Sample sample = null;
        if (kmeans || sampledEvaluation()) {
            sample = stages.timed("sample", () -> InputSample.ofVecs(jsc, vecs, partitions, options, settings()));
        }
        double vectorLength = (sample != null ? sample : Sample.firstRows(vecs, hadoop(), options.metricValue()))
                .refuseUnresolvable(evalFile, options.metricValue(), input);
        Partitioning partitioning = partitioning(partitions, sample, config, vecs.rows);
        Evaluation evaluation = EvalQueries.of(sample, partitioning, vecs.dimension, options, evalFile, vectorLength);
        config.partitions = partitions;
        config.centroidCrc32cs = partitioning.centroidCrc32cs();
        config.centroidBiases = partitioning.centroidBiases();
        config.idCheckPartitions = 0;
        Broadcast<Evaluation> eval = evaluation == null ? null : jsc.broadcast(evaluation);
        Map<String, String> settings = settings();
        List<SegmentResult> results;
        if (!partitioning.routed()) {
            // Random partitions of a file: each task reads its own rows, no shuffle at all.
            long rows = vecs.rows;
            results = stages.timed("build", () -> jsc.parallelize(IntStream.range(0, partitions).boxed().collect(Collectors.toList()), partitions)
                    .map(p -> {
                        long first = rows * p / partitions;
                        long last = rows * (p + 1) / partitions;
                        return VecsPartitionTask.run(config, vecs, p, first, last - first, conf(settings),
                                eval == null ? null : eval.value());
                    })
                    .collect());
        } else {
            int splits = (int) Math.max(2L * jsc.defaultParallelism(), (vecs.rows * vecs.recordBytes() + SPLIT_BYTES - 1) / SPLIT_BYTES);
            long rows = vecs.rows;
            Broadcast<Partitioning> routing = jsc.broadcast(partitioning);
            JavaRDD<scala.Tuple2<Integer, VectorBlock>> blocks = jsc.parallelize(IntStream.range(0, splits).boxed().collect(Collectors.toList()), splits)
                    .mapPartitions(it -> {
                        int split = it.next();
                        long first = rows * split / splits;
                        long last = rows * (split + 1) / splits;
                        return new BlockMapper(vecs.rows(first, last - first, conf(settings)), config, routing.value(), false,
                                "split " + split + " (rows " + first + ".." + (last - 1) + ")");
                    });
            results = stages.timed("build", () -> buildFromBlocks(blocks, config, eval, settings));
        }
        return finish(commit, config, results, partitions, partitioning, evaluation, vecs.rows, input, vectorLength,
                startupSeconds);
    }

    private BuildSummary fromTable(Dataset<Row> source, String input, double startupSeconds) throws IOException {
        return intoOutput(commit -> fromTable(commit, source, input, startupSeconds));
    }

    private BuildSummary fromTable(IndexCommit commit, Dataset<Row> source, String input, double startupSeconds) throws IOException {
        TableInput table = TableInput.of(source, options.idColumn, options.vectorColumn);
        Sample sample = stages.timed("sample", () -> InputSample.ofTable(table, input, options));
        long rows = sample.rowsRead;
        int dimension = sample.dimension;
        JobConfig config = config(input, dimension, commit.startRun());
        EvalQueries.FromFile evalFile = EvalQueries.file(options, dimension, hadoop());
        double vectorLength = sample.refuseUnresolvable(evalFile, options.metricValue(), input);
        int partitions = partitions(rows, dimension);
        Partitioning partitioning = partitioning(partitions, sample, config, rows);
        Evaluation evaluation = EvalQueries.of(sample, partitioning, dimension, options, evalFile, vectorLength);
        config.partitions = partitions;
        config.centroidCrc32cs = partitioning.centroidCrc32cs();
        config.centroidBiases = partitioning.centroidBiases();
        config.idCheckPartitions = (int) Math.max(1, (rows + IDS_PER_CHECK - 1) / IDS_PER_CHECK);
        Broadcast<Evaluation> eval = evaluation == null ? null : jsc.broadcast(evaluation);
        Broadcast<Partitioning> routing = jsc.broadcast(partitioning);
        Map<String, String> settings = settings();
        String idColumn = table.idColumn;
        String vectorLabel = table.vectorLabel;
        JavaRDD<scala.Tuple2<Integer, VectorBlock>> blocks = table.internalRows(table.table)
                .mapPartitionsWithIndex((split, it) -> new BlockMapper(TableInput.rows(it, idColumn, vectorLabel), config, routing.value(),
                        true, "input split " + split), false);
        List<SegmentResult> results = stages.timed("build", () -> buildFromBlocks(blocks, config, eval, settings));
        refuseChangedInput(results, sample, input, commit, config.runId);
        return finish(commit, config, segments(results), partitions, partitioning, evaluation, rows, input, vectorLength,
                startupSeconds);
    }

    /**
     * Fails, committing nothing and removing this build's files, when the build's read of a table gave other rows than
     * the sample's read of it: a Dataset computed anew on each read, and differently (ids or vectors from a
     * nondeterministic UDF, a filter on one, a source that changes), would otherwise be indexed as one read and measured against the other's
     * queries and count (probe helper 43: ids from a random UDF claimed recall 0.9535 where eval measured 0.9376, and
     * a random filter reported 5 vectors replicated that were not).
     */
    private static void refuseChangedInput(List<SegmentResult> results, Sample sample, String input, IndexCommit commit, String runId)
            throws IOException {
        long rows = 0;
        long fingerprint = 0;
        for (SegmentResult r : results) {
            if (r.partition == BlockReducer.ID_CHECK) {
                rows += r.count;
                fingerprint += r.rowFingerprint;
            }
        }
        try {
            InputSample.requireSameRows(input, sample.rowsRead, sample.rowFingerprint, rows, fingerprint);
        } catch (InvalidInputException e) {
            commit.abandon(runId);
            throw e;
        }
    }

    /** The segments' results, without the id checks'. */
    private static List<SegmentResult> segments(List<SegmentResult> results) {
        return results.stream().filter(r -> r.partition != BlockReducer.ID_CHECK).collect(Collectors.toList());
    }

    /** The one shuffle: blocks to their partitions (duplicate-id checks first), then a segment per partition; every task's result. */
    private List<SegmentResult> buildFromBlocks(JavaRDD<scala.Tuple2<Integer, VectorBlock>> blocks, JobConfig config,
                                                Broadcast<Evaluation> eval, Map<String, String> settings) {
        int total = config.idCheckPartitions + config.partitions;
        JavaPairRDD<Integer, VectorBlock> shuffled = blocks.mapToPair(t -> t).partitionBy(new ByTarget(total));
        int shuffleId = TestFaults.shuffleId(config, shuffled.rdd());
        return shuffled
                .mapPartitionsWithIndex((index, it) -> {
                    SegmentResult r = BlockReducer.run(config, index, it, conf(settings), eval == null ? null : eval.value());
                    TestFaults.afterReduce(config, r.partition, shuffleId);
                    return List.of(r).iterator();
                }, true)
                .collect();
    }

    /** Sends a block to the shuffle partition its key names. */
    static final class ByTarget extends Partitioner {
        private static final long serialVersionUID = 1L;
        private final int partitions;

        ByTarget(int partitions) {
            this.partitions = partitions;
        }

        @Override
        public int numPartitions() {
            return partitions;
        }

        @Override
        public int getPartition(Object key) {
            return (Integer) key;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ByTarget b && b.partitions == partitions;
        }

        @Override
        public int hashCode() {
            return partitions;
        }
    }

    private JobConfig config(String input, int dimension, String runId) {
        JobConfig c = new JobConfig();
        c.input = input;
        c.output = output;
        c.idColumn = options.idColumn;
        c.metric = options.metricValue().externalName();
        c.m = options.m;
        c.efConstruction = options.efConstruction;
        c.seed = options.seed;
        c.floatOnly = options.floatOnly;
        c.threadsPerTask = options.threadsPerTask != null ? options.threadsPerTask
                : spark.sparkContext().getConf().getInt("spark.task.cpus", 1);
        c.dimension = dimension;
        c.skipInvalid = options.skipInvalid;
        c.runId = runId;
        c.failFirstAttempts = options.failFirstAttempts;
        c.testFault = options.testFault;
        return c;
    }

    private boolean kmeans(int partitions) {
        return partitions > 1 && !"random".equals(options.partitioner);
    }

    private boolean sampledEvaluation() {
        return options.evalQueries > 0 && options.evalQueriesFile == null;
    }

    /**
     * The segments to build: as asked, or sized so that each fits its task's share of executor memory
     * (and at most {@link BuildOptions#TARGET_VECTORS_PER_SEGMENT}), and at least one per core. A partition
     * asked for that would not fit fails here, before any work, saying how many to ask for.
     */
    private int partitions(long rows, int dimension) {
        MemoryPlan plan = MemoryPlan.of(spark, options, dimension);
        // k-means partitions may come out up to 1.5x the mean (the balance the build guarantees).
        double slack = kmeans(options.partitions != null ? options.partitions : 2) ? 1.5 : 1.05;
        if (options.partitions != null) {
            long largest = (long) Math.ceil(rows * slack / options.partitions);
            if (largest > plan.maxVectorsPerSegment()) {
                long needed = (long) Math.ceil(rows * slack / plan.maxVectorsPerSegment());
                throw new InvalidInputException(String.format("--partitions %d: a partition of up to %,d vectors of dimension %d needs about "
                                + "%,d MB, but %s; ask for at least --partitions %d (or give executors more memory)", options.partitions,
                        largest, dimension, largest * plan.bytesPerVector() >> 20, plan.describe(), needed));
            }
            // Probe helper 78's --partitions 512 on 100,000 vectors built without a word; its queries then visited every segment.
            // Fewer only as far as they fit (review helper 83: advised 2 where 2 were refused) and as the options allow.
            long fewer = Math.max(Math.max(rows / SMALL_SEGMENT, (long) Math.ceil(rows * slack / plan.maxVectorsPerSegment())),
                    options.replication > 0 || "kmeans".equals(options.partitioner) ? 2 : 1);
            if (fewer < options.partitions && rows < (long) SMALL_SEGMENT * options.partitions) {
                LOG.warn(String.format("--partitions %d makes segments of about %,d vectors: a query pays a fixed cost for each segment it"
                        + " visits (the descent, its set-up), which outweighs the little a segment that small saves in the build;"
                        + " --partitions %d answers faster", options.partitions, rows / options.partitions, fewer));
            }
            return options.partitions;
        }
        long perSegment = Math.min(BuildOptions.TARGET_VECTORS_PER_SEGMENT, (long) (plan.maxVectorsPerSegment() / slack));
        return (int) Math.max(jsc.defaultParallelism(), Math.min(Integer.MAX_VALUE, (rows + perSegment - 1) / perSegment));
    }

    private Partitioning partitioning(int partitions, Sample sample, JobConfig config, long inputRows) throws IOException {
        if (!kmeans(partitions)) {
            stages.put("partitioner", "random");
            return Partitioning.random(partitions);
        }
        KMeansChecks checks = new KMeansChecks(options, partitions, inputRows, jsc.defaultParallelism());
        checks.refuseUntrainable();
        HeavyVectors heavy = HeavyVectors.find(sample, partitions, inputRows, config.metricValue());
        // Fewer sampled vectors than partitions (a tiny input): one centroid per vector, the other partitions stay empty.
        int cells = Math.min(partitions, heavy.trainingCount);
        checks.refuseTuningTable(cells, heavy.trainingCount);
        KMeansTrainer.Result trained = stages.timed("kmeans", () -> KMeansTrainer.train(heavy.trainingRows, heavy.trainingCount,
                sample.dimension, config.metricValue(), cells, options.seed));
        // Set on the whole sample, copies of frequent vectors included (they are trained on once); the heavy ones' copies
        // are spread by id and never replicated.
        KMeansTrainer.ReplicationGap gap = KMeansTrainer.replicationGap(trained.centroids(), sample.vectors, sample.rows,
                sample.dimension, options.replication, heavy.spreadRows);
        stages.put("partitioner", "kmeans");
        stages.put("kmeans_sample_rows", heavy.trainingCount);
        stages.put("kmeans_sample_imbalance", BuildStages.round(trained.imbalance()));
        LOG.info(String.format("k-means: %d centroids trained on %,d sampled vectors in %.2f s; largest cell of the sample %.2fx the mean%s",
                cells, heavy.trainingCount, trained.seconds(), trained.imbalance(),
                options.replication > 0 ? String.format("; %.1f%% of the sample within the replication gap", 100 * gap.share()) : ""));
        checks.warnOfSample(heavy, sample.rows, cells);
        checks.warnOfCells(trained);
        Partitioning partitioning = Partitioning.kmeans(partitions, trained.centroids(), gap.gap());
        if (heavy.count() > 0) {
            partitioning.heavy = heavy.vectors;
            partitioning.heavyCells = heavy.cells(trained.centroids(), partitions);
            stages.put("heavy_vectors", heavy.count());
            LOG.info(String.format("k-means: %d vector(s) repeated over %.0f%% of a partition's share of the sample; their copies are"
                    + " spread over partitions near them: %s", heavy.count(), 100 * HeavyVectors.SHARE_PER_PART,
                    Arrays.deepToString(partitioning.heavyCells)));
        }
        double routed = partitioning.routedImbalance(sample.vectors, sample.rows);
        checks.warnIfUnbalanced(routed, trained.imbalance());
        checks.refuseUnfitting(routed, MemoryPlan.of(spark, options, sample.dimension));
        return partitioning;
    }

    /** {@code uri} made whole ({@code file:/abs/path}): a relative path in the manifest meant nothing elsewhere (probe helper 77). */
    private static String qualified(String uri, Configuration conf) {
        try {
            org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(uri);
            return path.getFileSystem(conf).makeQualified(path).toString();
        } catch (java.io.IOException | RuntimeException e) {
            return uri;
        }
    }

    private BuildSummary finish(IndexCommit commit, JobConfig config, List<SegmentResult> results, int partitions,
                                Partitioning partitioning, Evaluation evaluation, long inputRows, String input,
                                double vectorLength, double startupSeconds) throws IOException {
        List<SegmentResult> built = results.stream().filter(r -> r.path != null)
                .sorted(Comparator.comparingInt(r -> r.partition)).collect(Collectors.toList());
        long stored = built.stream().mapToLong(r -> r.count).sum();
        // Counted by the tasks, through the shuffle (one output per map task, however often Spark ran it) and each reduce
        // task's result taken once; a Spark accumulator was applied again for a map task run again.
        long replicated = built.stream().mapToLong(r -> r.replicas).sum();
        long vectors = stored - replicated;
        long skipped = results.stream().mapToLong(r -> r.skipped).sum();
        if (vectors + skipped != inputRows) {
            // A row lost or indexed twice (a map task run again that sent rows elsewhere, say) is not an index to commit.
            throw new IllegalStateException(String.format("input %s: of its %,d rows the build stored %,d and skipped %,d (%,d more"
                    + " stored as replicas): rows were lost or stored twice; nothing committed", input, inputRows, vectors, skipped,
                    replicated));
        }
        if (stored == 0) {
            throw new InvalidInputException("input " + input + ": no valid vectors to index (" + skipped + " skipped)");
        }
        Set<String> listed = built.stream().map(r -> r.path).collect(Collectors.toSet());
        int removedAttempts = commit.deleteUnlisted(config.runId, listed);

        IndexManifest.Quality quality = evaluation == null ? null
                : new BuildRecall(jsc, options, stages).measure(evaluation, partitioning, built, config, commit);

        IndexManifest.Routing routing = null;
        if (partitioning.routed()) {
            IndexManifest.FileRef centroids = commit.writeCentroids(config.runId, partitioning);
            List<Float> biases = new ArrayList<>();
            for (float b : partitioning.biases) {
                biases.add(b);
            }
            routing = new IndexManifest.Routing(IndexManifest.KMEANS, centroids, biases, replicated, true, true);
        }
        List<IndexManifest.Segment> segments = new ArrayList<>();
        for (SegmentResult r : built) {
            segments.add(new IndexManifest.Segment(r.path, r.count, r.bytes, r.crc32c, partitioning.routed() ? r.partition : null,
                    r.count - r.copies));
        }

        double mean = (double) stored / partitions;
        long largest = built.stream().mapToLong(r -> r.count).max().orElse(0);
        if (partitioning.routed() && vectors >= partitions && largest > 1.5 * mean) {
            LOG.warn(String.format("the largest segment holds %,d vectors, %.2fx the mean of %d partitions: above the 1.5x balance"
                    + " aims for; its searches and its task's memory are that much larger", largest, largest / mean, partitions));
        }
        SegmentResult slowest = built.stream().max(Comparator.comparingDouble(r -> r.seconds)).orElseThrow();
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("vectors", vectors);
        summary.put("segments", built.size());
        summary.put("partitions", partitions);
        summary.put("skipped", skipped);
        summary.put("replicated", replicated);
        summary.put("largest_segment_vs_mean", BuildStages.round(largest / mean));
        // Each copy is indexed once, so the graphs' sizes are what the build's work follows.
        long copies = built.stream().mapToLong(r -> r.copies).sum();
        summary.put("copies", copies);
        if (copies > 0) {
            double meanGraph = (double) (stored - copies) / partitions;
            summary.put("largest_graph_vs_mean", BuildStages.round(built.stream().mapToLong(r -> r.count - r.copies).max().orElse(0) / meanGraph));
        }
        summary.put("startup_seconds", BuildStages.round(startupSeconds));
        summary.putAll(stages.entries());
        summary.put("slowest_segment", slowest.path);
        summary.put("slowest_segment_seconds", BuildStages.round(slowest.seconds));
        summary.put("threads_per_task", config.threadsPerTask);
        summary.put("scoring", built.get(0).scoring);
        summary.put("master", spark.sparkContext().master());
        summary.put("kernels_on_driver", VectorKernels.implementation());
        summary.put("input", recordedInput);
        if (quality != null) {
            summary.put("recall_at_10", quality.defaults().recallAt10());
            summary.put("recall_at_10_by_ids", quality.defaults().recallAt10ByIds());
            summary.put("default_nprobe", quality.defaults().nprobe());
            summary.put("default_ef", quality.defaults().ef());
            summary.put("target_recall_reached", quality.reached());
            summary.put("best_recall_at_10", GridChoice.best(quality.grid()).recallAt10());
            IndexManifest.GridPoint routed = GridChoice.bestRouted(quality.grid());
            if (quality.defaults().nprobe() == 0 && routed != null) {
                // The readers will search every segment: say what that costs against the best a routed search got.
                summary.put("best_routed", String.format(Locale.ROOT,
                        "recall %s at nprobe %d, ef %d; the default, every segment, scores %.1fx that point's bytes per query",
                        routed.recallAt10(), routed.nprobe(), routed.ef(),
                        quality.defaults().bytesScoredPerQuery() / (double) Math.max(1, routed.bytesScoredPerQuery())));
            }
        }
        // Seconds run from reading the input to the commit; the manifest carries them too, so they are
        // measured just before it is written (the write itself is one small object).
        double seconds = (System.nanoTime() - start) / 1e9;
        summary.put("seconds", BuildStages.round(seconds));
        summary.put("vectors_per_second", Math.round(vectors / seconds));
        IndexManifest manifest = new IndexManifest(IndexManifest.FORMAT_VERSION, config.metric, config.dimension,
                new IndexManifest.BuildParams(options.m, options.efConstruction, options.seed), vectors, segments, routing, quality, summary,
                vectorLength);
        int leftovers = removeLeftovers(commit, config.runId);
        commit.commit(manifest, config.runId, config.testFault);
        summary.put("output", commit.root().toString());
        summary.put("removed_attempt_files", removedAttempts);
        summary.put("removed_leftover_files", leftovers);
        LOG.info(String.format("commit: %s written; removed %d files of failed attempts and %d leftovers older than %s of earlier builds; "
                        + "a replaced index's files stay for readers of it until `hnswseg vacuum` (or a later build) finds them older "
                        + "than that", commit.root() + "/" + IndexManifest.FILE_NAME, removedAttempts, leftovers, Vacuum.DEFAULT_GRACE));
        return new BuildSummary(summary);
    }

    /**
     * Before the commit: files no manifest lists, left by killed or failed builds, older than the grace period
     * (this build's and any other running build's are under a live lease).
     */
    private static int removeLeftovers(IndexCommit commit, String runId) {
        try {
            Vacuum.Result result = Vacuum.run(commit.fs(), commit.root(), Vacuum.DEFAULT_GRACE, runId, false);
            if (!result.failed().isEmpty()) {
                Vacuum.Failed first = result.failed().get(0);
                LOG.warn("{} leftover(s) of earlier builds could not be removed, the first {} ({}); the build goes on",
                        result.failed().size(), first.entry().path(), first.reason());
            }
            return result.removed().size();
        } catch (InvalidInputException e) {
            // The index being replaced has a manifest that cannot be read or does not describe its directory: once ours is
            // committed, vacuum can tell. Said as a warning: the replaced index was damaged (probe helper 97).
            LOG.warn("leftovers not removed before the commit: " + e.getMessage());
            return 0;
        } catch (IOException | RuntimeException e) {
            // A chore, not the build: a leftover of another user's under a sticky bit failed every build there, its new
            // segments removed (probe helper 90).
            LOG.warn("leftovers of earlier builds not removed before the commit, which goes on ({})", Causes.firstLine(e));
            return 0;
        }
    }

    /** The driver's Hadoop settings, shipped to tasks (a Configuration is not serializable). */
    private Map<String, String> settings() {
        return settings(hadoop());
    }

    /** A Hadoop configuration as plain entries, to ship to tasks; {@link #conf(Map)} turns them back. */
    static Map<String, String> settings(Configuration hadoop) {
        Map<String, String> settings = new HashMap<>();
        hadoop.forEach(e -> settings.put(e.getKey(), e.getValue()));
        return settings;
    }

    static Configuration conf(Map<String, String> settings) {
        Configuration c = new Configuration(false);
        settings.forEach(c::set);
        return c;
    }
}
