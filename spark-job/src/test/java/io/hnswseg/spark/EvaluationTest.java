package io.hnswseg.spark;

import io.hnswseg.manifest.IndexManifest.GridPoint;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How the build chooses the readers' default from its measured grid. */
class EvaluationTest {

    private static GridPoint point(int nprobe, int ef, double recall, long bytes) {
        return new GridPoint(nprobe, ef, recall, 10.0, bytes, recall);
    }

    /**
     * Probe helper 82: over 50 sampled queries a cheap point measured 0.904 for a target of 0.9 and became the default;
     * queries like the data found 0.8725 there. A point reaches the target only with a margin for its estimate's error.
     */
    @Test
    void aPointReachesTheTargetOnlyByMoreThanItsEstimatesError() {
        GridPoint cheapLucky = point(8, 64, 0.904, 1_000);
        GridPoint costly = point(0, 16, 0.95, 5_000);
        List<GridPoint> grid = List.of(cheapLucky, costly);
        // 50 queries: a standard error of about 0.03 at the cheap point, 0.01 at the costly one.
        GridChoice.Choice rough = GridChoice.choose(grid, Map.of("8/64", 0.03, "0/16", 0.01), 0.9);
        assertEquals(costly, rough.point());
        assertTrue(rough.reached());
        // Measured closely (thousands of queries), the cheap point is the default.
        GridChoice.Choice close = GridChoice.choose(grid, Map.of("8/64", 0.001, "0/16", 0.001), 0.9);
        assertEquals(cheapLucky, close.point());
        assertTrue(close.reached());
        // Nowhere clear of the target: not reached, and the cheapest point near the best recall is the default.
        GridChoice.Choice missed = GridChoice.choose(List.of(cheapLucky, point(0, 16, 0.906, 5_000)),
                Map.of("8/64", 0.03, "0/16", 0.03), 0.9);
        assertFalse(missed.reached());
        assertEquals(cheapLucky, missed.point(), "within 0.005 of the best recall, and cheaper");
    }

    /** Probe helper 87: with 512 partitions the grid stopped at nprobe 8 and the build recommended every segment. */
    @Test
    void manyPartitionsAreMeasuredAtMoreProbes() {
        assertEquals(List.of(1, 2, 3, 4, 6, 8), boxed(Evaluation.nprobes(16)));
        assertEquals(List.of(1, 2, 3, 4, 6, 8), boxed(Evaluation.nprobes(95)));
        assertEquals(List.of(1, 2, 3, 4, 6, 8, 12), boxed(Evaluation.nprobes(96)));
        assertEquals(List.of(1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64), boxed(Evaluation.nprobes(512)));
    }

    private static List<Integer> boxed(int[] values) {
        return java.util.Arrays.stream(values).boxed().toList();
    }
}
