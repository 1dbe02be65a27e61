package io.hnswseg.hnsw;

import io.hnswseg.distance.Metric;
import io.hnswseg.io.FloatMatrix;
import io.hnswseg.testing.Fixtures;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link GraphSearcher#bytesScoredByLastSearch}: the counted cost the build compares (nprobe, ef) settings
 * by. It must be the same for the same search, grow with the beam, and weigh float rows four times code rows.
 */
class SearchCostTest {

    private static final int DIM = 24;

    @Test
    void theSameSearchCostsTheSameAndAWiderBeamCostsMore() {
        FloatMatrix[] data = Fixtures.clustered(4_000, 50, DIM, 7);
        HnswGraph graph = Fixtures.build(data[0], new HnswParams(8, 60, 1, Metric.L2), 2);
        assertNotNull(graph.codes, "clustered data is walked on int8 codes");
        long narrow = 0;
        long wide = 0;
        for (int q = 0; q < 50; q++) {
            float[] query = data[1].row(q);
            graph.search(query, 10, 16);
            long first = GraphSearcher.bytesScoredByLastSearch();
            graph.search(query, 10, 128);
            long wider = GraphSearcher.bytesScoredByLastSearch();
            graph.search(query, 10, 16);
            assertEquals(first, GraphSearcher.bytesScoredByLastSearch(), "query " + q + " searched again");
            // At least the beam's rows as codes and the k re-ranked ones as floats.
            assertTrue(first >= 16L * DIM + 10L * 4 * DIM, "query " + q + ": " + first + " bytes at ef 16");
            narrow += first;
            wide += wider;
        }
        assertTrue(wide > 2 * narrow, "ef 128 scored " + wide + " bytes over 50 queries, ef 16 " + narrow);
    }

    @Test
    void aGraphWithoutCodesCountsEveryRowAsFloats() {
        FloatMatrix[] data = Fixtures.clustered(2_000, 20, DIM, 8);
        HnswGraph graph = Fixtures.build(data[0], new HnswParams(8, 60, 1, Metric.L2, false), 1);
        assertNull(graph.codes);
        for (int q = 0; q < 20; q++) {
            graph.search(data[1].row(q), 10, 32);
            long bytes = GraphSearcher.bytesScoredByLastSearch();
            assertEquals(0, bytes % (4L * DIM), "whole float rows: " + bytes);
            assertTrue(bytes >= 32L * 4 * DIM, "the beam's 32 rows at least: " + bytes);
        }
    }
}
