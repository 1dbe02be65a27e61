package io.hnswseg.hnsw;

import io.hnswseg.distance.Metric;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
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

    /**
     * A vector shorter than about 3e-39 still has a direction: its float scale to unit length would be infinite,
     * which once made its components NaN (a NaN neighbour first for unrelated queries, a NaN query distance).
     */
    @Test
    void aTinyVectorIsADirectionLikeAnyOtherForCosine() {
        HnswGraphBuilder b = new HnswGraphBuilder(3, 10, HnswParams.defaults(Metric.COSINE));
        for (int i = 0; i < 9; i++) {
            b.add(i, new float[]{i + 1, 2 * i + 1, 1});
        }
        b.add(9, new float[]{1e-40f, 3e-40f, 1e-40f}); // the direction (1, 3, 1), which no other id has
        HnswGraph g = b.build(1);
        for (int id = 0; id < 10; id++) {
            float[] v = new float[3];
            g.copyVector(id, v, 0);
            for (float x : v) {
                assertTrue(Float.isFinite(x) && Math.abs(x) <= 1, "stored vector of id " + id + ": " + java.util.Arrays.toString(v));
            }
        }
        SearchResults tiny = g.search(new float[]{1e-40f, 3e-40f, 1e-40f}, 3, 10);
        SearchResults plain = g.search(new float[]{1, 3, 1}, 3, 10);
        assertEquals(9, tiny.ids()[0], "the tiny query's nearest is the tiny vector of the same direction: " + tiny);
        for (int i = 0; i < 3; i++) {
            assertEquals(plain.ids()[i], tiny.ids()[i], "tiny " + tiny + " against " + plain);
            assertEquals(plain.distances()[i], tiny.distances()[i], 1e-6, "tiny " + tiny + " against " + plain);
        }
    }

    /** Beams past the graph's size are the whole graph (found by probe helper 20: ef + 1 overflowed at 2^31 - 1). */
    @Test
    void aBeamWiderThanTheGraphSearchesAllOfIt() {
        HnswGraph g = small(Metric.L2);
        float[] q = {3, 5, 1};
        assertEquals(g.exactSearch(q, 5), g.search(q, 5, Integer.MAX_VALUE));
        assertEquals(10, g.search(q, Integer.MAX_VALUE, Integer.MAX_VALUE).ids().length);
        assertMessage(assertThrows(IllegalArgumentException.class, () -> new HnswParams(16, Integer.MAX_VALUE, 1, Metric.L2)),
                "efConstruction must be in [1, 1000000]");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> GraphSearcher.searchWithout(g, q, 3, 10, 10)),
                "node 10 to leave out is outside [0, 10)");
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
        // A beam narrower than M left nodes short of links (carried leftover): refused by the builder, not the record,
        // so that segments built so before still open.
        HnswParams narrow = new HnswParams(16, 8, 1, Metric.L2);
        assertMessage(assertThrows(IllegalArgumentException.class, () -> new HnswGraphBuilder(3, 10, narrow)),
                "--ef-construction 8 is below --m 16");
    }

    @Test
    void fewerVectorsThanK() {
        HnswGraph g = small(Metric.L2);
        SearchResults r = g.search(new float[]{1, 1, 1}, 50, 60);
        assertTrue(r.size() == 10, "all 10 vectors come back when k > size");
    }
}
