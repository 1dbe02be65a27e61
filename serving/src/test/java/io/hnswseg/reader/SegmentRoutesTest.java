package io.hnswseg.reader;

import io.hnswseg.io.VecsFormat;
import io.hnswseg.io.VecsWriter;
import io.hnswseg.manifest.IndexManifest;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SegmentRoutesTest {

    /**
     * Four segments of 100,000 vectors on a line of centroids, a query next to the first: a query for 1,000 results
     * searches every segment until the chosen ones hold 100 vectors a result, counting distinct vectors, then only
     * centroids within reach.
     */
    private static SegmentRoutes routes(Long distinct) throws IOException {
        float[] centroids = {0, 0, 10, 0, 20, 0, 30, 0};
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (VecsWriter writer = new VecsWriter(bytes, VecsFormat.FVECS)) {
            for (int c = 0; c < 4; c++) {
                writer.writeFloats(centroids, 2 * c, 2);
            }
        }
        List<IndexManifest.Segment> segments = new ArrayList<>();
        List<Float> biases = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
            segments.add(new IndexManifest.Segment("segments/part-0000" + c + ".hseg", 100_000, 1_000_000 + c, c, c, distinct));
            biases.add(0f);
        }
        IndexManifest manifest = new IndexManifest(IndexManifest.FORMAT_VERSION, "l2", 2, new IndexManifest.BuildParams(16, 100, 1),
                400_000, segments, new IndexManifest.Routing(IndexManifest.KMEANS, new IndexManifest.FileRef("routing/centroids.fvecs", 4,
                bytes.size(), 0), biases, 0, true, true), null, Map.of());
        return SegmentRoutes.of(manifest, bytes.toByteArray(), "centroids");
    }

    @Test
    void copiesInASegmentDoNotCountTowardsTheVectorsTheReachRuleWaitsFor() throws IOException {
        float[] query = {1, 0};
        // 25,000 distinct vectors a segment (the rest copies of a far vector spread over all four): the guard holds
        // over every segment. Counted with their copies, one segment met it and the far ones were cut: recall@1000 0.952
        // where searching every segment gives 1.000 (probe helper 62).
        assertEquals(4, routes(25_000L).route(query, 1_000, 1_000, 4).segments().length);
        // Without copies, or in a manifest from before distinct counts: one segment holds 100 a result.
        assertEquals(1, routes(100_000L).route(query, 1_000, 1_000, 4).segments().length);
        assertEquals(1, routes(null).route(query, 1_000, 1_000, 4).segments().length);
    }
}
