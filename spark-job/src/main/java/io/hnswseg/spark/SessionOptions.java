package io.hnswseg.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The Spark session options every job command shares (a picocli mixin), how the session is started, and
 * how a failure is reported: one line naming the problem (the invalid input behind a failed Spark job,
 * not its stage dump), the full trace only with {@code -Dhnswseg.debug=true}.
 */
final class SessionOptions {

    @Option(names = "--master", description = "Spark master when not run by spark-submit (default: local[*])")
    String master;

    @Option(names = "--properties-file", description = "Spark properties to apply, e.g. conf/spark-defaults.conf")
    java.nio.file.Path propertiesFile;

    @Option(names = "--conf", paramLabel = "KEY=VALUE", description = "a Spark property, repeatable, applied after --properties-file; "
            + "spark.hadoop.* ones reach Hadoop, and so does a key outside spark.*: fs.s3a.endpoint=http://127.0.0.1:9000 is "
            + "spark.hadoop.fs.s3a.endpoint=http://127.0.0.1:9000")
    Map<String, String> sparkProperties = new LinkedHashMap<>();

    /** A started session and what starting it cost. */
    record Started(SparkSession spark, double startupSeconds) {
    }

    /**
     * Starts (or joins, under spark-submit) the session with Kryo and the job's registrator. Spark's first
     * job in a new context spends about 0.4 s initialising its scheduler whatever the job, and its first SQL
     * query about a second creating the SQL engine: that is start-up, so one empty job and one trivial query
     * run here and are counted in {@code startupSeconds}.
     */
    Started start(String appName) throws IOException {
        long start = System.nanoTime();
        SparkSession.Builder builder = SparkSession.builder().appName(appName);
        Map<String, String> settings = settings();
        settings.forEach(builder::config);
        builder.config("spark.serializer", "org.apache.spark.serializer.KryoSerializer");
        builder.config("spark.kryo.registrator", HnswsegKryoRegistrator.class.getName());
        SparkConf submitted = new SparkConf();
        String master = master(settings, submitted.contains("spark.master"));
        if (master != null) {
            builder.master(master);
        }
        if (ownsScratch(master != null ? master : settings.get("spark.master"), settings, submitted)) {
            java.nio.file.Path scratch = LocalScratch.create(java.nio.file.Path.of(System.getProperty("java.io.tmpdir")));
            if (scratch != null) {
                builder.config("spark.local.dir", scratch.toString());
            }
        }
        warnOfDriverMemory(settings.get("spark.driver.memory"));
        SparkSession spark;
        try {
            spark = builder.getOrCreate();
        } catch (IllegalArgumentException e) {
            throw startFailure(e);
        }
        JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(List.of(0), 1).count();
        // Spark SQL's session state (catalog, parser, planner) is created on first use, about a second
        // whatever the query: start-up too, not the job's.
        spark.range(1).count();
        return new Started(spark, (System.nanoTime() - start) / 1e9);
    }

    /** The properties file's entries, then the --conf ones, with their keys as Spark takes them ({@link #sparkKey}). */
    Map<String, String> settings() throws IOException {
        return settings(propertiesFile, sparkProperties);
    }

    /**
     * Hadoop's configuration as the session {@link #start} makes would have it, before it starts: the {@code spark.*}
     * system properties (spark-submit's settings), then {@link #settings()}.
     */
    org.apache.hadoop.conf.Configuration hadoopConfiguration() throws IOException {
        return hadoopConfiguration(afterSubmitted(settings()));
    }

    /** What spark-submit passed (its --conf, the cluster's defaults: system properties), then {@code settings} over it. */
    static Map<String, String> afterSubmitted(Map<String, String> settings) {
        Map<String, String> all = new LinkedHashMap<>();
        for (scala.Tuple2<String, String> entry : new SparkConf().getAll()) {
            all.put(entry._1(), entry._2());
        }
        all.putAll(settings);
        return all;
    }

    /** Hadoop's configuration with the {@code spark.hadoop.*} entries of {@code settings} ({@link #settings}), as a session would have it. */
    static org.apache.hadoop.conf.Configuration hadoopConfiguration(Map<String, String> settings) {
        org.apache.hadoop.conf.Configuration hadoop = new org.apache.hadoop.conf.Configuration();
        settings.forEach((key, value) -> {
            if (key.startsWith("spark.hadoop.")) {
                hadoop.set(key.substring("spark.hadoop.".length()), value);
            }
        });
        return hadoop;
    }

    /** {@code propertiesFile}'s entries (none when null), then {@code conf}'s, keyed as Spark takes them ({@link #sparkKey}). */
    static Map<String, String> settings(java.nio.file.Path propertiesFile, Map<String, String> conf) throws IOException {
        Properties file = new Properties();
        if (propertiesFile != null) {
            try (InputStream in = Files.newInputStream(propertiesFile)) {
                file.load(in);
            }
        }
        Map<String, String> settings = new LinkedHashMap<>();
        file.forEach((k, v) -> settings.put(sparkKey(k.toString()), v.toString().trim()));
        conf.forEach((k, v) -> settings.put(sparkKey(k), v));
        return settings;
    }

