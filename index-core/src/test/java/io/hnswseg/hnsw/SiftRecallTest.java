package io.hnswseg.hnsw;

import io.hnswseg.distance.Metric;
import io.hnswseg.io.FloatMatrix;
import io.hnswseg.io.VecsReader;
import io.hnswseg.testing.Fixtures;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Recall on real SIFT descriptors (../shared/datasets/sift-real); skipped when the folder is absent. */
class SiftRecallTest {

    private static final HnswParams PARAMS = new HnswParams(16, 100, 42, Metric.L2);

    /** sift-real's 100,000 base vectors, its queries and their true top 100; skips the test when absent. */
    private record Sift(FloatMatrix base, FloatMatrix queries, int[][] truth) {
        static Sift load() throws Exception {
            Path dir = Fixtures.dataset("sift-real");
            Assumptions.assumeTrue(dir != null, "../shared/datasets/sift-real is not beside this checkout: real-data recall test skipped");
            FloatMatrix base = VecsReader.readFloats(dir.resolve("base.fvecs"), 100_000);
            assertTrue(base.rows() == 100_000, "the ground truth is for the whole 100,000-row base");
            return new Sift(base, VecsReader.readFloats(dir.resolve("query.fvecs"), Integer.MAX_VALUE), VecsReader.readInts(dir.resolve("groundtruth.ivecs")));
        }
    }

    @Test
    void first100kAtM16Efc100() throws Exception {
        Sift sift = Sift.load();
        FloatMatrix queries = sift.queries();
        int[][] truth = sift.truth();
        HnswGraph graph = Fixtures.build(sift.base(), PARAMS, 2);
        double best = 0;
        StringBuilder seen = new StringBuilder();
        for (int ef : new int[]{16, 32, 48, 64}) {
            double r = Fixtures.recall(graph, queries, truth, ef);
            seen.append(" ef=").append(ef).append(':').append(r);
            best = Math.max(best, r);
        }
        assertTrue(best >= 0.95, "recall@10 at ef <= 64:" + seen);
        double at256 = Fixtures.recall(graph, queries, truth, 256);
        assertTrue(at256 >= 0.99, "recall@10 at ef=256: " + at256);
    }

    /**
     * What the Spark build's own recall measurement rests on: base vectors held out of the graph until after
     * the measurement (inserted last) measure what the real, held-apart queries measure, where searching the
     * finished graph with the query's own node skipped measures clearly less (the hole of a node whose
     * neighbours' links were pruned around it).
     */
    @Test
    void vectorsHeldOutUntilLastMeasureTheRecallOfRealQueries() throws Exception {
        Sift sift = Sift.load();
        FloatMatrix base = sift.base();
        FloatMatrix queries = sift.queries();
        int[][] truth = sift.truth();
        Set<Long> held = new HashSet<>();
        for (long id = 7; id < base.rows(); id += 100) {
            held.add(id);
        }
        long[] sample = held.stream().mapToLong(Long::longValue).sorted().toArray();
        HnswGraphBuilder builder = Fixtures.builder(base, PARAMS);
        int[] efs = {24, 32, 48};
        double[] heldOut = new double[efs.length];
        long[][] sampleTruth = new long[sample.length][];
        HnswGraph graph = builder.build(2, held::contains, g -> {
            // The truth leaves out every held-out vector: each query is a new point for a graph without them.
            for (int i = 0; i < sample.length; i++) {
                sampleTruth[i] = Arrays.stream(g.exactSearch(base.row((int) sample[i]), 40).ids()).filter(id -> !held.contains(id)).limit(10).toArray();
                assertEquals(10, sampleTruth[i].length);
            }
            for (int e = 0; e < efs.length; e++) {
                long[][] found = new long[sample.length][];
                for (int i = 0; i < sample.length; i++) {
                    found[i] = g.search(base.row((int) sample[i]), 10, efs[e]).ids();
                    for (long id : found[i]) {
                        assertTrue(!held.contains(id), "vector " + id + " is held out, yet a search reached it");
                    }
                }
                heldOut[e] = recall(found, sampleTruth);
            }
        });
        assertEquals(0, Reachability.unreachable(graph), "the held-out vectors are linked in the end");
        for (long id : sample) {
            assertEquals(id, graph.search(base.row((int) id), 1, 32).ids()[0], "held-out vector " + id + " is in the finished graph");
        }
        // The measurement this replaced: the usual build (the sample inserted among the others), each sampled
        // vector searched with its own node skipped.
        HnswGraph usual = Fixtures.build(base, PARAMS, 2);
        StringBuilder seen = new StringBuilder();
        for (int e = 0; e < efs.length; e++) {
            int ef = efs[e];
            double real = Fixtures.recall(graph, queries, truth, ef);
            long[][] without = new long[sample.length][];
            for (int i = 0; i < sample.length; i++) {
                int node = nodeOf(usual, sample[i]);
                without[i] = GraphSearcher.searchWithout(usual, base.row((int) sample[i]), 10, ef, node).ids();
            }
            double skipped = recall(without, sampleTruth);
            seen.append(String.format(" ef=%d: held out %.4f, real %.4f, own node skipped %.4f;", ef, heldOut[e], real, skipped));
            assertTrue(Math.abs(heldOut[e] - real) <= 0.015, "held-out vectors measure the real queries' recall:" + seen);
            assertTrue(heldOut[e] - skipped >= 0.01, "and more than with the own node skipped:" + seen);
        }
    }

    private static int nodeOf(HnswGraph graph, long id) {
        for (int node = 0; node < graph.size(); node++) {
            if (graph.externalId(node) == id) {
                return node;
            }
        }
        throw new AssertionError("id " + id + " not in the graph");
    }

    private static double recall(long[][] found, long[][] truth) {
        double hits = 0;
        for (int i = 0; i < found.length; i++) {
            for (long id : found[i]) {
                for (long t : truth[i]) {
                    hits += id == t ? 1 : 0;
                }
            }
        }
        return hits / (10.0 * found.length);
    }
}
