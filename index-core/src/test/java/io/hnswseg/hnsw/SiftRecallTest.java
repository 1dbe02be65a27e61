package io.hnswseg.hnsw;

import io.hnswseg.distance.Metric;
import io.hnswseg.io.FloatMatrix;
import io.hnswseg.io.VecsReader;
import io.hnswseg.testing.Fixtures;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Recall on real SIFT descriptors (../shared/datasets/sift-real); skipped when the folder is absent. */
class SiftRecallTest {

    @Test
    void first100kAtM16Efc100() throws Exception {
        Path dir = Fixtures.dataset("sift-real");
        Assumptions.assumeTrue(dir != null, "../shared/datasets/sift-real is not beside this checkout: real-data recall test skipped");
        FloatMatrix base = VecsReader.readFloats(dir.resolve("base.fvecs"), 100_000);
        FloatMatrix queries = VecsReader.readFloats(dir.resolve("query.fvecs"), Integer.MAX_VALUE);
        int[][] truth = VecsReader.readInts(dir.resolve("groundtruth.ivecs"));
        assertTrue(base.rows() == 100_000, "the ground truth is for the whole 100,000-row base");
        HnswGraph graph = Fixtures.build(base, new HnswParams(16, 100, 42, Metric.L2), 2);
        double best = 0;
        StringBuilder seen = new StringBuilder();
        for (int ef : new int[]{16, 32, 48, 64}) {
            double r = Fixtures.recall(graph, queries, truth, ef);
            seen.append(" ef=").append(ef).append(':').append(r);
            best = Math.max(best, r);
        }
        assertTrue(best >= 0.95, "recall@10 at ef <= 64:" + seen);
        double at256 = Fixtures.recall(graph, queries, truth, 256);
        assertTrue(at256 >= 0.99, "recall@10 at ef=256: " + at256);
    }
}