    /**
     * The master to set: {@code --master}, else none when {@code settings} or spark-submit ({@code submitted}) name
     * one, else {@code local[*]}. A {@code spark.master} in the properties file or a --conf was once overridden
     * by the default without a word (probe helper 48).
     */
    String master(Map<String, String> settings, boolean submitted) {
        if (master != null) {
            return master;
        }
        return settings.containsKey("spark.master") || submitted ? null : "local[*]";
    }

    /**
     * Whether this job's Spark scratch goes to a directory of its own ({@link LocalScratch}): in local mode, where the
     * tasks run in this process, unless the user chose where (spark.local.dir, or SPARK_LOCAL_DIRS, which Spark puts
     * first). On a cluster, executors' scratch is the cluster manager's to place and clean.
     */
    static boolean ownsScratch(String master, Map<String, String> settings, SparkConf submitted) {
        return master != null && master.startsWith("local") && !settings.containsKey("spark.local.dir")
                && !submitted.contains("spark.local.dir") && System.getenv("SPARK_LOCAL_DIRS") == null;
    }

    /**
     * A failure to start Spark, said in terms a user of bin/hnswseg can act on where Spark's own words mislead: its
     * advice for too small a heap names options that cannot reach a running driver (see warnOfDriverMemory); Spark's
     * exception is kept as suppressed ({@link Causes#retold}).
     */
    private static RuntimeException startFailure(IllegalArgumentException e) {
        String message = String.valueOf(e.getMessage());
        if (!message.contains("--driver-memory")) {
            return e;
        }
        return Causes.retold(new IllegalArgumentException(Causes.firstLine(message)
                + " Raise the driver's heap: with bin/hnswseg set HNSWSEG_DRIVER_MEMORY (default 4g), with spark-submit --driver-memory"), e);
    }

    /**
     * A property's key as Spark takes it: a key outside {@code spark.*} is a Hadoop one (as {@code vacuum} takes it),
     * which Spark would otherwise drop without a word (probe helper 48: {@code --conf fs.s3a.endpoint=...} sent a
     * build to AWS).
     */
    static String sparkKey(String key) {
        return key.startsWith("spark.") ? key : "spark.hadoop." + key;
    }

    /**
     * Spark sets the driver's heap only when it launches the driver (spark-submit); bin/hnswseg runs the driver in
     * its own JVM, whose heap is already set, so a {@code spark.driver.memory} unlike it is said to do nothing.
     */
    private static void warnOfDriverMemory(String asked) {
        if (asked == null) {
            return;
        }
        long heap = Runtime.getRuntime().maxMemory();
        long bytes;
        try {
            // A bare number is MiB, as Spark reads this setting.
            bytes = org.apache.spark.network.util.JavaUtils.byteStringAsBytes(
                    Character.isDigit(asked.charAt(asked.length() - 1)) ? asked + "m" : asked);
        } catch (RuntimeException e) {
            return; // Spark names a malformed value itself
        }
        if (Math.abs(bytes - heap) > 0.2 * bytes) {
            org.slf4j.LoggerFactory.getLogger(SessionOptions.class).warn(String.format("spark.driver.memory %s is not this driver's "
                    + "heap (%.1f GB): the driver runs in this JVM, started before the setting was read; with bin/hnswseg set "
                    + "HNSWSEG_DRIVER_MEMORY (or -Xmx in HNSWSEG_JAVA_OPTS), with spark-submit --driver-memory", asked, heap / 1e9));
        }
    }

    /** What a job out of memory is told to raise. */
    static final String MORE_MEMORY = "give the JVM more (HNSWSEG_DRIVER_MEMORY for bin/hnswseg, where local[N] tasks run too;"
            + " spark.executor.memory on a cluster); a search-job holds the most for a large --k";

    /** A command line whose failures print one line, {@code hnswseg <name>: error: ...}. */
    static CommandLine commandLine(Object command, String name) {
        // Named as typed: the usage line said "Usage: build" (probe helper 81).
        CommandLine cli = io.hnswseg.cli.UsageErrors.install(new CommandLine(command).setCommandName("hnswseg " + name), "hnswseg " + name);
        cli.setExecutionExceptionHandler((e, c, parsed) -> {
            PrintWriter err = c.getErr();
            err.println("hnswseg " + name + ": error: " + explain(e));
            if (Boolean.getBoolean("hnswseg.debug")) {
                e.printStackTrace(err);
            } else if (!(cause(e) instanceof InvalidInputException) && Causes.first(e, SessionOptions::hadoopCannotLogIn) == null) {
                // Under spark-submit the launcher's variable does nothing (probe helper 93).
                err.println("(run with HNSWSEG_JAVA_OPTS=-Dhnswseg.debug=true for the full trace; under spark-submit,"
                        + " --driver-java-options -Dhnswseg.debug=true)");
            }
            return 1;
        });
        return cli;
    }

