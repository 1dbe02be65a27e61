package io.hnswseg.distance;

import io.hnswseg.io.FloatMatrix;
import io.hnswseg.testing.Fixtures;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Datasets whose float32 distances cannot rank them (probe helper 32): refused before a build, with the fix. */
class VectorsTest {

    private static final FloatMatrix DATA = Fixtures.clustered(3_000, 1, 32, 5)[0];

    private static float[] scaled(double factor) {
        float[] out = new float[DATA.data().length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) (DATA.data()[i] * factor);
        }
        return out;
    }

    private static String problem(double factor, Metric metric) {
        return Vectors.resolutionProblem(scaled(factor), DATA.rows(), DATA.dimension(), metric, null, 0);
    }

    /** The scales each metric ranks, and those it refuses with a text saying {@code says}. */
    private static void ranksAndRefuses(Metric metric, double[] ranked, double[] refused, String says) {
        for (double factor : ranked) {
            assertNull(problem(factor, metric), metric + " at scale " + factor);
        }
        for (double factor : refused) {
            String p = problem(factor, metric);
            assertNotNull(p, metric + " at scale " + factor);
            assertTrue(p.contains(says), p);
        }
    }

    @Test
    void l2DataWhoseDistancesUnderflowIsRefusedWithAFactorToScaleBy() {
        // Squared distances near 1e-28 still rank; near 1e-42 they are subnormal (recall 0.57 in the probe).
        ranksAndRefuses(Metric.L2, new double[] {1, 1e-15, 1e15}, new double[] {1e-22, 1e-25},
                "too small for float32 distances (below 1e-30");
        assertTrue(problem(1e-25, Metric.L2).contains("multiply every vector, and every query, by one factor (1e+25, say)"));
    }

    @Test
    void ipDataTooShortFor1MinusDotIsRefused() {
        // Lengths near 3e-4: recall 0.12 in the probe.
        ranksAndRefuses(Metric.IP, new double[] {1, 1e-1, 1e9}, new double[] {1e-4, 1e-10}, "too small for ip distances");
        assertTrue(problem(1e-4, Metric.IP).contains("ranking for a query stays the same"));
        // Cosine normalises: any scale ranks.
        ranksAndRefuses(Metric.COSINE, new double[] {1e-30, 1, 1e30}, new double[0], "");
    }

    /**
     * Cosine ranks vectors of any length, but not vectors that all point nearly one way (probe helper 53: 1000 + 0.1 x
     * clustered data claimed 0.9964, by ids 0.0557). The clustered data at a tenth of its scale ranks alone and plus an
     * offset of 3; plus 10 or 1000, it does not.
     */
    @Test
    void cosineDataPointingNearlyOneWayIsRefused() {
        for (double offset : new double[] {0, 3, 10, 1000}) {
            float[] shifted = scaled(0.1);
            for (int i = 0; i < shifted.length; i++) {
                shifted[i] += (float) offset;
            }
            String p = Vectors.resolutionProblem(shifted, DATA.rows(), DATA.dimension(), Metric.COSINE, null, 0);
            if (offset < 10) {
                assertNull(p, "offset " + offset);
            } else {
                assertTrue(p != null && p.contains("all point nearly the same way"), p);
            }
        }
    }

    /** Under ip what counts is the dot products: short vectors with long queries rank (review helper 33), short queries do not. */
    @Test
    void ipIsJudgedByTheQueriesLengthsToo() {
        float[] base = scaled(1);
        float[] shortRows = scaled(2.5e-4);
        assertNotNull(Vectors.resolutionProblem(shortRows, DATA.rows(), DATA.dimension(), Metric.IP, null, 0), "short vectors, short queries");
        assertNull(Vectors.resolutionProblem(shortRows, DATA.rows(), DATA.dimension(), Metric.IP, base, DATA.rows()),
                "the same short vectors, long queries");
        String p = Vectors.resolutionProblem(base, DATA.rows(), DATA.dimension(), Metric.IP, scaled(1e-7), DATA.rows());
        assertNotNull(p, "long vectors, queries far too short");
        assertTrue(p.contains("its queries'") && !p.contains("drawn from the vectors"), p);
        assertNotNull(Vectors.resolutionProblem(scaled(1e-4), DATA.rows(), DATA.dimension(), Metric.IP, null, 0));
    }

    @Test
    void copiesAndZeroVectorsDoNotMakeADatasetLookUnresolvable() {
        int rows = 500;
        int dim = 8;
        float[] same = new float[rows * dim];
        java.util.Arrays.fill(same, 1e-30f);
        assertNull(Vectors.resolutionProblem(same, rows, dim, Metric.L2, null, 0), "all copies: nothing to rank apart");
        float[] mostlyZero = new float[rows * dim];
        for (int r = 0; r < rows; r += 3) {
            mostlyZero[r * dim + r % dim] = 1 + r;
        }
        assertNull(Vectors.resolutionProblem(mostlyZero, rows, dim, Metric.IP, null, 0), "zero vectors are left out of the typical length");
    }

    /** A reader searches an ip query far shorter than the index's vectors scaled up, and converts its distances back. */
    @Test
    void anIpQueryTooShortForTheIndexsVectorsIsScaledUp() {
        double length = Vectors.typicalLength(scaled(1), DATA.rows(), DATA.dimension());
        assertTrue(length > 0, "typical length " + length);
        float[] query = new float[DATA.dimension()];
        System.arraycopy(DATA.data(), 0, query, 0, query.length);
        assertEquals(1f, Vectors.ipQueryScale(query, Metric.IP, length), "a query like the data");
        float[] tiny = new float[query.length];
        double norm = 0;
        for (int d = 0; d < query.length; d++) {
            tiny[d] = query[d] * 1e-7f;
            norm += (double) tiny[d] * tiny[d];
        }
        float scale = Vectors.ipQueryScale(tiny, Metric.IP, length);
        assertEquals(1.0, scale * Math.sqrt(norm) * length, 1e-5, "scaled to dot products near 1");
        float[] tinier = new float[query.length];
        double tinierNorm = 0;
        for (int d = 0; d < query.length; d++) {
            tinier[d] = (float) (query[d] * 1e-36);
            tinierNorm += (double) tinier[d] * tinier[d];
        }
        float tinierScale = Vectors.ipQueryScale(tinier, Metric.IP, length);
        assertEquals(1.0, tinierScale * Math.sqrt(tinierNorm) * length, 1e-5, "a query of 1e-36 of the data's length too");
        assertEquals(1f, Vectors.ipQueryScale(tiny, Metric.IP, 0), "no typical length recorded");
        assertEquals(1f, Vectors.ipQueryScale(tiny, Metric.L2, length), "l2 queries are searched as they are");
        assertEquals(1f, Vectors.ipQueryScale(new float[query.length], Metric.IP, length), "a zero query: every vector ties");
        // 1 - x.q from the scaled distance 1 - s x.q: x.q = 2e-7 at scale 1e6.
        assertEquals(1 - 2e-7, Vectors.unscaledIpDistance(0.8f, 1e6f), 6e-8);
        // An index of vectors of length 1e-20: a unit query scaled to 1e20 was longer than a search takes, and refused.
        float[] unit = new float[query.length];
        unit[0] = 1;
        float big = Vectors.ipQueryScale(unit, Metric.IP, 1e-20);
        assertTrue(big > 1e17f, "still scaled up: " + big);
        for (int d = 0; d < unit.length; d++) {
            unit[d] *= big;
        }
        Vectors.checkValid(unit, 0, unit.length, Metric.IP, "the scaled query");
    }
}
