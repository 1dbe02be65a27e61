package io.hnswseg.spark;

import io.hnswseg.distance.Metric;
import io.hnswseg.distance.VectorKernels;
import io.hnswseg.hnsw.HnswParams;
import io.hnswseg.io.VecsFormat;
import io.hnswseg.manifest.IndexManifest;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.size;

/**
 * The job: {@code spark-submit --class io.hnswseg.spark.BuildIndexJob hnswseg-spark-job-*-app.jar --input URI
 * --output URI [options]}, or {@code bin/hnswseg build ...} in local mode. Prints a summary and writes it
 * into the manifest.
 */
@Command(name = "build", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Build an HNSW index with Spark: one segment per partition, manifest.json written last.")
public final class BuildIndexJob implements Callable<Integer> {

    /** Partitions by default: one per this many vectors, and at least the cluster's default parallelism. */
    public static final long TARGET_VECTORS_PER_SEGMENT = 1_000_000;

    @Option(names = "--input", required = true, description = "dataset URI: a .fvecs/.bvecs file or a Parquet table (file:, hdfs://, s3a://, ...)")
    String input;

    @Option(names = "--output", required = true, description = "index URI (a directory or prefix)")
    String output;

    @Option(names = "--format", description = "parquet, fvecs or bvecs (default: from the input's extension; parquet otherwise)")
    String format;

    @Option(names = "--id-col", defaultValue = "id", description = "Parquet: int64 id column (default: ${DEFAULT-VALUE})")
    String idColumn;

    @Option(names = "--vector-col", defaultValue = "vector",
            description = "Parquet: array<float>, array<double> or Spark ML vector column (default: ${DEFAULT-VALUE})")
    String vectorColumn;

    @Option(names = "--partitions", description = "segments to build (default: max(default parallelism, vectors / "
            + TARGET_VECTORS_PER_SEGMENT + "))")
    Integer partitions;

    @Option(names = "--metric", defaultValue = "l2", description = "l2, ip or cosine (default: ${DEFAULT-VALUE})")
    String metric;

    @Option(names = "--m", defaultValue = "16", description = "HNSW M (default: ${DEFAULT-VALUE})")
    int m;

    @Option(names = "--ef-construction", defaultValue = "100", description = "build beam width (default: ${DEFAULT-VALUE})")
    int efConstruction;

    @Option(names = "--seed", defaultValue = "42", description = "level seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--threads-per-task", description = "build threads per task (default: spark.task.cpus)")
    Integer threadsPerTask;

    @Option(names = "--overwrite", description = "replace an index already at --output (it stays readable until the new manifest is written)")
    boolean overwrite;

    @Option(names = "--on-invalid", defaultValue = "fail", description = "fail (default) or skip: what to do with a bad vector (NaN/Inf, null, empty, wrong dimension)")
    String onInvalid;

    @Option(names = "--master", description = "Spark master when not run by spark-submit (default: local[*])")
    String master;

    @Option(names = "--properties-file", description = "Spark properties to apply, e.g. conf/spark-defaults.conf")
    java.nio.file.Path propertiesFile;

    @Option(names = "--conf", paramLabel = "KEY=VALUE", description = "a Spark property, repeatable, applied after --properties-file; "
            + "spark.hadoop.* ones reach Hadoop, e.g. spark.hadoop.fs.s3a.endpoint=http://127.0.0.1:9000")
    Map<String, String> sparkProperties = new LinkedHashMap<>();

    @Option(names = "--summary-json", description = "also write the summary to this local JSON file")
    java.nio.file.Path summaryJson;

    @Option(names = "--test-fail-first-attempt", hidden = true)
    boolean failFirstAttempts;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new BuildIndexJob());
        cli.setExecutionExceptionHandler((e, c, parsed) -> {
            c.getErr().println("hnswseg build: error: " + explain(e));
            if (Boolean.getBoolean("hnswseg.debug")) {
                e.printStackTrace(c.getErr());
            }
            return 1;
        });
        return cli;
    }

    /** The message a user needs: the invalid-input cause of a failed Spark job, not its stage dump. */
    static String explain(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof InvalidInputException || t instanceof io.hnswseg.manifest.InvalidManifestException) {
                return t.getMessage();
            }
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == e || root.getMessage() == null ? String.valueOf(e.getMessage()) : root.getMessage();
    }

    @Override
    public Integer call() throws Exception {
        long start = System.nanoTime();
        SparkSession.Builder builder = SparkSession.builder().appName("hnswseg build " + output);
        Properties defaults = new Properties();
        if (propertiesFile != null) {
            try (InputStream in = Files.newInputStream(propertiesFile)) {
                defaults.load(in);
            }
        }
        defaults.forEach((k, v) -> builder.config(k.toString(), v.toString().trim()));
        sparkProperties.forEach(builder::config);
        builder.config("spark.serializer", "org.apache.spark.serializer.KryoSerializer");
        builder.config("spark.kryo.registrator", HnswsegKryoRegistrator.class.getName());
        if (master != null) {
            builder.master(master);
        } else if (!new SparkConf().contains("spark.master")) {
            builder.master("local[*]");
        }
        try (SparkSession spark = builder.getOrCreate()) {
            // Spark's first job in a new context spends about 0.4 s initialising its scheduler and loading
            // its classes, whatever the job; that is Spark's start-up, so it is paid (and reported) here.
            JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(List.of(0), 1).count();
            double startup = (System.nanoTime() - start) / 1e9;
            Map<String, Object> summary = run(spark, startup);
            print(summary);
            if (summaryJson != null) {
                Files.write(summaryJson, new com.fasterxml.jackson.databind.ObjectMapper().writerWithDefaultPrettyPrinter()
                        .writeValueAsBytes(summary));
            }
        }
        return 0;
    }

    /** Runs the job on a session (tests call this directly); returns the summary written into the manifest. */
    Map<String, Object> run(SparkSession spark, double startupSeconds) throws IOException {
        long start = System.nanoTime();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Configuration hadoop = jsc.hadoopConfiguration();
        JobConfig config = config(spark);
        IndexCommit commit = new IndexCommit(output, hadoop);
        IndexManifest replaced = commit.existing(overwrite);
        Map<String, String> hadoopSettings = new HashMap<>();
        hadoop.forEach(e -> hadoopSettings.put(e.getKey(), e.getValue()));

        List<SegmentResult> results;
        int parts;
        long inputRows;
        if (config.format.equals("parquet")) {
            Dataset<Row> rows = parquetRows(spark, config);
            inputRows = rows.count();
            if (inputRows == 0) {
                throw new InvalidInputException("input " + input + " has no rows");
            }
            parts = partitionsFor(inputRows, jsc);
            results = rows.repartition(parts).javaRDD()
                    .mapPartitionsWithIndex((p, it) -> List.of(RowPartitionTask.run(config, p, it, conf(hadoopSettings))).iterator(), true)
                    .collect();
        } else {
            long[] shape = vecsShape(config, hadoop);
            inputRows = shape[0];
            config.dimension = (int) shape[1];
            parts = partitionsFor(inputRows, jsc);
            long rowsTotal = inputRows;
            int partitionCount = parts;
            results = jsc.parallelize(IntStream.range(0, parts).boxed().collect(Collectors.toList()), parts)
                    .map(p -> {
                        long first = rowsTotal * p / partitionCount;
                        long last = rowsTotal * (p + 1) / partitionCount;
                        return VecsPartitionTask.run(config, p, first, last - first, conf(hadoopSettings));
                    })
                    .collect();
        }
        List<SegmentResult> built = results.stream().filter(r -> r.path != null)
                .sorted(Comparator.comparingInt(r -> r.partition)).collect(Collectors.toList());
        long vectors = built.stream().mapToLong(r -> r.count).sum();
        long skipped = results.stream().mapToLong(r -> r.skipped).sum();
        if (vectors == 0) {
            throw new InvalidInputException("input " + input + ": no valid vectors to index (" + skipped + " skipped)");
        }
        Set<String> listed = built.stream().map(r -> r.path).collect(Collectors.toSet());
        int removedAttempts = commit.deleteUnlisted(config.runId, listed);

        SegmentResult slowest = built.stream().max(Comparator.comparingDouble(r -> r.buildSeconds)).orElseThrow();
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("vectors", vectors);
        summary.put("segments", built.size());
        summary.put("partitions", parts);
        summary.put("skipped", skipped);
        summary.put("startup_seconds", round(startupSeconds));
        summary.put("slowest_segment", slowest.path);
        summary.put("slowest_segment_seconds", round(slowest.buildSeconds));
        summary.put("threads_per_task", config.threadsPerTask);
        summary.put("master", spark.sparkContext().master());
        summary.put("kernels_on_driver", VectorKernels.implementation());
        summary.put("input", input);
        List<IndexManifest.Segment> segments = new ArrayList<>();
        for (SegmentResult r : built) {
            segments.add(new IndexManifest.Segment(r.path, r.count, r.bytes, r.crc32c));
        }
        // Seconds run from reading the input to the commit; the manifest carries them too, so they are
        // measured just before it is written (the write itself is one small object).
        double seconds = (System.nanoTime() - start) / 1e9;
        summary.put("seconds", round(seconds));
        summary.put("vectors_per_second", Math.round(vectors / seconds));
        IndexManifest manifest = new IndexManifest(config.metric, config.dimension,
                new IndexManifest.BuildParams(m, efConstruction, seed), vectors, segments, summary);
        commit.commit(manifest, config.runId);
        int removedOld = commit.deleteReplaced(replaced, listed);
        summary.put("output", commit.root().toString());
        summary.put("removed_attempt_files", removedAttempts);
        summary.put("removed_replaced_segments", removedOld);
        return summary;
    }

    private static double round(double seconds) {
        return Math.round(seconds * 1000) / 1000.0;
    }

    private JobConfig config(SparkSession spark) {
        JobConfig c = new JobConfig();
        c.input = input;
        c.output = output;
        c.format = format != null ? format.toLowerCase(Locale.ROOT) : inferFormat(input);
        if (!Set.of("parquet", "fvecs", "bvecs").contains(c.format)) {
            throw new InvalidInputException("--format " + format + ": expected parquet, fvecs or bvecs");
        }
        c.idColumn = idColumn;
        c.vectorColumn = vectorColumn;
        c.metric = Metric.parse(metric).externalName();
        new HnswParams(m, efConstruction, seed, Metric.parse(metric));
        c.m = m;
        c.efConstruction = efConstruction;
        c.seed = seed;
        c.threadsPerTask = threadsPerTask != null ? threadsPerTask : spark.sparkContext().getConf().getInt("spark.task.cpus", 1);
        if (c.threadsPerTask < 1) {
            throw new InvalidInputException("--threads-per-task must be >= 1");
        }
        switch (onInvalid) {
            case "fail" -> c.skipInvalid = false;
            case "skip" -> c.skipInvalid = true;
            default -> throw new InvalidInputException("--on-invalid " + onInvalid + ": expected fail or skip");
        }
        c.runId = UUID.randomUUID().toString().substring(0, 8);
        c.failFirstAttempts = failFirstAttempts;
        return c;
    }

    static String inferFormat(String uri) {
        String lower = uri.toLowerCase(Locale.ROOT);
        return lower.endsWith(".fvecs") ? "fvecs" : lower.endsWith(".bvecs") ? "bvecs" : "parquet";
    }

    private int partitionsFor(long rows, JavaSparkContext jsc) {
        if (partitions != null) {
            if (partitions < 1) {
                throw new InvalidInputException("--partitions must be >= 1, got " + partitions);
            }
            return partitions;
        }
        long bySize = (rows + TARGET_VECTORS_PER_SEGMENT - 1) / TARGET_VECTORS_PER_SEGMENT;
        return (int) Math.max(jsc.defaultParallelism(), bySize);
    }

    /** Row count and dimension of a vecs file, checking that its size is whole records. */
    private static long[] vecsShape(JobConfig config, Configuration hadoop) throws IOException {
        Path path = new Path(config.input);
        FileSystem fs = FileSystem.get(URI.create(config.input), hadoop);
        FileStatus status;
        try {
            status = fs.getFileStatus(path);
        } catch (FileNotFoundException e) {
            throw new InvalidInputException("input " + config.input + " does not exist");
        }
        if (status.getLen() == 0) {
            throw new InvalidInputException("input " + config.input + " is empty: no vectors");
        }
        byte[] head = new byte[4];
        try (FSDataInputStream in = fs.open(path)) {
            in.readFully(head);
        }
        int dim = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN).getInt();
        if (dim <= 0 || dim > (1 << 20)) {
            throw new InvalidInputException(config.input + ": the first record declares dimension " + dim + ": not a ." + config.format + " file");
        }
        long record = 4 + (long) dim * VecsFormat.valueOf(config.format.toUpperCase(Locale.ROOT)).componentBytes();
        if (status.getLen() % record != 0) {
            throw new InvalidInputException(config.input + ": " + status.getLen() + " bytes is not a whole number of " + record
                    + "-byte records of dimension " + dim + ": the file is truncated (row " + status.getLen() / record + " is incomplete)");
        }
        return new long[]{status.getLen() / record, dim};
    }

    /** The table as (id int64, vector array&lt;float&gt;), after checking columns, dimension and ids. */
    private static Dataset<Row> parquetRows(SparkSession spark, JobConfig config) {
        Dataset<Row> table = spark.read().parquet(config.input);
        StructField id = field(table, config.idColumn, "--id-col");
        StructField vector = field(table, config.vectorColumn, "--vector-col");
        if (!id.dataType().equals(DataTypes.LongType) && !id.dataType().equals(DataTypes.IntegerType)) {
            throw new InvalidInputException("column " + config.idColumn + " is " + id.dataType().simpleString() + ", expected bigint (int64)");
        }
        DataType type = vector.dataType();
        Column v = col(config.vectorColumn);
        Column asFloats;
        if (type instanceof ArrayType a && a.elementType().equals(DataTypes.FloatType)) {
            asFloats = v;
        } else if (type instanceof ArrayType a && a.elementType().equals(DataTypes.DoubleType)) {
            asFloats = v.cast(DataTypes.createArrayType(DataTypes.FloatType));
        } else if (type instanceof VectorUDT) {
            asFloats = org.apache.spark.ml.functions.vector_to_array(v, "float32");
        } else {
            throw new InvalidInputException("column " + config.vectorColumn + " is " + type.simpleString()
                    + ", expected array<float>, array<double> or a Spark ML vector");
        }
        Dataset<Row> rows = table.select(col(config.idColumn).cast(DataTypes.LongType).as("id"), asFloats.as("vector"));
        List<Row> first = rows.filter(col("vector").isNotNull().and(size(col("vector")).gt(0))).select(size(col("vector"))).limit(1).collectAsList();
        if (!first.isEmpty()) {
            config.dimension = first.get(0).getInt(0);
        }
        List<Row> duplicates = rows.groupBy("id").count().filter(col("count").gt(1)).limit(5).collectAsList();
        if (!duplicates.isEmpty()) {
            throw new InvalidInputException("column " + config.idColumn + " has duplicate ids: " + duplicates.stream()
                    .map(r -> r.get(0) + " (" + r.getLong(1) + " rows)").collect(Collectors.joining(", ")) + "; ids must be unique");
        }
        if (first.isEmpty()) {
            long n = rows.count();
            throw new InvalidInputException("input " + config.input + (n == 0 ? " has no rows" : " has no non-empty vector in column " + config.vectorColumn));
        }
        return rows;
    }

    private static StructField field(Dataset<Row> table, String name, String option) {
        for (StructField f : table.schema().fields()) {
            if (f.name().equals(name)) {
                return f;
            }
        }
        throw new InvalidInputException("no column '" + name + "' (" + option + ") in the input; it has: "
                + String.join(", ", table.schema().fieldNames()));
    }

    private static Configuration conf(Map<String, String> settings) {
        Configuration c = new Configuration(false);
        settings.forEach(c::set);
        return c;
    }

    private static void print(Map<String, Object> s) {
        System.out.printf("hnswseg build: %s vectors in %s segments (%s partitions) in %.2f s: %s vectors/s from reading the input "
                        + "to the committed manifest%n", s.get("vectors"), s.get("segments"), s.get("partitions"), (Double) s.get("seconds"),
                s.get("vectors_per_second"));
        System.out.printf("  Spark start-up %.2f s (not included); slowest segment %s: %.2f s; %s threads per task; skipped %s; index at %s%n",
                (Double) s.get("startup_seconds"), s.get("slowest_segment"), (Double) s.get("slowest_segment_seconds"),
                s.get("threads_per_task"), s.get("skipped"), s.get("output"));
    }
}