    private static Throwable cause(Throwable e) {
        Throwable named = Causes.first(e, t -> t instanceof InvalidInputException || t instanceof io.hnswseg.manifest.InvalidManifestException);
        return named != null ? named : e;
    }

    /** The message of a missing compression codec class, after any "reading FILE: ": its name. */
    private static final java.util.regex.Pattern MISSING_CODEC = java.util.regex.Pattern.compile(
            "(?:reading \\S+: )?org\\.apache\\.hadoop\\.io\\.compress\\.(\\w+)Codec");

    private static final java.util.regex.Pattern READING_FILE = java.util.regex.Pattern.compile(
            "Encountered error while reading file (\\S+?)\\.(\\s|$)");

    /** The file a failed read of Spark's names in a wrapping message, or null. */
    private static String fileBeingRead(Throwable e) {
        Throwable reading = Causes.first(e, t -> READING_FILE.matcher(String.valueOf(t.getMessage())).find());
        if (reading == null) {
            return null;
        }
        java.util.regex.Matcher m = READING_FILE.matcher(reading.getMessage());
        return m.find() ? m.group(1) : null;
    }

    private static boolean thrownBySparkMlVectors(Throwable t) {
        // require() throws from scala.Predef, one or two frames above the vector's constructor.
        return t instanceof IllegalArgumentException && java.util.Arrays.stream(t.getStackTrace()).limit(4)
                .anyMatch(f -> f.getClassName().startsWith("org.apache.spark.ml.linalg."));
    }

    /** Hadoop's login refused by a Java it does not run on (23 and later): the message says all there is to it. */
    private static boolean hadoopCannotLogIn(Throwable t) {
        return t instanceof UnsupportedOperationException && String.valueOf(t.getMessage()).contains("getSubject");
    }

    /** Hadoop's RPC failure, naming the host it called. */
    private static final java.util.regex.Pattern HADOOP_CALL = java.util.regex.Pattern.compile("Call From \\S+ to (\\S+:\\d+) failed on ");

