package io.hnswseg.hnsw;

import io.hnswseg.distance.Metric;
import io.hnswseg.io.FloatMatrix;
import io.hnswseg.io.VecsReader;
import io.hnswseg.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Concurrent inserts must build the graph a single thread would, up to insertion order: no link lost to a
 * race. Hard data (real SIFT when ../shared is present, high-dimensional Gaussian otherwise), where a few
 * lost links show in recall, unlike generated clusters that reach recall 1.0 whatever happens.
 */
class ConcurrentBuildTest {

    /**
     * A cancelled Spark task ran its graph build to the end and then wrote the segment (probe helper 86): an interrupt of
     * the building thread now stops the build, on one thread and on several, long before it would have ended.
     */
    @Test
    void anInterruptStopsTheBuild() throws Exception {
        FloatMatrix base = Fixtures.clustered(200_000, 50, 16, 7)[0];
        for (int threads : new int[]{1, 2}) {
            HnswGraphBuilder builder = new HnswGraphBuilder(16, base.rows(), new HnswParams(16, 200, 1, Metric.L2));
            for (int r = 0; r < base.rows(); r++) {
                builder.add(r, base.data(), r * 16);
            }
            java.util.concurrent.atomic.AtomicReference<Throwable> thrown = new java.util.concurrent.atomic.AtomicReference<>();
            Thread building = new Thread(() -> {
                try {
                    builder.build(threads);
                } catch (Throwable e) {
                    thrown.set(e);
                }
            });
            long start = System.nanoTime();
            building.start();
            Thread.sleep(500);
            building.interrupt();
            building.join(60_000);
            double seconds = (System.nanoTime() - start) / 1e9;
            assertTrue(thrown.get() instanceof java.util.concurrent.CancellationException, threads + " threads: " + thrown.get());
            assertTrue(seconds < 10, threads + " threads: stopped after " + seconds + " s");
        }
    }

    @Test
    void linksAlreadyInAListAreMergedWithNewOnesNotReplaced() {
        // The race, played in order: another thread links to node 0 (found while node 0 was being inserted)
        // before node 0's own links on that layer are added. Replacing the list would drop node 5.
        FloatMatrix base = Fixtures.clustered(40, 1, 8, 3)[0];
        HnswGraphBuilder builder = new HnswGraphBuilder(8, 40, new HnswParams(4, 20, 1, Metric.L2, false));
        for (int r = 0; r < 40; r++) {
            builder.add(r, base.data(), r * 8);
        }
        SearchContext ctx = SearchContext.current(builder.graph(), 8, 20);
        builder.mergeLinks(0, 0, new int[]{5}, new float[]{distance(base, 0, 5)}, 1, ctx);
        int[] own = {1, 2, 3};
        float[] ownDistances = {distance(base, 0, 1), distance(base, 0, 2), distance(base, 0, 3)};
        assertEquals(1, builder.mergeLinks(0, 0, own, ownDistances, 3, ctx), "the list held one link before");
        assertArrayEquals(new int[]{1, 2, 3, 5}, sortedLinks(builder.graph(), 0, 0));
        // Merging what is already there adds nothing twice.
        builder.mergeLinks(0, 0, new int[]{3, 5}, new float[]{ownDistances[2], distance(base, 0, 5)}, 2, ctx);
        assertArrayEquals(new int[]{1, 2, 3, 5}, sortedLinks(builder.graph(), 0, 0));
        // Past capacity (2M = 8 on layer 0) the heuristic picks a subset, never more than the capacity.
        int[] more = {10, 11, 12, 13, 14, 15, 16};
        float[] moreDistances = new float[more.length];
        for (int i = 0; i < more.length; i++) {
            moreDistances[i] = distance(base, 0, more[i]);
        }
        builder.mergeLinks(0, 0, more, moreDistances, more.length, ctx);
        int[] links = sortedLinks(builder.graph(), 0, 0);
        assertTrue(links.length > 0 && links.length <= 8, Arrays.toString(links));
    }

