package io.hnswseg.cli;

import io.hnswseg.distance.Metric;
import io.hnswseg.distance.Vectors;
import io.hnswseg.eval.Latencies;
import io.hnswseg.eval.Recall;
import io.hnswseg.hnsw.SearchResults;
import io.hnswseg.io.FloatMatrix;
import io.hnswseg.io.LocalFiles;
import io.hnswseg.io.VecsReader;
import io.hnswseg.reader.IndexReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/** {@code hnswseg eval}: recall and speed of an index against exact ground truth, per (nprobe, ef). */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Measure recall@k, queries/s (one client and N concurrent clients) and latency of an index, per nprobe and ef.")
final class EvalCommand implements Callable<Integer> {

    @Mixin
    IndexOptions index;

    @Option(names = "--queries", required = true, description = "query vectors (.fvecs or .bvecs)")
    Path queries;

    @Option(names = "--groundtruth", required = true, description = "exact neighbour ids per query (.ivecs)")
    Path groundTruth;

    @Option(names = "--k", defaultValue = "10", description = "k of recall@k (default: ${DEFAULT-VALUE})")
    int k;

    @Option(names = "--ef", split = ",", description = "beam widths (default: 10,20,40,80,160,320 and the index's own, those below k"
            + " replaced by k)")
    int[] efs;

    private static final int[] DEFAULT_EFS = {10, 20, 40, 80, 160, 320};

    @Option(names = "--nprobe", split = ",", description = "the most segments visited per query on a k-means index, a grid like 1,2,4,8; "
            + "0 = all (default: the index's recommended nprobe)")
    int[] nprobes;

    @Option(names = "--clients", defaultValue = "4", description = "concurrent clients of the second measurement (default: ${DEFAULT-VALUE})")
    int clients;

    @Option(names = "--reps", defaultValue = "5", description = "timed passes over the queries per setting (each repeats them to last at least 0.1 s), taken in turns "
            + "across the grid; the median pass counts (default: ${DEFAULT-VALUE})")
    int reps;

    @Option(names = "--json", description = "also write the figures to this JSON file")
    Path json;

    @Option(names = "--overwrite", description = "replace an existing --json file")
    boolean overwrite;

