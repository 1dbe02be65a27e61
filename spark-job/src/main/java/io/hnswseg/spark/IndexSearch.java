package io.hnswseg.spark;

import io.hnswseg.distance.Metric;
import io.hnswseg.hnsw.SearchResults;
import io.hnswseg.manifest.IndexManifest;
import io.hnswseg.manifest.InvalidManifestException;
import io.hnswseg.manifest.Leases;
import io.hnswseg.reader.IndexReader;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.size;

/**
 * A batch search, planned on the driver: the index's manifest read once (its bytes travel to the tasks,
 * which check the index is still that one), the queries' dimension checked against the index before any
 * task runs, ef and nprobe resolved. Tasks search their queries in batches on the executor's one shared
 * reader ({@link SharedIndex}).
 */
final class IndexSearch implements Serializable {

    private static final Logger LOG = LoggerFactory.getLogger(IndexSearch.class);

    private static final long serialVersionUID = 1L;
    /**
     * Queries one {@code searchBatch} call takes: the reader searches a batch segment by segment, so the
     * larger the batch the longer a segment stays in cache (100,000 queries on 16 k-means segments of
     * sift-real-1m, nprobe 4: 1.1-1.3x faster in batches of 16,384 than of 512); a batch's queries and
     * results stay a few MB: {@link #batchSize} makes a batch of larger k fewer queries.
     */
    private static final int BATCH = 16_384;
    /** The neighbours a batch's answers hold at most: {@link #BATCH} of k = 10. */
    private static final int BATCH_RESULTS = BATCH * 10;
    /** Bytes of an fvecs/bvecs query file one task reads. */
    private static final long SPLIT_BYTES = 64L << 20;
    /** Rows of a query table looked at to check its dimension before the job runs. */
    private static final int DIMENSION_PROBE_ROWS = 1000;

    /** One query on its way to the search. */
    static final class Query implements Serializable {
        private static final long serialVersionUID = 1L;
        final long id;
        final float[] vector;

        Query(long id, float[] vector) {
            this.id = id;
            this.vector = vector;
        }
    }

    final transient JavaRDD<Query> queries;
    final transient SparkSession spark;
    final SharedIndex.Spec index;
    final Metric metric;
    final int k;
    final int ef;
    final int nprobe;
    final boolean excludeSelf;
    /** Neighbours each search asks for: k, or k + 1 when the query's own id is left out. */
    final int searchK;
    final int segments;
    final boolean routed;
    final String testFault;
    /** The query count when known without a pass over the queries (an fvecs/bvecs file), else -1. */
    final long knownCount;
    /**
     * Which build of the index answers, for the summary: its first segment's file and CRC32C. A rebuild in place
     * gives the same ids other vectors, and the results said nothing of which one they came from (probe helper 80).
     */
    final String answeredBy;

    private IndexSearch(SparkSession spark, String indexUri, byte[] manifestBytes, IndexManifest manifest, JavaRDD<Query> queries,
                        long knownCount, SearchOptions options, int searchThreads, Map<String, String> hadoop) {
        this.spark = spark;
        this.queries = queries;
        this.knownCount = knownCount;
        this.index = new SharedIndex.Spec(indexUri, manifestBytes, searchThreads, hadoop);
        IndexManifest.Segment first = manifest.segments().get(0);
        this.answeredBy = "index " + indexUri + " whose first segment is " + first.path()
                + " (CRC32C " + io.hnswseg.segment.MappedSegment.hex(first.crc32c()) + ", as inspect lists it)";
        this.metric = manifest.metricValue();
        this.k = options.k;
        this.excludeSelf = options.excludeSelf;
        this.testFault = options.testFault;
        this.searchK = options.searchK();
        this.segments = manifest.searchableSegments();
        this.routed = manifest.routed();
        this.ef = options.ef != null ? options.ef : Math.max(manifest.defaultEf(IndexReader.DEFAULT_EF), searchK);
        this.nprobe = options.nprobe != null ? options.nprobe : manifest.defaultNprobe();
        if (nprobe > segments || (nprobe > 0 && !routed)) {
            throw new InvalidInputException("--nprobe " + nprobe + ": " + (routed ? "the index has " + segments + " segments"
                    : "the index is partitioned at random, so every query visits all " + segments + " segments (use --nprobe 0)"));
        }
        if (searchK > manifest.totalCount()) {
            // Right, but silent before: every row came out short (review helper 64).
            LOG.warn(String.format("k=%d%s is above the index's %,d vectors: each row holds at most %,d neighbours", k,
                    excludeSelf ? " (and the query's own id left out)" : "", manifest.totalCount(),
                    manifest.totalCount() - (excludeSelf ? 1 : 0)));
        }
    }

