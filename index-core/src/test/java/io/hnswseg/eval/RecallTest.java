package io.hnswseg.eval;

import io.hnswseg.distance.Metric;
import io.hnswseg.hnsw.SearchResults;
import io.hnswseg.io.FloatMatrix;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class RecallTest {

    @Test
    void recallCountsHitsAmongTheTrueK() {
        int[][] truth = {{1, 2, 3}, {4, 5, 6}};
        long[][] found = {{3, 2, 9}, {7, 8, 9}};
        assertEquals(2 / 6.0, Recall.atK(found, truth, 3), 1e-12);
        assertEquals(0.5, Recall.atK(new long[][]{{2}, {4}}, truth, 1), 1e-12);
    }

    @Test
    void aTieWithTheLastTrueNeighbourIsAHit() {
        long[] truth = {1, 2, 3};
        // Truth 1, 2, 3 at 1, 2, 2 (a tie at the end): a search that returned the other copy, 9, at 2 found all three.
        assertEquals(3, Recall.hits(new long[]{1, 2, 9}, new float[]{1, 2, 2}, truth, 2f, Metric.L2));
        assertEquals(2, Recall.hits(new long[]{1, 2, 9}, new float[]{1, 2, 2.01f}, truth, 2f, Metric.L2));
        // An id the truth lists counts whatever its distance (a kernel's rounding); one returned twice counts once.
        assertEquals(3, Recall.hits(new long[]{1, 2, 3}, new float[]{1, 2, 2.5f}, truth, 2f, Metric.L2));
        assertEquals(2, Recall.hits(new long[]{1, 1, 2}, new float[]{1, 1, 2}, truth, 2f, Metric.L2));
        // Only the first trueIds.length results count, and never more than there are.
        assertEquals(2, Recall.hits(new long[]{5, 6, 7}, new float[]{0, 0, 0}, new long[]{1, 2}, 0f, Metric.L2));
        assertEquals(1, Recall.hits(new long[]{1}, new float[]{0}, truth, 5f, Metric.L2));
        // Two kernels' roundings of one distance agree within the slack: for l2 relative to it, for cosine to 1.
        assertEquals(1, Recall.hits(new long[]{9}, new float[]{Math.nextUp(Math.nextUp(1e4f))}, new long[]{1}, 1e4f, Metric.L2));
        assertEquals(1, Recall.hits(new long[]{9}, new float[]{3e-7f}, new long[]{1}, 1e-7f, Metric.COSINE));
        assertEquals(0, Recall.hits(new long[]{9}, new float[]{3e-6f}, new long[]{1}, 1e-7f, Metric.COSINE));
        assertEquals(0, Recall.hits(new long[]{9}, new float[]{3e-7f}, new long[]{1}, 1e-7f, Metric.L2));
    }

    @Test
    void idHitsCountOnlyTheIdsTheTruthLists() {
        long[] truth = {1, 2, 3};
        // The tie that hits counts (9 at the last true distance) is not an id of the truth.
        assertEquals(2, Recall.idHits(new long[]{1, 2, 9}, truth));
        assertEquals(2, Recall.idHits(new long[]{1, 1, 2}, truth), "an id returned twice counts once");
        assertEquals(1, Recall.idHits(new long[]{5, 1, 2}, new long[]{1, 2}), "only the first trueIds.length results count");
        assertEquals(1, Recall.idHits(new long[]{3}, truth));
    }

    @Test
    void recallOfAGroundTruthFileCountsTiesWhereTheLastDistanceIsKnown() {
        int[][] truth = {{1, 2}, {4, 5}};
        SearchResults[] found = {new SearchResults(new long[]{1, 9}, new float[]{1, 2}), new SearchResults(new long[]{4, 9}, new float[]{1, 2})};
        // Query 0's 2nd true neighbour is at 2, so 9 at 2 ties with it; query 1's is unknown: by id only.
        assertEquals(3 / 4.0, Recall.atK(found, truth, new float[]{2f, Float.NaN}, 2, Metric.L2), 1e-12);
        assertEquals(2 / 4.0, Recall.atK(found, truth, new float[]{1.5f, 1.5f}, 2, Metric.L2), 1e-12);
    }

    @Test
    void bruteForceFindsTheNearestRows() {
        FloatMatrix base = new FloatMatrix(1, 5, new float[]{0, 10, 3, 7, 4});
        FloatMatrix queries = new FloatMatrix(1, 1, new float[]{3.9f});
        assertArrayEquals(new int[]{4, 2, 3}, BruteForce.nearest(base, queries, 3, Metric.L2)[0]);
    }

    @Test
    void latencyPercentiles() {
        Latencies l = new Latencies(100);
        for (int i = 1; i <= 100; i++) {
            l.record(i * 1_000_000L);
        }
        assertEquals(50.5, l.meanMillis(), 1e-9);
        assertEquals(99, l.percentileMillis(99), 1e-9);
        assertEquals(50, l.percentileMillis(50), 1e-9);
    }
}
