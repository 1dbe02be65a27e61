package io.hnswseg.eval;

import io.hnswseg.distance.VectorKernels;
import io.hnswseg.hnsw.HnswGraph;
import io.hnswseg.hnsw.HnswGraphBuilder;
import io.hnswseg.hnsw.HnswParams;
import io.hnswseg.hnsw.Reachability;
import io.hnswseg.hnsw.VectorIndex;
import io.hnswseg.io.FloatMatrix;

import io.hnswseg.segment.SegmentWriter;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The in-process benchmark behind {@code hnswseg bench}, run the way the hnswlib peer driver runs: an
 * untimed warm-up build on the first vectors (JIT and page cache), the timed build, then per ef one
 * untimed pass over the queries and {@code reps} timed single-thread passes (median queries/s). Before
 * the first ef, one untimed pass at every ef lets the JIT finish compiling the search path, which
 * otherwise makes the first row of the table slower than the second.
 */
public final class Benchmark {

    /** Figures of one ef. */
    public record Run(int ef, double recallAt10, double qps, double meanMs, double p99Ms) {
    }

    /**
     * The whole report; field names follow the JSON of {@code bench --json}.
     *
     * @param scoring       what the graph scores (int8 codes or float vectors) and why
     * @param graphBytes    heap bytes of the built graph (vectors, codes, links, ids)
     * @param segmentBytes  size of the segment file the graph writes to
     * @param unreachable   layer-0 nodes that no search can reach from the entry node (should be 0)
     * @param peakHeapBytes peak heap in use during the timed build beyond what was live before it (the input
     *                      vectors): the builder's own peak, an upper bound since pool peaks need not coincide
     */
    public record Report(int vectors, int threads, int m, int efConstruction, String metric, String kernels, String scoring,
                         double buildSeconds, double vectorsPerSecond, long graphBytes, long segmentBytes,
                         long peakHeapBytes, int unreachable, List<Run> runs) {
    }

    private Benchmark() {
    }

    /** Builds a graph over {@code base} with {@code threads} threads, row numbers as ids. */
    public static HnswGraph build(FloatMatrix base, HnswParams params, int threads) {
        HnswGraphBuilder builder = new HnswGraphBuilder(base.dimension(), base.rows(), params);
        for (int r = 0; r < base.rows(); r++) {
            builder.add(r, base.data(), r * base.dimension());
        }
        return builder.build(threads);
    }

    /** Every beam must reach k = 10, since recall@10 is measured; a caller checks it before reading any file. */
    public static void checkEfs(int[] efs) {
        for (int ef : efs) {
            if (ef < 10) {
                throw new IllegalArgumentException("ef " + ef + " is below k = 10 (recall@10 is measured): every ef must be >= 10");
            }
        }
    }

    public static Report run(FloatMatrix base, FloatMatrix queries, int[][] truth, HnswParams params, int threads,
                             int[] efs, int warmupVectors, int reps) {
        if (queries.rows() != truth.length) {
            throw new IllegalArgumentException(queries.rows() + " queries but " + truth.length + " ground-truth rows");
        }
        if (queries.dimension() != base.dimension()) {
            throw new IllegalArgumentException("queries have dimension " + queries.dimension() + ", base " + base.dimension());
        }
        checkEfs(efs);
        if (warmupVectors > 0) {
            build(base.head(Math.min(warmupVectors, base.rows())), params, threads);
        }
        System.gc();
        List<MemoryPoolMXBean> pools = ManagementFactory.getMemoryPoolMXBeans();
        pools.forEach(MemoryPoolMXBean::resetPeakUsage);
        long before = heapInUse(pools, false);
        long start = System.nanoTime();
        HnswGraph graph = build(base, params, threads);
        double seconds = (System.nanoTime() - start) / 1e9;
        long peakHeap = heapInUse(pools, true) - before;
        long segmentBytes;
        try {
            segmentBytes = SegmentWriter.write(graph, OutputStream.nullOutputStream()).bytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (int ef : efs) {
            for (int q = 0; q < queries.rows(); q++) {
                graph.search(queries.row(q), 10, ef);
            }
        }
        List<Run> runs = new ArrayList<>();
        for (int ef : efs) {
            runs.add(measure(graph, queries, truth, ef, reps));
        }
        return new Report(base.rows(), threads, params.m(), params.efConstruction(), params.metric().externalName(),
                VectorKernels.implementation(), graph.scoring(), seconds, base.rows() / seconds, graph.heapBytes(), segmentBytes, peakHeap, Reachability.unreachable(graph), runs);
    }

    private static long heapInUse(List<MemoryPoolMXBean> pools, boolean peak) {
        return pools.stream().filter(p -> p.getType() == MemoryType.HEAP)
                .mapToLong(p -> (peak ? p.getPeakUsage() : p.getUsage()).getUsed()).sum();
    }

    /** Recall@10 and single-thread speed of one ef over all queries. */
    public static Run measure(VectorIndex index, FloatMatrix queries, int[][] truth, int ef, int reps) {
        int k = 10;
        int n = queries.rows();
        long[][] found = new long[n][];
        for (int q = 0; q < n; q++) {
            found[q] = index.search(queries.row(q), k, ef).ids();
        }
        double recall = Recall.atK(found, truth, k);
        double[] passSeconds = new double[Math.max(1, reps)];
        Latencies latencies = new Latencies(n * passSeconds.length);
        float[][] rows = new float[n][];
        for (int q = 0; q < n; q++) {
            rows[q] = queries.row(q);
        }
        for (int rep = 0; rep < passSeconds.length; rep++) {
            long passStart = System.nanoTime();
            for (int q = 0; q < n; q++) {
                long t = System.nanoTime();
                index.search(rows[q], k, ef);
                latencies.record(System.nanoTime() - t);
            }
            passSeconds[rep] = (System.nanoTime() - passStart) / 1e9;
        }
        // The median pass, as hnswlib's driver takes it: of an even count, the mean of the middle two (the upper one of
        // the passes' speeds favoured this side; review helper 75).
        Arrays.sort(passSeconds);
        int middle = passSeconds.length / 2;
        double median = passSeconds.length % 2 == 1 ? passSeconds[middle] : (passSeconds[middle - 1] + passSeconds[middle]) / 2;
        return new Run(ef, recall, n / median, latencies.meanMillis(), latencies.percentileMillis(99));
    }
}