    /** Plans a search of {@code index} with a table of (id, vector) queries. */
    static IndexSearch of(SparkSession spark, String index, Dataset<Row> queries, SearchOptions options) throws IOException {
        options.validate();
        Loaded loaded = load(spark, index);
        TableInput table = TableInput.of(queries, options.idColumn, options.vectorColumn);
        checkTableDimension(table, loaded.manifest.dimension(), "the queries");
        String idColumn = table.idColumn;
        String vectorLabel = table.vectorLabel;
        int dimension = loaded.manifest.dimension();
        Metric metric = loaded.manifest.metricValue();
        JavaRDD<Query> rows = table.internalRows(table.table)
                .mapPartitions(it -> validated(TableInput.rows(it, idColumn, vectorLabel), dimension, metric, false));
        return new IndexSearch(spark, loaded.uri, loaded.bytes, loaded.manifest, rows, -1, options, threads(spark, options),
                loaded.hadoop);
    }

    /** Plans a search of {@code index} with a Parquet table or an fvecs/bvecs file of queries at {@code uri}. */
    static IndexSearch of(SparkSession spark, String index, String uri, SearchOptions options) throws IOException {
        options.validate();
        String format = options.format != null ? options.format : IndexBuild.inferFormat(uri);
        if (format.equals("parquet")) {
            return of(spark, index, ParquetTables.open(spark, uri, "queries"), options);
        }
        Loaded loaded = load(spark, index);
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        VecsInput vecs = VecsInput.open(uri, format, jsc.hadoopConfiguration(), "queries");
        int dimension = loaded.manifest.dimension();
        if (vecs.dimension != dimension) {
            throw new InvalidInputException("queries " + uri + " have dimension " + vecs.dimension + ", the index at " + index
                    + " has " + dimension);
        }
        Metric metric = loaded.manifest.metricValue();
        long rows = vecs.rows;
        int splits = (int) Math.max(1, Math.min(rows, Math.max(2L * jsc.defaultParallelism(),
                (rows * vecs.recordBytes() + SPLIT_BYTES - 1) / SPLIT_BYTES)));
        Map<String, String> settings = loaded.hadoop;
        JavaRDD<Query> queries = jsc.parallelize(IntStream.range(0, splits).boxed().collect(Collectors.toList()), splits)
                .mapPartitions(it -> {
                    int split = it.next();
                    long first = rows * split / splits;
                    long last = rows * (split + 1) / splits;
                    return validated(vecs.rows(first, last - first, IndexBuild.conf(settings)), dimension, metric, true);
                });
        return new IndexSearch(spark, loaded.uri, loaded.bytes, loaded.manifest, queries, rows, options, threads(spark, options),
                loaded.hadoop);
    }

    /**
     * The index's URI qualified on the driver (a path without a scheme is on the default file system, HDFS on
     * a cluster, not on each executor's disk), the manifest's bytes as read once there, parsed, and the Hadoop
     * settings tasks read with.
     */
    private record Loaded(String uri, byte[] bytes, IndexManifest manifest, Map<String, String> hadoop) {
    }

