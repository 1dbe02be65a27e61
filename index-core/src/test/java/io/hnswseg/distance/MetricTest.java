package io.hnswseg.distance;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MetricTest {

    @Test
    void parsesNamesAndCodes() {
        assertEquals(Metric.L2, Metric.parse("L2"));
        assertEquals(Metric.IP, Metric.parse("ip"));
        assertEquals(Metric.COSINE, Metric.parse(" cosine "));
        for (Metric m : Metric.values()) {
            assertEquals(m, Metric.fromCode(m.code()));
            assertEquals(m, Metric.parse(m.externalName()));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Metric.parse("hamming"));
        assertTrue(e.getMessage().contains("hamming"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Metric.fromCode(9));
    }

    @Test
    void distancesFollowTheirDefinitions() {
        float[] a = {3, 4};
        float[] b = {0, 0};
        assertEquals(25f, Metric.L2.distance(a, 0, b, 0, 2));
        assertEquals(1f - 25f, Metric.IP.distance(a, 0, a, 0, 2));
        float[] u = {0.6f, 0.8f};
        assertEquals(0f, Metric.COSINE.distance(u, 0, u, 0, 2), 1e-6);
    }

    /** A unit vector's rounded dot product with itself may pass 1: its cosine distance to itself was -1.2e-7. */
    @Test
    void cosineDistancesAreNeverNegative() {
        java.util.Random random = new java.util.Random(11);
        int dim = 100;
        int passedOne = 0;
        float[] v = new float[dim];
        float[] four = new float[4];
        for (int trial = 0; trial < 2000; trial++) {
            for (int d = 0; d < dim; d++) {
                v[d] = (float) random.nextGaussian();
            }
            Vectors.normalize(v, 0, dim);
            passedOne += VectorKernels.dot(v, 0, v, 0, dim) > 1f ? 1 : 0;
            assertTrue(Metric.COSINE.distance(v, 0, v, 0, dim) >= 0f);
            Metric.COSINE.distance4(v, 0, v, 0, 0, 0, 0, dim, four);
            assertTrue(four[0] >= 0f && four[3] >= 0f);
        }
        assertTrue(passedOne > 0, "no unit vector's dot product with itself passed 1: the data shows nothing");
        assertTrue(Metric.IP.ofDot(1.5f) < 0f, "ip distances stay signed");
    }

    @Test
    void validationNamesTheProblem() {
        float[] v = {1, Float.NaN, 3};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Vectors.checkValid(v, 0, 3, Metric.L2, "vector for id 7"));
        assertTrue(e.getMessage().contains("id 7") && e.getMessage().contains("component 1"), e.getMessage());
        float[] inf = {Float.NEGATIVE_INFINITY};
        assertThrows(IllegalArgumentException.class, () -> Vectors.checkValid(inf, 0, 1, Metric.L2, "query"));
        float[] zero = {0, 0};
        Vectors.checkValid(zero, 0, 2, Metric.L2, "zero is fine for l2");
        e = assertThrows(IllegalArgumentException.class, () -> Vectors.checkValid(zero, 0, 2, Metric.COSINE, "vector for id 3"));
        assertTrue(e.getMessage().contains("zero vector"), e.getMessage());
    }

    /** Finite but so long that every l2 distance to it is infinite: the search would return arbitrary neighbours. */
    @Test
    void vectorsWhoseDistancesOverflowAreRefused() {
        float[] huge = new float[128];
        java.util.Arrays.fill(huge, 1e18f);
        for (Metric metric : new Metric[] {Metric.L2, Metric.IP}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Vectors.checkValid(huge, 0, 128, metric, "query 3"));
            assertTrue(e.getMessage().contains("query 3") && e.getMessage().contains("overflow"), e.getMessage());
        }
        Vectors.checkValid(huge, 0, 128, Metric.COSINE, "normalised first, so fine");
        // Just inside the limit, the distance between opposite vectors is still finite.
        float[] a = new float[128];
        float[] b = new float[128];
        float c = (float) Math.sqrt(Vectors.MAX_SQUARED_LENGTH / 128) * 0.999f;
        java.util.Arrays.fill(a, c);
        java.util.Arrays.fill(b, -c);
        Vectors.checkValid(a, 0, 128, Metric.L2, "a");
        Vectors.checkValid(b, 0, 128, Metric.L2, "b");
        assertTrue(Float.isFinite(Metric.L2.distance(a, 0, b, 0, 128)));
    }

    /**
     * Each component is off by at most half a quantization step e = range/255/2 (range below 10 here), so an
     * L2 term (x-y)^2 moves by at most 2|x-y|(2e) + (2e)^2 and a dot term xy by at most (|x|+|y|)e + e^2.
     */
    private static double errorBound(float[] data, int dim, int a, int b, Metric metric) {
        double e = 10.0 / 255 / 2;
        double bound = 0;
        for (int i = 0; i < dim; i++) {
            double x = data[a * dim + i];
            double y = data[b * dim + i];
            bound += metric == Metric.L2 ? 4 * e * Math.abs(x - y) + 4 * e * e : (Math.abs(x) + Math.abs(y)) * e + e * e;
        }
        return bound * 1.01 + 1e-4;
    }

    @Test
    void quantizedDistancesApproximateExactOnes() {
        int dim = 37;
        int rows = 50;
        float[] data = new float[rows * dim];
        java.util.SplittableRandom random = new java.util.SplittableRandom(3);
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) (random.nextDouble() * 10 - 5);
        }
        for (Metric metric : new Metric[]{Metric.L2, Metric.IP}) {
            QuantizedVectors codes = codes(data, rows, dim, metric);
            float[] four = new float[4];
            for (int a = 0; a < rows; a++) {
                CodeQuery decoded = codes.query(codes.decode(a, new float[dim]));
                codes.distance4(decoded, 1, 2, 3, 4, four);
                for (int j = 0; j < 4; j++) {
                    // A row decoded and scored against codes equals the code-to-code distance, up to rounding.
                    assertEquals(codes.distance(a, j + 1), four[j], 1e-3 * (1 + Math.abs(four[j])));
                }
                float[] query = java.util.Arrays.copyOfRange(data, a * dim, (a + 1) * dim);
                CodeQuery asymmetric = codes.query(query);
                for (int b = 0; b < rows; b++) {
                    float exact = metric.distance(data, a * dim, data, b * dim, dim);
                    double bound = errorBound(data, dim, a, b, metric);
                    assertEquals(exact, codes.distance(a, b), bound, metric + " " + a + "," + b);
                    // Only one side is quantized here, so the error is at most that of both sides.
                    assertEquals(exact, codes.distance(asymmetric, b), bound, "query vs codes, " + metric + " " + a + "," + b);
                }
            }
        }
    }

    /**
     * A query's weights are rounded to integers as fine as an int sum of {@code dim} products allows. Here every
     * product has the same sign and the largest magnitude (two-valued data, the query the negation of a row), so
     * a sum that overflowed would wrap to a wildly wrong distance; at 65,536 dimensions the weights have 8 bits.
     */
    @Test
    void integerWeightsHoldTheirSumsAtLargeDimensions() {
        for (int dim : new int[]{3, 3072, 65_536}) {
            int rows = 8;
            float[] data = new float[rows * dim];
            java.util.SplittableRandom random = new java.util.SplittableRandom(dim);
            for (int i = 0; i < data.length; i++) {
                data[i] = random.nextBoolean() ? 5f : -5f;
            }
            for (Metric metric : new Metric[]{Metric.L2, Metric.IP}) {
                QuantizedVectors codes = codes(data, rows, dim, metric);
                for (int b = 0; b < rows; b++) {
                    float[] query = new float[dim];
                    for (int d = 0; d < dim; d++) {
                        query[d] = -data[b * dim + d];
                    }
                    float exact = metric.distance(query, 0, data, b * dim, dim);
                    float approximate = codes.distance(codes.query(query), b);
                    // Codes of +-5 are +-127 steps of 10/255: off by 5/255 per component at most.
                    double bound = metric == Metric.L2 ? dim * (4 * 10.0 * 5 / 255 + 1e-3) : dim * (5 * 5.0 / 255 + 1e-3);
                    assertEquals(exact, approximate, bound, metric + ", dim " + dim + ", row " + b);
                }
            }
        }
    }

    /** Codes of the rows, whatever the fit's check would decide (these sets are too small for it to judge). */
    private static QuantizedVectors codes(float[] data, int rows, int dim, Metric metric) {
        FloatPages pages = FloatPages.wrap(data, dim);
        return new QuantizedVectors(Quantizer.fit(pages, rows, metric, 0)[0], pages, rows, 1);
    }
}
