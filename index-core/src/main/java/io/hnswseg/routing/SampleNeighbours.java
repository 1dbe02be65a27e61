package io.hnswseg.routing;

import io.hnswseg.distance.Metric;
import io.hnswseg.distance.NearestList;

/**
 * The exact nearest rows of a few sample rows among the whole sample, to judge how well a partition routes before any
 * segment exists: a neighbour helps a query only when the query's probes reach the neighbour's cell. Of k-means runs
 * whose objectives differ by 0.01%, one routed sift-real's queries to their neighbours' cells at nprobe 1 for 0.770 of
 * them, another for 0.799 (real queries, 8 cells): the objective cannot tell them apart, this can.
 */
final class SampleNeighbours {

    /** Rows that stand in for queries; 500 of them give 5,000 neighbours, enough to see 0.01 of coverage. */
    static final int QUERIES = 500;
    static final int NEIGHBOURS = 10;
    /** A neighbour whose cell is not among a query's nearest this many counts as found at one probe more. */
    static final int PROBES_COUNTED = 4;

    private final float[] sample;
    private final int dimension;
    private final int[] queries;
    /** Per query, its {@link #NEIGHBOURS} nearest other rows (fewer when the sample has fewer). */
    private final int[][] neighbours;

    /** {@code sample} as the trainer holds it: for ip and cosine already normalised, compared by inner product. */
    SampleNeighbours(float[] sample, int rows, int dimension, Metric metric) {
        this.sample = sample;
        this.dimension = dimension;
        int count = Math.min(QUERIES, rows);
        this.queries = new int[count];
        this.neighbours = new int[count][];
        Metric by = metric == Metric.L2 ? Metric.L2 : Metric.IP;
        int wanted = Math.min(NEIGHBOURS, rows - 1);
        for (int q = 0; q < count; q++) {
            // The sample is already in a seeded random order: evenly spaced rows are a random draw.
            int row = (int) ((long) q * rows / count);
            queries[q] = row;
            int[] ids = new int[wanted];
            float[] distances = new float[wanted];
            int filled = 0;
            for (int r = 0; r < rows; r++) {
                if (r != row) {
                    float distance = by.distance(sample, row * dimension, sample, r * dimension, dimension);
                    filled = NearestList.insert(ids, distances, filled, distance, r);
                }
            }
            neighbours[q] = ids;
        }
    }

    /**
     * The mean number of probes, nearest centroid first, that reach a query's neighbour's cell, counted up to
     * {@link #PROBES_COUNTED} + 1: lower routes better. {@code cells} is each sample row's cell under {@code centroids}.
     */
    double probesPerNeighbour(Centroids centroids, int[] cells) {
        float[] query = new float[dimension];
        long probes = 0;
        long counted = 0;
        for (int q = 0; q < queries.length; q++) {
            System.arraycopy(sample, queries[q] * dimension, query, 0, dimension);
            int[] ranked = centroids.nearest(query, PROBES_COUNTED);
            for (int neighbour : neighbours[q]) {
                int rank = 0;
                while (rank < ranked.length && ranked[rank] != cells[neighbour]) {
                    rank++;
                }
                probes += rank + 1;
                counted++;
            }
        }
        return counted == 0 ? 0 : (double) probes / counted;
    }
}
