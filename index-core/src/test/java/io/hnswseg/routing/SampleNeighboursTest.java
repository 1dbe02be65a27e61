package io.hnswseg.routing;

import io.hnswseg.distance.Metric;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SampleNeighboursTest {

    /** Two clusters of 20 rows on a line, 100 apart: each row's 10 nearest are in its own cluster. */
    private static float[] twoClusters() {
        float[] rows = new float[40];
        for (int i = 0; i < 20; i++) {
            rows[i] = 0.01f * i;
            rows[20 + i] = 100 + 0.01f * i;
        }
        return rows;
    }

    private static int[] cells(Centroids centroids, float[] rows) {
        int[] cells = new int[rows.length];
        for (int r = 0; r < rows.length; r++) {
            cells[r] = centroids.nearest(new float[] {rows[r]}, 1)[0];
        }
        return cells;
    }

    @Test
    void cellsAlongTheClustersNeedOneProbeAndCellsAcrossThemMore() {
        float[] rows = twoClusters();
        SampleNeighbours judge = new SampleNeighbours(rows, rows.length, 1, Metric.L2);
        Centroids along = new Centroids(Metric.L2, 1, new float[] {0.1f, 100.1f}, null);
        assertEquals(1.0, judge.probesPerNeighbour(along, cells(along, rows)), 1e-12);
        // One cell splits the first cluster at 0.1, the other takes its upper half and the whole second cluster:
        // a neighbour across the split is found at the second probe.
        Centroids across = new Centroids(Metric.L2, 1, new float[] {0.05f, 0.15f}, null);
        double probes = judge.probesPerNeighbour(across, cells(across, rows));
        assertTrue(probes > 1.05 && probes < 2, "probes per neighbour " + probes);
    }
}
