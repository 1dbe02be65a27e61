package io.hnswseg.hnsw;

import io.hnswseg.distance.FloatPages;
import io.hnswseg.distance.Metric;
import io.hnswseg.segment.MappedSegment;
import io.hnswseg.segment.SegmentWriter;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A graph too large for one array keeps its vectors (and codes) in pages. Real sizes need gigabytes (699,051
 * vectors of 3,072 floats), so these graphs use pages of 64 rows: 4,000 vectors lie on 63 pages, and almost
 * every group of four neighbours spans several of them. The paged build must answer as the one-array build
 * does, and write a segment that reads back the same.
 */
class PagedGraphTest {

    private static final int ROWS = 4_000;
    private static final int DIM = 24;
    private static final int QUERIES = 100;

    @TempDir
    Path tmp;

    @ParameterizedTest
    @CsvSource({"L2, true", "L2, false", "COSINE, true", "IP, false"})
    void pagedGraphAnswersAsTheOneArrayGraph(Metric metric, boolean quantized) throws IOException {
        float[] data = gaussian(ROWS + QUERIES, DIM, 7);
        HnswParams params = new HnswParams(12, 80, 3, metric, quantized);
        FloatPages pages = io.hnswseg.distance.SmallPages.allocate(ROWS, DIM, 64);
        HnswGraph paged = build(new HnswGraphBuilder(new HnswGraph(DIM, ROWS, params, pages)), data);
        HnswGraph flat = build(new HnswGraphBuilder(DIM, ROWS, params), data);
        assertEquals(quantized, paged.codes() != null, paged.scoring());

        float[] stored = new float[DIM];
        float[] expected = new float[DIM];
        for (int node = 0; node < ROWS; node += 97) {
            paged.copyVector(node, stored, 0);
            flat.copyVector(node, expected, 0);
            assertArrayEquals(expected, stored, "vector of node " + node);
        }
        double pagedRecall = 0;
        double flatRecall = 0;
        Path file = tmp.resolve("paged.hseg");
        try (java.io.OutputStream out = java.nio.file.Files.newOutputStream(file)) {
            SegmentWriter.write(paged, out);
        }
        try (MappedSegment mapped = MappedSegment.open(file)) {
            for (int q = 0; q < QUERIES; q++) {
                float[] query = Arrays.copyOfRange(data, (ROWS + q) * DIM, (ROWS + q + 1) * DIM);
                SearchResults truth = flat.exactSearch(query, 10);
                // Brute force scores four rows at a time: across pages, one at a time. Same answer.
                assertTrue(truth.matches(paged.exactSearch(query, 10), 1e-5), "exact search, query " + q);
                SearchResults found = paged.search(query, 10, 40);
                assertTrue(found.matches(mapped.search(query, 10, 40), 1e-5), "paged graph and its segment, query " + q);
                pagedRecall += overlap(truth, found) / 10.0;
                flatRecall += overlap(truth, flat.search(query, 10, 40)) / 10.0;
            }
        }
        pagedRecall /= QUERIES;
        flatRecall /= QUERIES;
        // Gaussian data in 24 dimensions is hard enough that ef 40 misses some neighbours: a broken paged
        // build (wrong rows, lost links) would show far below the one-array build.
        assertTrue(flatRecall < 0.999, "data too easy to show a difference: " + flatRecall);
        assertTrue(pagedRecall > flatRecall - 0.03, metric + ": paged recall " + pagedRecall + " vs one array " + flatRecall);
        assertEquals(0, Reachability.unreachable(paged), "unreachable nodes in the paged graph");
    }

    private static HnswGraph build(HnswGraphBuilder builder, float[] data) {
        for (int i = 0; i < ROWS; i++) {
            builder.add(i, data, i * DIM);
        }
        return builder.build(1);
    }

    private static int overlap(SearchResults a, SearchResults b) {
        int n = 0;
        for (long id : b.ids()) {
            for (long t : a.ids()) {
                n += t == id ? 1 : 0;
            }
        }
        return n;
    }

    private static float[] gaussian(int rows, int dim, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] data = new float[rows * dim];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) random.nextGaussian();
        }
        return data;
    }
}