    /** The message a user needs: the invalid-input cause of a failed Spark job, else the root cause's message. */
    static String explain(Throwable e) {
        Throwable named = cause(e);
        if (named != e || named instanceof InvalidInputException) {
            return named.getMessage();
        }
        if (Causes.first(e, SessionOptions::hadoopCannotLogIn) != null) {
            // Hadoop's login, in every Spark job and in vacuum's file system, on a Java it does not run on.
            return "Hadoop cannot log in on Java " + Runtime.version().feature() + " (it calls Subject.getSubject, which Java 23 and "
                    + "later refuse): run build, search-job and vacuum on Java 17 or 21 (bin/hnswseg takes the JDK from JAVA or JAVA_HOME)";
        }
        if (Causes.first(e, t -> String.valueOf(t.getMessage()).contains("because SparkContext was shut down")) != null) {
            // Spark's words for it were "Job 4 cancelled because SparkContext was shut down" (the last stop's leftover).
            // Not "nothing was committed": a search-job's recall check after its commit ends the same way (review helper 83).
            return "stopped: the Spark session was shut down under the job (a signal such as Ctrl-C or SIGTERM, or the JVM exiting)";
        }
        Throwable root = Causes.root(e);
        String message = root instanceof java.nio.file.FileSystemException ? io.hnswseg.io.LocalFiles.describe(root)
                : root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        // A task's error reaches the driver wrapped in Spark's stage dump: keep its first line.
        String line = Causes.firstLine(message);
        Throwable s3 = Causes.first(e, t -> String.valueOf(t.getMessage()).startsWith("s3a://"));
        if (s3 != null && !line.contains("s3a://")) {
            // S3A names the path in its own exception ("s3a://b/x: getFileStatus on s3a://b/x: ..."), the SDK's cause only the
            // store's words: "Forbidden (Service: S3, Status Code: 403 ...)" named no bucket or key (probe helper 74).
            String said = s3.getMessage();
            int path = said.indexOf(": ");
            line = (path > 0 ? said.substring(0, path) : said) + ": " + line;
        }
        Throwable rpc = Causes.first(e, t -> HADOOP_CALL.matcher(String.valueOf(t.getMessage())).find());
        java.util.regex.Matcher call = HADOOP_CALL.matcher(rpc != null ? rpc.getMessage() : "");
        if (call.find() && !line.contains(call.group(1))) {
            // Hadoop's RPC names the host in a wrapper ("Call From a to nn:8020 failed on connection exception"), its cause
            // only "Connection refused" (probe helper 90: an HDFS namenode down).
            line = "cannot reach " + call.group(1) + " (" + line + ")";
        }
        String file = fileBeingRead(e);
        if (file != null && !line.contains(file)) {
            // Parquet's words name a column, not the file; Spark's wrapper names the file (probe helper 34).
            line = "reading " + file + ": " + line;
        }
        if (line.contains("No space left on device") || line.contains("File too large")) {
            // Often without a file: Spark's scratch files, Parquet's output, an executor's copy of an index (probe helper 50).
            line += " (a disk this job writes to is full, or a file size limit is set: the output's, Spark's scratch directory"
                    + " spark.local.dir, by default a directory under " + System.getProperty("java.io.tmpdir")
                    + ", or, for search-job on an s3a:// index, the executors' copy of it)";
        }
        if (root instanceof org.apache.spark.sql.execution.datasources.SchemaColumnConvertNotSupportedException c) {
            // Parquet's words, "column: [vector, list, element], physicalType: DOUBLE, logicalType: float" (probe helper 39).
            String column = c.getColumn().replaceAll("^\\[|\\]$", "").split(", ")[0];
            return (file != null ? "reading " + file + ": " : "") + "column " + column + " holds " + c.getPhysicalType().toLowerCase(java.util.Locale.ROOT)
                    + " values where the table has " + c.getLogicalType() + " (Spark takes a table's column types from one of its"
                    + " files): write every file with the same column types" + (file != null ? ParquetTables.summaryBeside(file) : "");
        }
        java.util.regex.Matcher codec = MISSING_CODEC.matcher(line);
        if (root instanceof ClassNotFoundException && codec.matches()) {
            // Hadoop names the codec class it lacks, nothing more (probe helper 54: Brotli-compressed Parquet from DuckDB).
            String name = codec.group(1);
            return (line.startsWith("reading ") ? line.substring(0, line.indexOf(": ") + 2) : "") + "the file is compressed with "
                    + name + ", for which this Hadoop has no codec: write it with zstd, snappy, gzip or lz4";
        }
        if (line.contains("Unsupported encoding: BYTE_STREAM_SPLIT")) {
            // Written by DuckDB's and pyarrow's Parquet version 2 options; Spark's row reader reads it (probe helper 54).
            return line + " (Spark's vectorized Parquet reader does not read this encoding; --conf"
                    + " spark.sql.parquet.enableVectorizedReader=false reads it, slower, or write the file without it)";
        }
        if (line.matches("Wrong FS: file://[^/].*")) {
            // Hadoop's words for file://host/path, which the readers refuse in theirs.
            return line + ": a file: URI on another host is not a local path (give the path, or file:///path)";
        }
        if (line.startsWith("No FileSystem for scheme \"s3\"")) {
            // The reader takes s3:// and s3a:// alike; Hadoop has only s3a:// (probe helper 30 ran vacuum s3://...).
            return line + ": give s3a://bucket/path (Hadoop's S3A client, the same objects)";
        }
        if (line.contains("Class org.apache.hadoop.fs.s3a.S3AFileSystem not found")) {
            // A Spark distribution without hadoop-aws said only that (probe helper 93, under spark-submit).
            return line + ": this Spark has no S3A connector; add hadoop-aws " + org.apache.hadoop.util.VersionInfo.getVersion()
                    + " (its Hadoop's version) and the AWS SDK v2 it names, e.g. spark-submit --packages org.apache.hadoop:hadoop-aws:"
                    + org.apache.hadoop.util.VersionInfo.getVersion();
        }
        if (thrownBySparkMlVectors(root)) {
            // Spark rebuilds a sparse vector from its stored indices and values on reading, and require()s them sound
            // (probe helper 39: "requirement failed: Index 40 out of bounds for vector of size 32", nothing more).
            return line + ": a Spark ML vector of the input is malformed (a sparse vector's indices beyond its size,"
                    + " not increasing, or not as many as its values); Spark does not say which row";
        }
        if (line.contains("bigger than spark.driver.maxResultSize")) {
            // The tasks' answers to the driver grow with the segments times the queries: a build's recall measurement
            // sends about 1.3 KB per eval query per segment (probe helper 87: 1,024 random partitions failed so).
            return line + ": the tasks' results to the driver grow with the partitions times the queries; for a build lower"
                    + " --eval-queries (or --partitions), or raise the limit, e.g. --conf spark.driver.maxResultSize=4g (0: none),"
                    + " with the driver's memory to hold it";
        }
        if (line.contains("Java heap space")) {
            // A task's OutOfMemoryError reaches the driver as its message alone (probe helper 40: "error: Java heap space").
            return line + ": out of memory; " + MORE_MEMORY;
        }
        return line;
    }
}
