package io.hnswseg.spark;

import io.hnswseg.distance.Metric;
import io.hnswseg.routing.Centroids;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HeavyVectorsTest {

    @Test
    void everyHeavyVectorHasAPartInTheCellAQueryAtItIsRoutedTo() {
        // Four cells on a square; two vectors of a tenth of the input each, 0.1 apart, both nearest cell 0. The second
        // to choose found cell 0 and its next nearest full with the first's parts and took cells 2 and 3: a query at it,
        // routed to cell 0, found none of its copies there (review helper 61).
        Centroids centroids = new Centroids(Metric.L2, 2, new float[]{0, 0, 10, 0, 0, 12, 10, 12}, null);
        float[] heavy = {1, 0, 1.1f, 0};
        double[] shares = {0.1, 0.1};
        int[][] cells = HeavyVectors.cells(heavy, shares, centroids, 4);
        for (int h = 0; h < shares.length; h++) {
            float[] vector = Arrays.copyOfRange(heavy, 2 * h, 2 * h + 2);
            int nearest = centroids.rank(vector, 1).centroids()[0];
            assertEquals(0, nearest);
            assertEquals(nearest, cells[h][0], "vector " + h + ": " + Arrays.toString(cells[h]));
            assertEquals(2, cells[h].length, "parts of vector " + h);
        }
        // The second parts go where there is room: cells 1 and 2, not both on one.
        assertTrue(cells[0][1] != cells[1][1], Arrays.deepToString(cells));
    }

    @Test
    void aFewDistinctVectorsRoutedWithTheirCopiesShowTheImbalanceTheTrainingRowsHide() {
        // Five distinct vectors, a fifth of the rows each, for 20 partitions: k-means trains on each once (five cells, no
        // imbalance among them), and the input fills five partitions four times the mean (review helper 61).
        int dim = 4;
        float[] distinct = new float[5 * dim];
        for (int v = 0; v < 5; v++) {
            distinct[v * dim + v % dim] = v + 1;
        }
        Partitioning partitioning = Partitioning.kmeans(20, new Centroids(Metric.L2, dim, distinct, null), 0);
        int rows = 1_000;
        float[] sample = new float[rows * dim];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(distinct, (r % 5) * dim, sample, r * dim, dim);
        }
        assertEquals(4.0, partitioning.routedImbalance(sample, rows), 1e-9);
        assertEquals(1.0, Partitioning.kmeans(5, new Centroids(Metric.L2, dim, distinct, null), 0).routedImbalance(sample, rows), 1e-9);
    }
}