    private static Loaded load(SparkSession spark, String index) throws IOException {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        Path root = new Path(index);
        Path manifestPath = new Path(root, IndexManifest.FILE_NAME);
        byte[] bytes;
        String uri;
        try {
            FileSystem fs = manifestPath.getFileSystem(conf);
            uri = fs.makeQualified(root).toString();
            try (FSDataInputStream in = fs.open(manifestPath)) {
                bytes = in.readAllBytes();
            }
        } catch (FileNotFoundException e) {
            throw new InvalidInputException("no index at " + index + ": " + manifestPath + " does not exist");
        }
        IndexManifest manifest;
        try {
            manifest = IndexManifest.parse(bytes, manifestPath.toString());
        } catch (InvalidManifestException e) {
            throw new InvalidInputException(e.getMessage());
        }
        return new Loaded(uri, bytes, manifest, IndexBuild.settings(conf));
    }

    /**
     * Says in the index's directory that this search reads its files, until the result is closed: a vacuum, or the
     * clean-up of a build replacing the index, keeps them meanwhile, however long the search runs (probe helper 80: a
     * search of a replaced index failed once a vacuum removed its files). Where the lease cannot be written (a store
     * this job may only read) the search goes on without it, and says so.
     */
    Closeable holdIndexFiles() {
        Path root = new Path(index.uri);
        try {
            FileSystem fs = root.getFileSystem(spark.sparkContext().hadoopConfiguration());
            IndexManifest manifest = IndexManifest.parse(index.manifest, index.uri);
            return BuildLease.takeForReading(fs, root, Leases.filesOf(manifest).keySet(), "search");
        } catch (IOException | RuntimeException e) {
            LOG.warn("could not say in {} that this search reads its files ({}): a vacuum there may remove them while it runs, "
                    + "if the index is replaced meanwhile", index.uri, e.toString());
            return () -> { };
        }
    }

    /** The most common vector length among the first rows must be the index's: a table of other vectors is refused up front. */
    private static void checkTableDimension(TableInput table, int dimension, String what) {
        List<Row> lengths = table.table.select(size(col("vector")).as("n")).where(col("vector").isNotNull())
                .limit(DIMENSION_PROBE_ROWS).collectAsList();
        Map<Integer, Integer> counts = new HashMap<>();
        for (Row r : lengths) {
            counts.merge(r.getInt(0), 1, Integer::sum);
        }
        counts.entrySet().stream().max(Map.Entry.comparingByValue()).ifPresent(common -> {
            if (common.getKey() != dimension) {
                throw new InvalidInputException(what + " (column " + table.vectorColumn + ") have dimension " + common.getKey()
                        + " (" + common.getValue() + " of the first " + lengths.size() + " vectors), the index has " + dimension);
            }
        });
    }

    private static int threads(SparkSession spark, SearchOptions options) {
        if (options.searchThreads != null) {
            return options.searchThreads;
        }
        // 0: each executor JVM uses its own core count (local mode: the driver's).
        return spark.sparkContext().getConf().getInt("spark.executor.cores", 0);
    }