    @Override
    public Integer call() throws Exception {
        LocalFiles.checkOutput("--json", json, overwrite, queries, groundTruth, LocalFiles.pathOf(index.index));
        FloatMatrix q = VecsReader.readFloats(queries, Integer.MAX_VALUE);
        int[][] truth = VecsReader.readInts(groundTruth);
        if (truth.length != q.rows()) {
            throw new IllegalArgumentException(groundTruth + " has " + truth.length + " rows for " + q.rows() + " queries in " + queries);
        }
        if (clients < 1) {
            throw new IllegalArgumentException("--clients must be >= 1");
        }
        if (reps < 1) {
            throw new IllegalArgumentException("--reps must be >= 1");
        }
        boolean efsGiven = efs != null;
        if (!efsGiven) {
            // Below k the grid's smallest widths cannot be searched; k itself takes their place.
            java.util.stream.IntStream atLeastK = java.util.Arrays.stream(DEFAULT_EFS).filter(ef -> ef >= k);
            efs = (k > DEFAULT_EFS[0] ? java.util.stream.IntStream.concat(java.util.stream.IntStream.of(k), atLeastK) : atLeastK)
                    .distinct().toArray();
        }
        for (int ef : efs) {
            if (ef < k) {
                throw new IllegalArgumentException("--ef " + ef + " is below --k " + k + ": every ef must be >= k");
            }
        }
        float[][] rows = new float[q.rows()][];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = q.row(i);
        }
        List<Map<String, Object>> runs = new ArrayList<>();
        for (int i = 0; i < truth.length; i++) {
            if (truth[i].length < k) {
                throw new IllegalArgumentException(groundTruth + " row " + i + " has " + truth[i].length + " ids, fewer than --k " + k);
            }
        }
        ExecutorService callers = Executors.newFixedThreadPool(clients);
        try (IndexReader reader = index.openFor(queries, q, k)) {
            float[] lastTrue = lastTrueDistances(reader, rows, truth);
            int[] probes = nprobes != null ? nprobes : new int[]{reader.defaultNprobe()};
            if (!efsGiven) {
                // The index's own ef, which query and serve search with: eval measured the default nprobe at other
                // widths only, so a build's recommendation could not be checked without naming it.
                efs = java.util.stream.IntStream.concat(java.util.Arrays.stream(efs), java.util.stream.IntStream.of(Math.max(k, reader.defaultEf())))
                        .sorted().distinct().toArray();
            }
            // Untimed passes at every setting, for at least WARMUP_NANOS: the JIT compiles the search path
            // (the vector kernels reach their compiled form only after some thousands of calls) and any bad
            // nprobe is reported before anything is measured. One pass of a small query set is not enough.
            int points = probes.length * efs.length;
            long[] passNanos = new long[points];
            long warmupStart = System.nanoTime();
            do {
                for (int p = 0; p < points; p++) {
                    long start = System.nanoTime();
                    for (float[] row : rows) {
                        reader.search(row, k, efs[p % efs.length], probes[p / efs.length]);
                    }
                    passNanos[p] = System.nanoTime() - start;
                    concurrentQps(callers, reader, rows, 1, k, efs[p % efs.length], probes[p / efs.length]);
                }
            } while (System.nanoTime() - warmupStart < WARMUP_NANOS);
            // A setting's pass repeats the queries until it lasts about MIN_PASS_NANOS at the speed of its last
            // warm-up pass: three queries took 20 us, too short to time, and the clients' thread start-up
            // decided their figure.
            int[] repeats = new int[points];
            for (int p = 0; p < points; p++) {
                repeats[p] = (int) Math.max(1, Math.ceil(MIN_PASS_NANOS / (double) Math.max(1, passNanos[p])));
            }
            // Each setting's timed passes are spread over the whole measurement, a pass of every setting in
            // turn, and the median pass counts: on a shared machine a few busy seconds then slow one pass of
            // each setting instead of deciding one setting's figure.
            double[][] qps = new double[points][reps];
            double[][] concurrent = new double[points][reps];
            Latencies[] latencies = new Latencies[points];
            SearchResults[][] found = new SearchResults[points][rows.length];
            for (int rep = 0; rep < reps; rep++) {
                for (int p = 0; p < points; p++) {
                    int nprobe = probes[p / efs.length];
                    int ef = efs[p % efs.length];
                    if (rep == 0) {
                        latencies[p] = new Latencies(rows.length * reps * repeats[p]);
                    }
                    long start = System.nanoTime();
                    for (int r = 0; r < repeats[p]; r++) {
                        for (int i = 0; i < rows.length; i++) {
                            long t = System.nanoTime();
                            found[p][i] = reader.search(rows[i], k, ef, nprobe);
                            latencies[p].record(System.nanoTime() - t);
                        }
                    }
                    qps[p][rep] = (double) rows.length * repeats[p] / ((System.nanoTime() - start) / 1e9);
                    concurrent[p][rep] = concurrentQps(callers, reader, rows, repeats[p], k, ef, nprobe);
                }
            }
            System.out.printf("%6s %6s %10s %10s %12s %14s %9s %9s %9s%n", "nprobe", "ef", "recall@" + k, "by ids", "queries/s",
                    "q/s " + clients + (clients == 1 ? " client" : " clients"), "mean ms", "p50 ms", "p99 ms");
            for (int p = 0; p < points; p++) {
                int nprobe = probes[p / efs.length];
                int ef = efs[p % efs.length];
                double recall = Recall.atK(found[p], truth, lastTrue, k, reader.metric());
                double recallByIds = Recall.atK(ids(found[p]), truth, k);
                System.out.printf("%6s %6d %10.4f %10.4f %12.0f %14.0f %9.3f %9.3f %9.3f%n", nprobe == 0 ? "all" : String.valueOf(nprobe), ef,
                        recall, recallByIds, median(qps[p]), median(concurrent[p]), latencies[p].meanMillis(), latencies[p].percentileMillis(50),
                        latencies[p].percentileMillis(99));
                Map<String, Object> run = new LinkedHashMap<>();
                run.put("nprobe", nprobe);
                run.put("ef", ef);
                run.put("recall_at_" + k, recall);
                run.put("recall_at_" + k + "_by_ids", recallByIds);
                run.put("qps", median(qps[p]));
                run.put("qps_concurrent", median(concurrent[p]));
                run.put("mean_ms", latencies[p].meanMillis());
                run.put("p50_ms", latencies[p].percentileMillis(50));
                run.put("p99_ms", latencies[p].percentileMillis(99));
                run.put("queries_per_pass", rows.length * repeats[p]);
                runs.add(run);
            }
            if (json != null) {
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("segments", reader.segmentCount());
                out.put("vectors", reader.size());
                out.put("k", k);
                out.put("clients", clients);
                out.put("reps", reps);
                out.put("runs", runs);
                Json.write(json, out);
                System.out.println("wrote " + json);
            }
        } finally {
            callers.shutdownNow();
        }
        return 0;
    }

    /**
     * Per query the distance of its k-th true neighbour, the vectors read from the index by the ids the ground
     * truth lists (a ground-truth file holds ids only), so that recall counts an equally near result as found, as
     * the build's own measurement does: of exact copies or ties, which ids the file lists is arbitrary. NaN, and
     * that query counted by ids, where the truth does not describe this index: an id the index lacks, or listed
     * distances out of order (a ground truth of other data, or ids shifted by one, would otherwise let every
     * result pass as no farther than an unrelated vector).
     */
    private float[] lastTrueDistances(IndexReader reader, float[][] rows, int[][] truth) {
        Set<Long> ids = new HashSet<>();
        for (int[] t : truth) {
            for (int i = 0; i < k; i++) {
                ids.add((long) t[i]);
            }
        }
        Map<Long, float[]> vectors = reader.vectors(ids);
        Metric metric = reader.metric();
        float[] last = new float[rows.length];
        int scaled = 0;
        int missing = 0;
        int unordered = 0;
        for (int q = 0; q < rows.length; q++) {
            float[] query = rows[q];
            if (metric.normalizes()) {
                query = query.clone();
                Vectors.normalize(query, 0, query.length);
            }
            float previous = Float.NEGATIVE_INFINITY;
            last[q] = Float.NaN;
            for (int i = 0; i < k; i++) {
                float[] vector = vectors.get((long) truth[q][i]);
                if (vector == null) {
                    missing++;
                    break;
                }
                float distance = metric.distance(query, 0, vector, 0, vector.length);
                // Ground truth computed in other arithmetic may order near ties either way: a relative 1e-5 passes.
                if (distance < previous - 1e-5f * Math.max(Math.abs(previous), metric == Metric.L2 ? 0 : 1)) {
                    unordered++;
                    break;
                }
                previous = distance;
                if (i == k - 1) {
                    last[q] = Recall.lastTrueForHits(distance, rows[q], metric, reader.typicalVectorLength());
                    scaled += Float.isNaN(last[q]) ? 1 : 0;
                }
            }
        }
        if (scaled > 0) {
            System.err.printf("eval: %d of %d queries are far shorter than the index's vectors, searched scaled up (ip): their"
                    + " distances, 1 - x.q, cannot tell their neighbours apart, so their results count by id only%n", scaled, rows.length);
        }
        if (missing + unordered > 0) {
            System.err.printf("eval: %s does not describe this index for %d of %d queries (%d list an id the index lacks, %d list"
                    + " vectors out of distance order): their results count by id only%n", groundTruth, missing + unordered, rows.length,
                    missing, unordered);
        }
        return last;
    }

    private static long[][] ids(SearchResults[] results) {
        long[][] ids = new long[results.length][];
        for (int i = 0; i < results.length; i++) {
            ids[i] = results[i].ids();
        }
        return ids;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        java.util.Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /** How long the untimed warm-up runs at least. */
    private static final long WARMUP_NANOS = 3_000_000_000L;

    /** The shortest timed pass wanted: passes of a few queries repeat them. */
    private static final long MIN_PASS_NANOS = 100_000_000L;

    /**
     * Queries/s with {@code clients} threads of {@code callers} (started by the warm-up, so no thread's start
     * is timed) each taking the next query until the queries have been searched {@code repeats} times.
     */
    private double concurrentQps(ExecutorService callers, IndexReader reader, float[][] rows, int repeats, int k, int ef, int nprobe)
            throws Exception {
        int total = rows.length * repeats;
        AtomicInteger next = new AtomicInteger();
        long start = System.nanoTime();
        List<Future<?>> done = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            done.add(callers.submit(() -> {
                for (int i = next.getAndIncrement(); i < total; i = next.getAndIncrement()) {
                    reader.search(rows[i % rows.length], k, ef, nprobe);
                }
            }));
        }
        for (Future<?> f : done) {
            f.get();
        }
        return total / ((System.nanoTime() - start) / 1e9);
    }
}