    @Test
    void vectorsAddedFromSeveralThreadsAreAllKept() throws InterruptedException {
        // Four threads adding at once: unguarded, two of them took the same node number and one vector was lost.
        int dim = 16;
        int perThread = 20_000;
        Thread[] threads = new Thread[4];
        HnswGraphBuilder builder = new HnswGraphBuilder(dim, threads.length * perThread, new HnswParams(8, 40, 1, Metric.L2, false));
        for (int t = 0; t < threads.length; t++) {
            int first = t * perThread;
            threads[t] = new Thread(() -> {
                float[] vector = new float[dim];
                for (int i = first; i < first + perThread; i++) {
                    Arrays.fill(vector, i + 1);
                    builder.add(i, vector);
                }
            });
            threads[t].start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertEquals(threads.length * perThread, builder.size());
        HnswGraph graph = builder.graph();
        boolean[] seen = new boolean[threads.length * perThread];
        float[] row = new float[dim];
        for (int node = 0; node < graph.size(); node++) {
            int id = (int) graph.externalId(node);
            assertTrue(!seen[id], "id " + id + " added twice");
            seen[id] = true;
            graph.copyVector(node, row, 0);
            assertEquals(id + 1, row[dim - 1], "vector of id " + id);
        }
    }

    private static float distance(FloatMatrix m, int a, int b) {
        return Metric.L2.distance(m.data(), a * m.dimension(), m.data(), b * m.dimension(), m.dimension());
    }

    private static int[] sortedLinks(HnswGraph graph, int level, int node) {
        int[] into = new int[64];
        int n = graph.neighbours(level, node, into);
        int[] links = Arrays.copyOf(into, n);
        Arrays.sort(links);
        return links;
    }

    @Test
    void fourThreadsBuildTheGraphOfOneOnHardData() throws IOException {
        FloatMatrix[] data = hardData();
        int[][] truth = Fixtures.truth(data[0], data[1], Metric.L2);
        HnswParams params = new HnswParams(16, 100, 5, Metric.L2);
        int[] efs = {10, 20, 40, 80};
        Shape one = shape(data[0], params, 1, data[1], truth, efs);
        assertEquals(0, one.merged, "one thread never finds its lists already filled");
        int merged = 0;
        for (int build = 0; build < 2; build++) {
            Shape four = shape(data[0], params, 4, data[1], truth, efs);
            merged += four.merged;
            // A lost link shows as fewer links and fewer reverse links; within noise, both builds agree.
            assertEquals(one.links, four.links, 0.01 * one.links, "links, build " + build);
            assertEquals(one.reverseFraction, four.reverseFraction, 0.01, "fraction of links with a reverse link, build " + build);
            for (int i = 0; i < efs.length; i++) {
                assertEquals(one.recall[i], four.recall[i], 0.015, "recall@10 at ef " + efs[i] + ", build " + build
                        + ": 1 thread " + Arrays.toString(one.recall) + ", 4 threads " + Arrays.toString(four.recall));
            }
        }
        // No insert ever found a node on a layer before that node was linked there. Linked top down, 4 threads did
        // (review helper 59): an insert whose descent ended on a node still being inserted began the layer below from
        // that node's empty list there, and was linked to it alone.
        assertEquals(0, merged, "lists found filled by another thread before their own node linked them, in 2 four-thread builds");
    }

    /** The first 12,000 sift-real vectors and its first 200 queries, else 12,000 x 64 Gaussian vectors. */
    private static FloatMatrix[] hardData() throws IOException {
        Path sift = Fixtures.dataset("sift-real");
        if (sift != null) {
            FloatMatrix base = VecsReader.readFloats(sift.resolve("base.fvecs"), 12_000);
            FloatMatrix queries = VecsReader.readFloats(sift.resolve("query.fvecs"), 200);
            return new FloatMatrix[]{base, queries};
        }
        Random random = new Random(17);
        int dim = 64;
        float[] all = new float[12_200 * dim];
        for (int i = 0; i < all.length; i++) {
            all[i] = (float) random.nextGaussian();
        }
        FloatMatrix matrix = new FloatMatrix(dim, 12_200, all);
        return new FloatMatrix[]{matrix.head(12_000), new FloatMatrix(dim, 200, Arrays.copyOfRange(all, 12_000 * dim, all.length))};
    }

    private record Shape(long links, double reverseFraction, double[] recall, int merged) {
    }

    private static Shape shape(FloatMatrix base, HnswParams params, int threads, FloatMatrix queries, int[][] truth, int[] efs) {
        HnswGraphBuilder builder = new HnswGraphBuilder(base.dimension(), base.rows(), params);
        for (int r = 0; r < base.rows(); r++) {
            builder.add(r, base.data(), r * base.dimension());
        }
        HnswGraph graph = builder.build(threads);
        long links = 0;
        long reverse = 0;
        int[] mine = new int[64];
        int[] theirs = new int[64];
        for (int node = 0; node < graph.size(); node++) {
            for (int level = 0; level <= graph.level(node); level++) {
                int n = graph.neighbours(level, node, mine);
                for (int i = 0; i < n; i++) {
                    links++;
                    int m = graph.neighbours(level, mine[i], theirs);
                    for (int j = 0; j < m; j++) {
                        if (theirs[j] == node) {
                            reverse++;
                            break;
                        }
                    }
                }
            }
        }
        double[] recall = new double[efs.length];
        for (int i = 0; i < efs.length; i++) {
            recall[i] = Fixtures.recall(graph, queries, truth, efs[i]);
        }
        return new Shape(links, (double) reverse / links, recall, builder.mergedLists());
    }
}