    /** A task's rows as queries, each checked (dimension, null, NaN/Inf; cosine: nonzero), a bad one named in the error. */
    private static Iterator<Query> validated(RowSource rows, int dimension, Metric metric, boolean copy) {
        return new Iterator<>() {
            private Query next;

            @Override
            public boolean hasNext() {
                if (next == null) {
                    try {
                        if (!rows.next()) {
                            rows.close();
                            return false;
                        }
                        String problem = BlockMapper.problem(rows, rows.vector(), dimension, metric);
                        if (problem != null) {
                            throw new InvalidInputException("query " + rows.describe() + ": " + problem);
                        }
                        next = new Query(rows.id(), copy ? rows.vector().clone() : rows.vector());
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }
                return true;
            }

            @Override
            public Query next() {
                if (!hasNext()) {
                    throw new java.util.NoSuchElementException();
                }
                Query q = next;
                next = null;
                return q;
            }
        };
    }

    /** One row per query: (id, neighbors, distances), closest first. Lazy: each action searches again. */
    Dataset<Row> results() {
        IndexSearch plan = this;
        JavaRDD<NeighbourRow> rows = queries.mapPartitions(it -> plan.search(it));
        return spark.createDataset(rows.rdd(), org.apache.spark.sql.Encoders.bean(NeighbourRow.class))
                .select(col("id"), col("neighbors"), col("distances"));
    }

    /**
     * Searches every query and writes the result rows as Parquet, one file per task in {@code dir}; returns
     * the files of the attempts Spark kept (a failed or speculative attempt's file is not among them).
     */
    List<ResultWriter.ResultFile> writeTo(String dir) {
        IndexSearch plan = this;
        // A table of no partitions (an empty Dataset) would run no task and leave no file, so no schema to read
        // the results by: one empty task writes one.
        JavaRDD<Query> tasks = queries.getNumPartitions() > 0 ? queries
                : JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(List.<Query>of(), 1);
        return tasks.mapPartitions(it -> List.of(ResultWriter.write(plan.search(it), dir, plan.index.hadoop, plan.testFault))
                .iterator()).collect();
    }

    /** Searches a task's queries on the executor's shared reader, a batch at a time. */
    private Iterator<NeighbourRow> search(Iterator<Query> it) throws IOException {
        SharedIndex.Lease lease = SharedIndex.acquire(index);
        TaskContext task = TaskContext.get();
        if (task != null) {
            task.addTaskCompletionListener((TaskContext t) -> lease.close());
        }
        IndexReader reader = lease.reader();
        int batchSize = batchSize(searchK);
        return new Iterator<>() {
            private final List<Query> batch = new ArrayList<>(batchSize);
            private final List<float[]> vectors = new ArrayList<>(batchSize);
            private List<SearchResults> found = List.of();
            private int at;

            @Override
            public boolean hasNext() {
                if (at < found.size()) {
                    return true;
                }
                if (task != null) {
                    // A killed task (its job failed or was cancelled) stops between batches (probe helper 86).
                    task.killTaskIfInterrupted();
                }
                batch.clear();
                vectors.clear();
                while (batch.size() < batchSize && it.hasNext()) {
                    Query q = it.next();
                    batch.add(q);
                    vectors.add(q.vector);
                }
                at = 0;
                found = batch.isEmpty() ? List.of() : reader.searchBatch(vectors, searchK, ef, nprobe);
                return !found.isEmpty();
            }

            @Override
            public NeighbourRow next() {
                if (!hasNext()) {
                    throw new java.util.NoSuchElementException();
                }
                Query q = batch.get(at);
                SearchResults r = found.get(at++);
                return row(q.id, r);
            }
        };
    }

    /**
     * Queries per batch for {@code k} neighbours each: {@link #BATCH}, fewer for k above 10 (probe helper 40: k =
     * 10,000 in batches of 16,384 ran a task out of memory, as the batch's answers alone were 2 GB).
     */
    static int batchSize(int k) {
        return Math.max(1, Math.min(BATCH, BATCH_RESULTS / k));
    }

    /** The result row of a query: its k neighbours, without the query's own id under excludeSelf. */
    private NeighbourRow row(long id, SearchResults r) {
        long[] ids = r.ids();
        float[] distances = r.distances();
        int skip = excludeSelf ? indexOf(ids, id) : -1;
        int n = Math.min(k, skip >= 0 ? ids.length - 1 : ids.length);
        long[] keptIds = new long[n];
        float[] keptDistances = new float[n];
        for (int i = 0, j = 0; j < n; i++) {
            if (i != skip) {
                keptIds[j] = ids[i];
                keptDistances[j++] = distances[i];
            }
        }
        return new NeighbourRow(id, keptIds, keptDistances);
    }

    private static int indexOf(long[] ids, long id) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == id) {
                return i;
            }
        }
        return -1;
    }

    /** What a recall check measured. */
    record Recall(int queries, double recall, double seconds) {
    }

    /**
     * Recall@k of this search on {@code wanted} queries sampled at random: each sampled query is searched
     * as the job searches it and by brute force over the whole index (the query's own id left out of both
     * under excludeSelf); a neighbour as near as the k-th true one counts ({@link io.hnswseg.eval.Recall#hits}).
     */
    Recall recall(int wanted, long seed) {
        if (TestFaults.FAIL_RECALL_CHECK.equals(testFault)) {
            throw new IllegalStateException("injected: the recall check failed");
        }
        long start = System.nanoTime();
        long count = knownCount >= 0 ? knownCount : queries.count();
        List<Query> sample = sample(queries, count, wanted, seed);
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        IndexSearch plan = this;
        long[] hitsAndTotal = jsc.parallelize(sample, Math.max(1, Math.min(sample.size(), jsc.defaultParallelism())))
                .mapPartitions(it -> plan.scoreRecall(it))
                .reduce((a, b) -> new long[] {a[0] + b[0], a[1] + b[1]});
        return new Recall(sample.size(), hitsAndTotal[1] == 0 ? 1.0 : (double) hitsAndTotal[0] / hitsAndTotal[1],
                (System.nanoTime() - start) / 1e9);
    }

    /**
     * {@code wanted} of the {@code count} rows, drawn at random from all of them (all when there are fewer): an
     * oversample, shuffled, drawn again with twice the fraction while it came out short (a draw of 1 came out empty
     * one time in 20, and the check reported recall 1.0 on no queries; review helper 64). Not the oversample's first rows, which
     * {@code take} gives: they come from its first partitions, so queries sorted by kind would be measured on the
     * first kind only. Not {@code takeSample}, which counts the rows first: one more pass over the queries, where
     * an fvecs file's count is known.
     */
    static <T> List<T> sample(JavaRDD<T> rows, long count, int wanted, long seed) {
        double fraction = Math.min(1.0, 3.0 * wanted / Math.max(1, count));
        List<T> drawn = new ArrayList<>(rows.sample(false, fraction, seed).collect());
        for (long draw = 1; drawn.size() < Math.min(wanted, count) && fraction < 1.0; draw++) {
            fraction = Math.min(1.0, 2 * fraction);
            drawn = new ArrayList<>(rows.sample(false, fraction, seed + draw).collect());
        }
        java.util.Collections.shuffle(drawn, new java.util.Random(seed));
        return drawn.subList(0, Math.min(wanted, drawn.size()));
    }

    private Iterator<long[]> scoreRecall(Iterator<Query> it) throws IOException {
        List<Query> sample = new ArrayList<>();
        it.forEachRemaining(sample::add);
        List<float[]> vectors = sample.stream().map(q -> q.vector).collect(Collectors.toList());
        long hits = 0;
        long total = 0;
        try (SharedIndex.Lease lease = SharedIndex.acquire(index)) {
            IndexReader reader = lease.reader();
            // In batches as the search's (review helper 41): a recall check of many queries at a large k held all
            // their answers, twice, at once.
            int batch = batchSize(searchK);
            for (int from = 0; from < sample.size(); from += batch) {
                int to = Math.min(sample.size(), from + batch);
                long[] counted = scoreRecall(reader, sample.subList(from, to), vectors.subList(from, to));
                hits += counted[0];
                total += counted[1];
            }
        }
        return List.of(new long[] {hits, total}).iterator();
    }

    /** Recall hits and the truth's size over {@code sample}, searched by {@code reader} and by brute force. */
    private long[] scoreRecall(IndexReader reader, List<Query> sample, List<float[]> vectors) {
        List<SearchResults> found = reader.searchBatch(vectors, searchK, ef, nprobe);
        List<SearchResults> exact = reader.exactSearch(vectors, searchK);
        long hits = 0;
        long total = 0;
        for (int i = 0; i < sample.size(); i++) {
            NeighbourRow answer = row(sample.get(i).id, found.get(i));
            NeighbourRow truth = row(sample.get(i).id, exact.get(i));
            long[] trueIds = truth.getNeighbors();
            if (trueIds.length > 0) {
                float lastTrue = io.hnswseg.eval.Recall.lastTrueForHits(truth.getDistances()[trueIds.length - 1], vectors.get(i),
                        metric, reader.typicalVectorLength());
                hits += io.hnswseg.eval.Recall.hits(answer.getNeighbors(), answer.getDistances(), trueIds, lastTrue, metric);
            }
            total += trueIds.length;
        }
        return new long[] {hits, total};
    }
}
