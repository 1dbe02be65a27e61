package io.hnswseg.distance;

import io.hnswseg.io.FloatMatrix;
import io.hnswseg.testing.Fixtures;
import org.junit.jupiter.api.Test;

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
        return Vectors.resolutionProblem(scaled(factor), DATA.rows(), DATA.dimension(), metric);
    }

    @Test
    void l2DataWhoseDistancesUnderflowIsRefusedWithAFactorToScaleBy() {
        assertNull(problem(1, Metric.L2));
        assertNull(problem(1e-15, Metric.L2), "squared distances near 1e-28 still rank");
        assertNull(problem(1e15, Metric.L2));
        String p = problem(1e-22, Metric.L2);
        assertNotNull(p, "squared distances near 1e-42 are subnormal: recall 0.57 in the probe");
        assertTrue(p.contains("too small for float32 distances") && p.contains("multiply every vector, and every query"), p);
        assertNotNull(problem(1e-25, Metric.L2));
    }

    @Test
    void ipDataTooShortFor1MinusDotIsRefused() {
        assertNull(problem(1, Metric.IP));
        assertNull(problem(1e-1, Metric.IP));
        assertNull(problem(1e9, Metric.IP));
        String p = problem(1e-4, Metric.IP);
        assertNotNull(p, "lengths near 3e-4: recall 0.12 in the probe");
        assertTrue(p.contains("too short for ip distances") && p.contains("ranking for a query stays the same"), p);
        // Cosine normalises: any scale ranks.
        assertNull(problem(1e-30, Metric.COSINE));
    }

    @Test
    void copiesAndZeroVectorsDoNotMakeADatasetLookUnresolvable() {
        int rows = 500;
        int dim = 8;
        float[] same = new float[rows * dim];
        java.util.Arrays.fill(same, 1e-30f);
        assertNull(Vectors.resolutionProblem(same, rows, dim, Metric.L2), "all copies: nothing to rank apart");
        float[] mostlyZero = new float[rows * dim];
        for (int r = 0; r < rows; r += 3) {
            mostlyZero[r * dim + r % dim] = 1 + r;
        }
        assertNull(Vectors.resolutionProblem(mostlyZero, rows, dim, Metric.IP), "zero vectors are left out of the typical length");
    }
}
