package io.hnswseg.routing;

import io.hnswseg.distance.Metric;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProbeBeamsTest {

    @Test
    void theBeamHalvesWithEachRankDownToK() {
        assertEquals(64, ProbeBeams.ef(64, 10, 0));
        assertEquals(32, ProbeBeams.ef(64, 10, 1));
        assertEquals(16, ProbeBeams.ef(64, 10, 2));
        assertEquals(10, ProbeBeams.ef(64, 10, 3));
        assertEquals(10, ProbeBeams.ef(64, 10, 31));
        assertEquals(10, ProbeBeams.ef(Integer.MAX_VALUE, 10, 40));
        // ef == k stays k at every rank.
        assertEquals(10, ProbeBeams.ef(10, 10, 0));
        assertEquals(10, ProbeBeams.ef(10, 10, 1));
        assertThrows(IllegalArgumentException.class, () -> ProbeBeams.ef(64, 10, -1));
    }

    @Test
    void aFurtherCentroidIsReachedWithinOnePlusNprobeOverTwentyOfTheNearest() {
        assertTrue(ProbeBeams.reaches(4, 10, 1000, 1.0, 1.0));
        assertTrue(ProbeBeams.reaches(4, 10, 1000, 1.19, 1.0));
        assertFalse(ProbeBeams.reaches(4, 10, 1000, 1.21, 1.0));
        assertTrue(ProbeBeams.reaches(8, 10, 1000, 1.39, 1.0));
        assertFalse(ProbeBeams.reaches(2, 10, 1000, 1.11, 1.0));
        // A query on its nearest centroid says nothing of how far the others may be (probe helper 36: 50 segments of
        // one vector each, every query one of them, reached its own only): up to nprobe of them are searched.
        assertTrue(ProbeBeams.reaches(2, 10, 1000, 5.0, 0.0));
    }

    @Test
    void theReachRuleWaitsUntilTheChosenSegmentsHoldAHundredVectorsPerResult() {
        // Probe helper 40: k = 10,000 on 8 segments of 12,500 lost a sixth of the answer to the rule.
        assertTrue(ProbeBeams.reaches(4, 10_000, 999_999, 5.0, 1.0));
        assertFalse(ProbeBeams.reaches(4, 10_000, 1_000_000, 5.0, 1.0));
        assertTrue(ProbeBeams.reaches(4, 50, 15, 5.0, 1.0));
        assertTrue(ProbeBeams.needsMore(50, 49));
        assertFalse(ProbeBeams.needsMore(50, 50));
    }

    @Test
    void rankingGivesGeometricDistancesWithoutTheBiases() {
        // Two l2 centroids on the x axis; the bias moves the ranking, not the distances.
        Centroids l2 = new Centroids(Metric.L2, 2, new float[]{0, 0, 3, 0}, new float[]{5, 0});
        Centroids.Ranking r = l2.rank(new float[]{1, 0}, 2);
        assertArrayEquals(new int[]{1, 0}, r.centroids()); // 4 + 0 < 1 + 5
        assertEquals(2.0, r.distances()[0], 1e-6);
        assertEquals(1.0, r.distances()[1], 1e-6);
        // Cosine: the distance between unit directions, sqrt(2 (1 - cos)); the centroids are normalised.
        Centroids cosine = new Centroids(Metric.COSINE, 2, new float[]{2, 0, 0, 5}, null);
        Centroids.Ranking c = cosine.rank(new float[]{3, 3}, 2);
        assertEquals(Math.sqrt(2 - Math.sqrt(2)), c.distances()[0], 1e-6);
        assertEquals(Math.sqrt(2 - Math.sqrt(2)), c.distances()[1], 1e-6);
        // A bias far larger than the distance: recovered from their float sum, 1e-4 came out a few percent off.
        Centroids biased = new Centroids(Metric.L2, 2, new float[]{0, 0, 3, 0}, new float[]{91, 0});
        Centroids.Ranking b = biased.rank(new float[]{0, 0.01f}, 2);
        assertEquals(0.01, b.distances()[1], 1e-9);
    }
}
