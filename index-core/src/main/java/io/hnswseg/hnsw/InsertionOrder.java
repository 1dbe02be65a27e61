package io.hnswseg.hnsw;

import io.hnswseg.concurrent.SharedWork;
import io.hnswseg.distance.FloatPages;
import io.hnswseg.routing.Centroids;
import io.hnswseg.routing.KMeansTrainer;

/**
 * Puts a graph's vectors in the order of coarse k-means cells before they are inserted, so that
 * consecutive inserts (and the threads inserting side by side) work in the same region of the graph, whose
 * links and codes are then still in the CPU's caches, and so that runs of neighbours (a cell's share of a round,
 * about n / (32 x cells) rows) sit together in memory for later searches too. Node numbers are positions, so the rows (vectors and ids) move; levels
 * stay with positions (they are drawn at random per position anyway).
 *
 * <p>The cells are visited in {@link #ROUNDS} rounds, each taking a random share of every cell: inserted cell
 * after cell, the first cells' nodes filled their lists before the later cells existed, and on some data the graph
 * cut regions off for good (probe helper 53, 50,000 128-d vectors, float-only, recall@10 at ef 80 against input
 * order: 2% of the vectors scaled by 1e-3 0.796 against 0.997, 8% 0.973 and stuck there at ef 320 against 0.995,
 * near-copies 0.878 against 0.982, points on a plane stuck at 0.992 against 1.0; in rounds 0.989, 0.987 (0.999 at
 * ef 320), 0.989 and 0.999). Rounds keep
 * most of the speed: sift-real 100K on two threads, alternated, 27,192-28,901 vectors/s against 25,159-32,216 cell
 * after cell and 20,158-23,590 in input order; recall@10 0.905 at ef 20 against 0.913 cell after cell and 0.906 in
 * input order, equal from ef 40. At 1M in 16 segments of 62,500 the rounds cost more: the Spark build, alternated
 * four times against cell after cell, ran at 0.77-0.94 of its speed (segments built in 4.9-6.9 s against 4.6-5.3 s).
 */
final class InsertionOrder {

    /** Below this many vectors the graph stays in cache anyway, and ordering would only add its own cost. */
    static final int MIN_VECTORS = 50_000;
    /** Rows the cells are trained on. */
    private static final int SAMPLE_ROWS = 10_000;
    /** Rounds over the cells (see the class comment); 16 left the 2% case at 0.983, 32 and 64 reached input order's. */
    static final int ROUNDS = 32;
    /** Rows assigned to cells per work item. */
    private static final int ASSIGN_ROWS = 4_096;

    private InsertionOrder() {
    }

    /** Cells for {@code n} vectors: 16, or about 50,000 vectors per cell for large graphs (at most 256). */
    static int cells(int n) {
        return (int) Math.min(256, Math.max(16, n / 50_000));
    }

    /** Reorders rows {@code 0..size-1} of {@code graph} by round and cell, on {@code threads} threads; a no-op for small graphs. */
    static void apply(HnswGraph graph, int threads) {
        int n = graph.size;
        if (n < MIN_VECTORS) {
            return;
        }
        FloatPages vectors = graph.vectors;
        int sampleRows = Math.min(n, SAMPLE_ROWS);
        int k = cells(n);
        Centroids centroids = KMeansTrainer.unbalanced(vectors.spreadSample(n, sampleRows), sampleRows, graph.dimension, graph.metric, k,
                graph.params.seed());
        int[] cell = new int[n];
        SharedWork.run((n + ASSIGN_ROWS - 1) / ASSIGN_ROWS, threads, item -> {
            Centroids.Scratch scratch = centroids.newScratch();
            float[] distances = new float[k];
            for (int row = item * ASSIGN_ROWS, end = Math.min(n, row + ASSIGN_ROWS); row < end; row++) {
                cell[row] = centroids.nearest(vectors.page(row), vectors.offset(row), scratch, distances);
            }
        });
        // A counting sort by (round, cell): every round takes a random 1/ROUNDS of each cell, cell after cell, each
        // cell's share in input order.
        int buckets = ROUNDS * k;
        int[] key = new int[n];
        for (int row = 0; row < n; row++) {
            // Salted apart from the levels' hash of the same seed.
            long h = HnswGraphBuilder.mix(graph.params.seed() ^ 0x5DEECE66DL ^ (0x9E3779B97F4A7C15L * (row + 1L)));
            key[row] = (int) Math.floorMod(h, (long) ROUNDS) * k + cell[row];
        }
        int[] start = new int[buckets + 1];
        for (int row = 0; row < n; row++) {
            start[key[row] + 1]++;
        }
        for (int b = 0; b < buckets; b++) {
            start[b + 1] += start[b];
        }
        int[] order = new int[n];
        for (int row = 0; row < n; row++) {
            order[start[key[row]]++] = row;
        }
        permute(graph, order);
    }

    /** Moves row {@code order[i]} to position {@code i}, in place (one spare row), following each cycle once. */
    private static void permute(HnswGraph graph, int[] order) {
        FloatPages vectors = graph.vectors;
        int dim = graph.dimension;
        float[] spare = new float[dim];
        boolean[] placed = new boolean[order.length];
        for (int first = 0; first < order.length; first++) {
            if (placed[first] || order[first] == first) {
                continue;
            }
            vectors.copyRow(first, spare, 0);
            long spareId = graph.ids[first];
            int at = first;
            while (order[at] != first) {
                int from = order[at];
                System.arraycopy(vectors.page(from), vectors.offset(from), vectors.page(at), vectors.offset(at), dim);
                graph.ids[at] = graph.ids[from];
                placed[at] = true;
                at = from;
            }
            System.arraycopy(spare, 0, vectors.page(at), vectors.offset(at), dim);
            graph.ids[at] = spareId;
            placed[at] = true;
        }
    }
}
