package io.hnswseg.hnsw;

import io.hnswseg.distance.Metric;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BadInputTest {

    private static HnswGraph small(Metric metric) {
        HnswGraphBuilder b = new HnswGraphBuilder(3, 10, HnswParams.defaults(metric));
        for (int i = 0; i < 10; i++) {
            b.add(i, new float[]{i + 1, 2 * i + 1, 1});
        }
        return b.build(1);
    }

    private static void assertMessage(Throwable e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "'" + e.getMessage() + "' should mention '" + p + "'");
        }
    }

    @Test
    void dimensionMismatchOnAdd() {
        HnswGraphBuilder b = new HnswGraphBuilder(3, 10, HnswParams.defaults(Metric.L2));
        assertMessage(assertThrows(IllegalArgumentException.class, () -> b.add(5, new float[4])), "id 5", "dimension 4", "expected 3");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> b.add(6, new float[5], 3)), "id 6", "components 3..5",
                "length 5");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> b.add(7, new float[5], -1)), "id 7", "components -1..1");
        assertTrue(b.size() == 0, "rejected vectors are not added");
    }

    @Test
    void nanAndInfinityOnAdd() {
        HnswGraphBuilder b = new HnswGraphBuilder(3, 10, HnswParams.defaults(Metric.L2));
        assertMessage(assertThrows(IllegalArgumentException.class, () -> b.add(8, new float[]{1, Float.NaN, 0})), "id 8", "NaN", "component 1");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> b.add(9, new float[]{Float.POSITIVE_INFINITY, 0, 0})), "id 9", "Infinity");
        assertTrue(b.size() == 0, "rejected vectors are not added");
    }

    @Test
    void zeroVectorWithCosine() {
        HnswGraphBuilder b = new HnswGraphBuilder(3, 10, HnswParams.defaults(Metric.COSINE));
        assertMessage(assertThrows(IllegalArgumentException.class, () -> b.add(4, new float[3])), "id 4", "zero vector");
        HnswGraph g = small(Metric.COSINE);
        assertMessage(assertThrows(IllegalArgumentException.class, () -> g.search(new float[3], 1, 10)), "query", "zero vector");
    }

    @Test
    void queryChecks() {
        HnswGraph g = small(Metric.L2);
        assertMessage(assertThrows(IllegalArgumentException.class, () -> g.search(new float[2], 1, 10)), "query", "dimension 2", "expected 3");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> g.search(new float[]{0, Float.NaN, 0}, 1, 10)), "query", "NaN");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> g.search(new float[3], 0, 10)), "k must be > 0");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> g.search(new float[3], -3, 10)), "k must be > 0");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> g.search(new float[3], 10, 5)), "ef must be >= k");
    }

    @Test
    void emptyIndex() {
        HnswGraphBuilder b = new HnswGraphBuilder(3, 10, HnswParams.defaults(Metric.L2));
        assertMessage(assertThrows(IllegalStateException.class, () -> b.build(1)), "empty index");
    }

    @Test
    void capacityAndReuse() {
        HnswGraphBuilder b = new HnswGraphBuilder(2, 1, HnswParams.defaults(Metric.L2));
        b.add(1, new float[]{1, 2});
        assertMessage(assertThrows(IllegalStateException.class, () -> b.add(2, new float[]{1, 2})), "capacity");
        b.build(1);
        assertMessage(assertThrows(IllegalStateException.class, () -> b.build(1)), "already built");
        assertThrows(IllegalArgumentException.class, () -> new HnswParams(1, 100, 1, Metric.L2));
        assertThrows(IllegalArgumentException.class, () -> new HnswParams(16, 0, 1, Metric.L2));
    }

    @Test
    void fewerVectorsThanK() {
        HnswGraph g = small(Metric.L2);
        SearchResults r = g.search(new float[]{1, 1, 1}, 50, 60);
        assertTrue(r.size() == 10, "all 10 vectors come back when k > size");
    }
}
