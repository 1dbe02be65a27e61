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

    /**
     * Probe helper 107: ip vectors with a constant component appended (their sampled queries carrying it too) measured
     * 0.9584 counting answers as near as the 10th true neighbour within float32 rounding, 0.9029 by ids, at the cheapest
     * point; queries without the component found 0.9067 there. A wider search found the true ids (0.9568 at nprobe 6,
     * ef 64), so the answers counted were not ties no search can rank: the default reaches the target by ids. Where no
     * point does (true ties: exact copies, equal distances), the counted figure decides, as it does when the two agree.
     */
    @Test
    void answersCountedOnlyByRoundingDoNotChooseTheDefaultWhenAWiderSearchFindsTheIds() {
        GridPoint roundingOnly = new GridPoint(4, 32, 0.9584, 10.0, 529, 0.9029);
        GridPoint wider = new GridPoint(6, 64, 0.9868, 10.0, 1_042, 0.9568);
        GridPoint widest = new GridPoint(8, 128, 0.9950, 10.0, 2_000, 0.9800);
        Map<String, Double> close = Map.of("4/32", 0.001, "6/64", 0.001, "8/128", 0.001);
        GridChoice.Choice chosen = GridChoice.choose(List.of(roundingOnly, wider, widest), close, 0.95);
        assertEquals(wider, chosen.point());
        assertTrue(chosen.reached());

        GridPoint tiesEverywhere = new GridPoint(6, 64, 0.9868, 10.0, 1_042, 0.9300);
        assertEquals(roundingOnly, GridChoice.choose(List.of(roundingOnly, tiesEverywhere), close, 0.95).point(),
                "no point reaches the target by ids: the counted figure decides");

        GridPoint agreeing = new GridPoint(4, 32, 0.9584, 10.0, 529, 0.9520);
        assertEquals(agreeing, GridChoice.choose(List.of(agreeing, wider), close, 0.95).point(), "figures within 0.01");
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
