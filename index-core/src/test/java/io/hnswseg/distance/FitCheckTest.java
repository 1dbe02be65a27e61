package io.hnswseg.distance;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** What {@link FitCheck} counts as a true neighbour the codes found. */
class FitCheckTest {

    /**
     * One vector making a tenth of the rows (a default embedding): a query that is a copy has its copies as true
     * neighbours, all at distance 0, which codes cannot order. A copy the codes rank near counts as found, whichever
     * copy it is (review helper 55: counting only the copies with the lowest row numbers agreed on 0.870 here, and the
     * graph was built on floats).
     */
    @Test
    void exactCopiesOfAQueryAreFoundWhicheverTheCodesRankFirst() {
        int rows = 20_000;
        int dim = 16;
        SplittableRandom random = new SplittableRandom(5);
        float[] data = new float[rows * dim];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) random.nextGaussian();
        }
        for (int r = 1; r < rows; r++) {
            if (random.nextInt(10) == 0) {
                System.arraycopy(data, 0, data, r * dim, dim);
            }
        }
        QuantizedVectors.Fit fit = QuantizedVectors.fit(data, rows, dim, Metric.L2);
        assertTrue(fit.codes() != null && fit.description().contains("agreement 1.000"), fit.description());
    }
}
