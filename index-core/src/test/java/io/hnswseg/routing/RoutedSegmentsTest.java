package io.hnswseg.routing;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

class RoutedSegmentsTest {

    /** Centroids 0..5 ranked in this order for the query, at these distances. */
    private static final int[] ORDER = {3, 0, 5, 1, 4, 2};
    private static final double[] DISTANCES = {1.0, 1.1, 1.15, 1.18, 1.5, 3.0};

    private static int[] choose(RoutedSegments routes, int nprobe, int k, int offset, int[] order, double[] distances, int limit) {
        int[] ranks = new int[order.length];
        int n = routes.choose(nprobe, k, order, distances, offset, order.length - offset, limit, ranks);
        return Arrays.copyOf(ranks, n);
    }

    private static RoutedSegments everyPartitionBuilt(long vectors) {
        long[] counts = new long[6];
        Arrays.fill(counts, vectors);
        return new RoutedSegments(new int[]{0, 1, 2, 3, 4, 5}, counts, counts.clone());
    }

    @Test
    void nprobeSegmentsWithinReachNearestFirst() {
        RoutedSegments routes = everyPartitionBuilt(100_000);
        // nprobe 2 reaches 1.1x the nearest: ranks 0 and 1.
        assertArrayEquals(new int[]{0, 1}, choose(routes, 2, 10, 0, ORDER, DISTANCES, 6));
        // nprobe 4 reaches 1.2x: ranks 0..3 (1.18), never rank 4 (1.5).
        assertArrayEquals(new int[]{0, 1, 2, 3}, choose(routes, 4, 10, 0, ORDER, DISTANCES, 6));
        assertArrayEquals(new int[]{0, 1}, choose(routes, 4, 10, 0, ORDER, DISTANCES, 2));
    }

    @Test
    void anEmptyPartitionIsPassedOverButKeepsItsRank() {
        // Centroid 3 (rank 0) and 5 (rank 2) have no segment.
        RoutedSegments routes = new RoutedSegments(new int[]{0, 1, 2, -1, 3, -1}, new long[]{50_000, 50_000, 50_000, 50_000},
                new long[]{50_000, 50_000, 50_000, 50_000});
        // The reach is still judged from the nearest centroid, built or not: 1.1x holds rank 1 only, 1.2x ranks 1 and 3.
        assertArrayEquals(new int[]{1}, choose(routes, 2, 10, 0, ORDER, DISTANCES, 6));
        assertArrayEquals(new int[]{1, 3}, choose(routes, 4, 10, 0, ORDER, DISTANCES, 6));
    }

    @Test
    void aShortAnswerGoesPastNprobeAndTheReachGuardCountsDistinctVectors() {
        long[] counts = {5, 5, 5, 5, 5, 5};
        RoutedSegments small = new RoutedSegments(new int[]{0, 1, 2, 3, 4, 5}, counts, counts.clone());
        // 10 results need two segments of 5 at nprobe 1; the far ones hold 10 results and stay out.
        assertArrayEquals(new int[]{0, 1}, choose(small, 1, 10, 0, ORDER, DISTANCES, 6));
        assertArrayEquals(new int[]{0, 1, 2}, choose(small, 1, 15, 0, ORDER, DISTANCES, 6));
        // Many copies but few distinct vectors: the guard still holds the reach rule off.
        long[] copies = {100_000, 100_000, 100_000, 100_000, 100_000, 100_000};
        RoutedSegments copied = new RoutedSegments(new int[]{0, 1, 2, 3, 4, 5}, copies, new long[]{100, 100, 100, 100, 100, 100});
        assertArrayEquals(new int[]{0, 1, 2, 3, 4, 5}, choose(copied, 6, 10, 0, ORDER, DISTANCES, 6));
        assertArrayEquals(new int[]{0, 1, 2, 3}, choose(everyPartitionBuilt(100_000), 6, 10, 0, ORDER, DISTANCES, 6));
    }

    @Test
    void rankingsAreReadFromTheirOffset() {
        int[] order = new int[12];
        double[] distances = new double[12];
        System.arraycopy(ORDER, 0, order, 6, 6);
        System.arraycopy(DISTANCES, 0, distances, 6, 6);
        assertArrayEquals(new int[]{0, 1}, choose(everyPartitionBuilt(100_000), 2, 10, 6, order, distances, 6));
    }
}
