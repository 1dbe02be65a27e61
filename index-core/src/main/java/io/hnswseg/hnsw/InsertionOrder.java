package io.hnswseg.hnsw;

import io.hnswseg.concurrent.SharedWork;
import io.hnswseg.distance.FloatPages;
import io.hnswseg.routing.Centroids;
import io.hnswseg.routing.KMeansTrainer;

/**
 * Puts a graph's vectors in the order of coarse k-means cells before they are inserted, so that
 * consecutive inserts (and the threads inserting side by side) work in the same region of the graph, whose
 * links and codes are then still in the CPU's caches, and so that neighbours sit near each other in
 * memory for later searches too. Node numbers are positions, so the rows (vectors and ids) move; levels
 * stay with positions (they are drawn at random per position anyway).
 *
 * <p>sift-real 100K, two threads, alternated: 0.85-0.94 of the build time, recall at ef 20-80 slightly
 * higher and at ef 10 within 0.006; the 1M Spark build 0.89-0.90 of its time. 64 and 256 cells cost
 * recall at small ef (docs/performance.md).
 */
final class InsertionOrder {

    /** Below this many vectors the graph stays in cache anyway, and ordering would only add its own cost. */
    static final int MIN_VECTORS = 50_000;
    /** Rows the cells are trained on. */
    private static final int SAMPLE_ROWS = 10_000;
    /** Rows assigned to cells per work item. */
    private static final int ASSIGN_ROWS = 4_096;

    private InsertionOrder() {
    }

    /** Cells for {@code n} vectors: 16, or about 50,000 vectors per cell for large graphs (at most 256). */
    static int cells(int n) {
        return (int) Math.min(256, Math.max(16, n / 50_000));
    }

    /** Reorders rows {@code 0..size-1} of {@code graph} by cell, on {@code threads} threads; a no-op for small graphs. */
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
        // A counting sort: rows of cell 0 first, each cell in input order.
        int[] start = new int[k + 1];
        for (int row = 0; row < n; row++) {
            start[cell[row] + 1]++;
        }
        for (int c = 0; c < k; c++) {
            start[c + 1] += start[c];
        }
        int[] order = new int[n];
        for (int row = 0; row < n; row++) {
            order[start[cell[row]]++] = row;
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
